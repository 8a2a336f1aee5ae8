package dev.trellis.auth.sigv4;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECFieldFp;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPrivateKeySpec;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
import javax.crypto.KeyAgreement;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Derives the key material of the SigV4 family from an access key pair.
 *
 * <ul>
 *   <li>SigV4: the signing key of one (date, region, service) scope, an HMAC-SHA256 chain seeded with
 *       {@code "AWS4" + secret}.</li>
 *   <li>SigV4A: an ECDSA P-256 key pair, derived from the access key id and secret the way aws-c-auth
 *       ({@code key_derivation.c}) and the SDKs do: NIST SP 800-108 KDF in counter mode with HMAC-SHA256, key
 *       {@code "AWS4A" + secret}, fixed input {@code 0x00000001 || "AWS4-ECDSA-P256-SHA256" || 0x00 ||
 *       accessKeyId || counter || 0x00000100}; the first candidate {@code k <= n - 2} (for counter 1, 2, ... 254)
 *       gives the private scalar {@code d = k + 1}.</li>
 * </ul>
 *
 * <p>The public key {@code d·G} is computed by the platform's constant-time EC code: an ECDH agreement between
 * {@code d} and the generator yields the x coordinate, the curve equation gives the two candidate y values, and a
 * signature made with {@code d} tells which one is right. No scalar arithmetic on the secret happens here.
 */
public final class SigV4KeyDerivation {

    private static final byte[] SIGV4A_LABEL = "AWS4-ECDSA-P256-SHA256".getBytes(StandardCharsets.US_ASCII);
    private static final int MAX_COUNTER = 254;
    private static final ECParameterSpec P256 = p256();
    /** n - 2, the largest accepted KDF candidate. */
    private static final BigInteger N_MINUS_2 = P256.getOrder().subtract(BigInteger.TWO);

    private SigV4KeyDerivation() {
    }

