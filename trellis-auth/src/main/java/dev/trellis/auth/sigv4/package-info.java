/**
 * Verification of AWS Signature Version 4 (SigV4, {@code AWS4-HMAC-SHA256}) and its asymmetric variant SigV4A
 * ({@code AWS4-ECDSA-P256-SHA256}), in both the {@code Authorization} header form and the presigned-URL form.
 *
 * <p>The entry point is {@link dev.trellis.auth.sigv4.SigV4Verifier}: an HTTP layer turns what it received into a
 * {@link dev.trellis.auth.sigv4.SignedRequest}, the verifier answers with a
 * {@link dev.trellis.auth.sigv4.SigV4Outcome} (authenticated principal, unsigned, or a typed rejection), and a
 * rejection maps to the AWS error of the calling protocol with
 * {@link dev.trellis.auth.sigv4.SigV4Failure#toAwsError(AwsProtocolFamily)}. {@code docs/sigv4.md} describes the
 * canonicalisation choices, the key material (secrets vs. derived keys), the cache and the error table.
 */
package dev.trellis.auth.sigv4;