    /** The SigV4 signing key of one scope ({@code date} is {@code yyyyMMdd}). */
    public static DerivedSigningKey deriveSigningKey(String secretAccessKey, String date, String region,
                                                     String service) {
        Objects.requireNonNull(secretAccessKey, "secretAccessKey");
        DerivedSigningKey.requireScopeDate(date);
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            byte[] key = ("AWS4" + secretAccessKey).getBytes(StandardCharsets.UTF_8);
            key = hmac(mac, key, date);
            key = hmac(mac, key, region);
            key = hmac(mac, key, service);
            key = hmac(mac, key, "aws4_request");
            DerivedSigningKey derived = new DerivedSigningKey(date, region, service, key);
            Arrays.fill(key, (byte) 0);
            return derived;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is required of every Java platform", e);
        }
    }

    /** The SigV4A private key of an access key pair. */
    public static ECPrivateKey deriveSigV4aPrivateKey(String accessKeyId, String secretAccessKey) {
        Objects.requireNonNull(accessKeyId, "accessKeyId");
        Objects.requireNonNull(secretAccessKey, "secretAccessKey");
        byte[] kdfKey = ("AWS4A" + secretAccessKey).getBytes(StandardCharsets.UTF_8);
        byte[] id = accessKeyId.getBytes(StandardCharsets.UTF_8);
        byte[] fixedInput = new byte[4 + SIGV4A_LABEL.length + 1 + id.length + 1 + 4];
        int pos = 0;
        fixedInput[pos + 3] = 1; // the KDF's 32-bit block counter i = 1 (one 256-bit block is needed)
        pos += 4;
        System.arraycopy(SIGV4A_LABEL, 0, fixedInput, pos, SIGV4A_LABEL.length);
        pos += SIGV4A_LABEL.length;
        fixedInput[pos++] = 0;
        System.arraycopy(id, 0, fixedInput, pos, id.length);
        pos += id.length;
        int counterAt = pos++;
        fixedInput[pos + 2] = 1; // L = 256 bits, big-endian 0x00000100
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(kdfKey, "HmacSHA256"));
            for (int counter = 1; counter <= MAX_COUNTER; counter++) {
                fixedInput[counterAt] = (byte) counter;
                byte[] candidate = mac.doFinal(fixedInput);
                BigInteger k = new BigInteger(1, candidate);
                Arrays.fill(candidate, (byte) 0);
                if (k.compareTo(N_MINUS_2) <= 0) {
                    BigInteger d = k.add(BigInteger.ONE);
                    return (ECPrivateKey) KeyFactory.getInstance("EC")
                            .generatePrivate(new ECPrivateKeySpec(d, P256));
                }
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot derive the SigV4A key", e);
        } finally {
            Arrays.fill(kdfKey, (byte) 0);
        }
        // Each candidate fails with probability ~2^-32: 254 failures in a row do not happen.
        throw new IllegalStateException("SigV4A key derivation found no candidate for " + accessKeyId);
    }

    /** The SigV4A public key of an access key pair. */
    public static ECPublicKey deriveSigV4aPublicKey(String accessKeyId, String secretAccessKey) {
        return publicKeyOf(deriveSigV4aPrivateKey(accessKeyId, secretAccessKey));
    }

    /** The public key {@code d·G} of a P-256 private key. */
    public static ECPublicKey publicKeyOf(ECPrivateKey privateKey) {
        try {
            KeyFactory keys = KeyFactory.getInstance("EC");
            ECPublicKey generator = (ECPublicKey) keys.generatePublic(new ECPublicKeySpec(P256.getGenerator(), P256));
            KeyAgreement ecdh = KeyAgreement.getInstance("ECDH");
            ecdh.init(privateKey);
            ecdh.doPhase(generator, true);
            BigInteger x = new BigInteger(1, ecdh.generateSecret());

            BigInteger p = ((ECFieldFp) P256.getCurve().getField()).getP();
            BigInteger rhs = x.pow(3).add(P256.getCurve().getA().multiply(x)).add(P256.getCurve().getB()).mod(p);
            // p ≡ 3 (mod 4), so a square root of rhs is rhs^((p+1)/4).
            BigInteger y = rhs.modPow(p.add(BigInteger.ONE).shiftRight(2), p);
            if (!y.multiply(y).mod(p).equals(rhs)) {
                throw new IllegalStateException("ECDH returned a point that is not on P-256");
            }
            byte[] probe = "trellis sigv4a public key check".getBytes(StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance("SHA256withECDSA");
            signer.initSign(privateKey);
            signer.update(probe);
            byte[] signature = signer.sign();
            for (BigInteger candidateY : new BigInteger[] {y, p.subtract(y)}) {
                ECPublicKey candidate = (ECPublicKey) keys.generatePublic(
                        new ECPublicKeySpec(new ECPoint(x, candidateY), P256));
                Signature verifier = Signature.getInstance("SHA256withECDSA");
                verifier.initVerify(candidate);
                verifier.update(probe);
                if (verifier.verify(signature)) {
                    return candidate;
                }
            }
            throw new IllegalStateException("neither P-256 point with this x matches the private key");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot compute the P-256 public key", e);
        }
    }

    /** A P-256 public key from its affine coordinates (e.g. {@code public-key.json} X/Y). */
    public static ECPublicKey sigV4aPublicKey(BigInteger x, BigInteger y) {
        try {
            return (ECPublicKey) KeyFactory.getInstance("EC")
                    .generatePublic(new ECPublicKeySpec(new ECPoint(x, y), P256));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not a P-256 public key", e);
        }
    }

    /** A P-256 public key from hex affine coordinates. */
    public static ECPublicKey sigV4aPublicKeyFromHex(String xHex, String yHex) {
        return sigV4aPublicKey(new BigInteger(1, HexFormat.of().parseHex(xHex)),
                new BigInteger(1, HexFormat.of().parseHex(yHex)));
    }

    /** A P-256 public key from its X.509 SubjectPublicKeyInfo encoding ({@code ECPublicKey.getEncoded()}). */
    public static ECPublicKey sigV4aPublicKeyFromX509(byte[] encoded) {
        try {
            ECPublicKey key = (ECPublicKey) KeyFactory.getInstance("EC")
                    .generatePublic(new X509EncodedKeySpec(encoded));
            if (key.getParams().getCurve().getField().getFieldSize() != 256
                    || !key.getParams().getOrder().equals(P256.getOrder())) {
                throw new IllegalArgumentException("not a P-256 key");
            }
            return key;
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not an X.509 EC public key", e);
        }
    }

    static ECParameterSpec p256Parameters() {
        return P256;
    }

    private static byte[] hmac(Mac mac, byte[] key, String data) throws GeneralSecurityException {
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    }

    private static ECParameterSpec p256() {
        try {
            AlgorithmParameters parameters = AlgorithmParameters.getInstance("EC");
            parameters.init(new ECGenParameterSpec("secp256r1"));
            return parameters.getParameterSpec(ECParameterSpec.class);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("P-256 (secp256r1) is required", e);
        }
    }
}
