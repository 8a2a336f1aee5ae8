package dev.trellis.benchmarks;

import dev.trellis.auth.Principal;
import dev.trellis.auth.sigv4.CredentialResolver;
import dev.trellis.auth.sigv4.SigV4KeyDerivation;
import dev.trellis.auth.sigv4.SigV4Outcome;
import dev.trellis.auth.sigv4.SigV4Verifier;
import dev.trellis.auth.sigv4.SignedRequest;
import dev.trellis.auth.sigv4.SigningCredential;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import software.amazon.awssdk.http.SdkHttpFullRequest;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.identity.spi.AwsSessionCredentialsIdentity;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * SigV4 verification of a realistic Lattice data-plane request: {@code vpc-lattice-svcs}, header-signed,
 * {@code UNSIGNED-PAYLOAD}, temporary credentials (a ~900-character session token, signed), nine header fields.
 *
 * <ul>
 *   <li>{@code verifyWithSecretAndWarmCache}: control-plane style credential (secret), signing key already in the
 *       verifier's key cache.</li>
 *   <li>{@code verifyWithDerivedKey}: gateway style credential (only the derived key of today's scope).</li>
 *   <li>{@code receiveAndVerify}: as above, plus building the {@link SignedRequest} from the header fields, which
 *       an HTTP layer does per request.</li>
 *   <li>{@code sdkSignBaseline}: the AWS SDK v2 {@code AwsV4HttpSigner} signing the same request, for scale.</li>
 *   <li>{@code verifyLongTermKeyRequest}: the request of the wrk harness's gateway-auth scenario instead — long-term
 *       credentials (no session token), {@code GET /} with Host, X-Amz-Date, x-amz-content-sha256 and
 *       Authorization — with a derived key: what the gateway verifies per request in that benchmark.</li>
 * </ul>
 * Target: verification at or under 5 µs/op.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class SigV4VerifyBenchmark {

    private static final Instant NOW = Instant.parse("2026-03-02T10:15:30Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    private static final String ACCESS_KEY = "ASIAQNZGKIQY56JQ7WML";
    private static final String SECRET = "vLa3yV1uRvUx4kMq6QHsGxHbZ7hVwV0ZpK3ExAmPlE";
    private static final String LONG_TERM_ACCESS_KEY = "AKIAQNZGKIQYBENCHWRK";
    private static final String REGION = "us-west-2";
    private static final String SERVICE = "vpc-lattice-svcs";

    private SignedRequest received;
    private String[] headerNames;
    private String[] headerValues;
    private String requestTarget;
    private SigV4Verifier secretVerifier;
    private SigV4Verifier derivedKeyVerifier;
    private AwsV4HttpSigner sdkSigner;
    private SdkHttpFullRequest unsignedSdkRequest;
    private AwsSessionCredentialsIdentity identity;
    private SignedRequest longTermKeyRequest;
    private static final String HEX = "0123456789abcdef";
    private MessageDigest sha256;
    private Mac hmac;
    private byte[] canonicalRequest;
    private byte[] stringToSign;
    private int stringToSignHexAt;
    private SigV4Verifier longTermKeyVerifier;

    @Setup
    public void setUp() {
        String token = sessionToken();
        identity = AwsSessionCredentialsIdentity.create(ACCESS_KEY, SECRET, token);
        unsignedSdkRequest = SdkHttpFullRequest.builder()
                .method(SdkHttpMethod.GET).protocol("https")
                .host("datastore-0a1b2c3d4e5f67890.7d67968.vpc-lattice-svcs.us-west-2.on.aws")
                .encodedPath("/summary")
                .appendRawQueryParameter("window", "1h")
                .putHeader("Accept", "application/json")
                .putHeader("User-Agent", "frontend/1.4 (java 17)")
                .putHeader("X-Request-Id", "7f1c2a9e-61b4-4b0e-9f57-1d8e3f0a4c21")
                .putHeader("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
                .putHeader("x-amz-content-sha256", "UNSIGNED-PAYLOAD")
                .build();
        sdkSigner = AwsV4HttpSigner.create();
        SdkHttpRequest signed = sdkSign().request();

        requestTarget = signed.encodedPath() + "?" + signed.encodedQueryParameters().orElse("");
        Map<String, List<String>> headers = signed.headers();
        if (!signed.firstMatchingHeader("Host").isPresent()) {
            throw new IllegalStateException("the SDK signer is expected to add the Host header");
        }
        int n = headers.values().stream().mapToInt(List::size).sum();
        headerNames = new String[n];
        headerValues = new String[n];
        int i = 0;
        for (Map.Entry<String, List<String>> header : headers.entrySet()) {
            for (String value : header.getValue()) {
                headerNames[i] = header.getKey();
                headerValues[i++] = value;
            }
        }
        received = buildReceived();

        Principal principal = Principal.assumedRole("aws", "111122223333", "/", "frontend", "AROAEXAMPLEFRONTEND",
                "pod-7d9f", Map.of());
        SigningCredential withSecret = SigningCredential.builder(ACCESS_KEY, principal).secretAccessKey(SECRET)
                .sessionToken(token).expiresAt(NOW.plus(Duration.ofHours(1))).build();
        SigningCredential withDerivedKey = SigningCredential.builder(ACCESS_KEY, principal).sessionToken(token)
                .expiresAt(NOW.plus(Duration.ofHours(1)))
                .derivedKey(SigV4KeyDerivation.deriveSigningKey(SECRET, "20260302", REGION, SERVICE)).build();
        secretVerifier = verifier(withSecret);
        derivedKeyVerifier = verifier(withDerivedKey);

        for (SigV4Verifier v : List.of(secretVerifier, derivedKeyVerifier)) {
            SigV4Outcome outcome = v.verify(received); // also warms the key cache
            if (!(outcome instanceof SigV4Outcome.Authenticated)) {
                throw new IllegalStateException("benchmark request does not verify: " + outcome);
            }
        }
        setUpLongTermKeyRequest(principal);
    }

    private void setUpLongTermKeyRequest(Principal principal) {
        String host = "datastore-0891088e6cc27c501.7d67968.vpc-lattice-svcs.us-west-2.on.aws";
        SdkHttpRequest signed = sdkSigner.sign((SignRequest.Builder<AwsCredentialsIdentity> r) -> r
                .identity(AwsCredentialsIdentity.create(LONG_TERM_ACCESS_KEY, SECRET))
                .request(SdkHttpFullRequest.builder().method(SdkHttpMethod.GET).protocol("http").host(host)
                        .encodedPath("/").putHeader("x-amz-content-sha256", "UNSIGNED-PAYLOAD").build())
                .putProperty(AwsV4FamilyHttpSigner.SERVICE_SIGNING_NAME, SERVICE)
                .putProperty(AwsV4HttpSigner.REGION_NAME, REGION)
                .putProperty(AwsV4FamilyHttpSigner.PAYLOAD_SIGNING_ENABLED, false)
                .putProperty(HttpSigner.SIGNING_CLOCK, CLOCK)).request();
        SignedRequest.Builder builder = SignedRequest.builder("GET", "/");
        signed.forEachHeader((name, values) -> values.forEach(value -> builder.header(name, value)));
        longTermKeyRequest = builder.emptyBody().build();
        if (longTermKeyRequest.headerCount() != 4) {
            throw new IllegalStateException("expected Host, X-Amz-Date, x-amz-content-sha256 and Authorization: "
                    + longTermKeyRequest);
        }
        longTermKeyVerifier = verifier(SigningCredential.builder(LONG_TERM_ACCESS_KEY, principal)
                .derivedKey(SigV4KeyDerivation.deriveSigningKey(SECRET, "20260302", REGION, SERVICE)).build());
        SigV4Outcome outcome = longTermKeyVerifier.verify(longTermKeyRequest);
        if (!(outcome instanceof SigV4Outcome.Authenticated)) {
            throw new IllegalStateException("the long-term key request does not verify: " + outcome);
        }
        String date = signed.firstMatchingHeader("X-Amz-Date").orElseThrow();
        canonicalRequest = ("GET\n/\n\nhost:" + host + "\nx-amz-content-sha256:UNSIGNED-PAYLOAD\nx-amz-date:" + date
                + "\n\nhost;x-amz-content-sha256;x-amz-date\nUNSIGNED-PAYLOAD").getBytes(StandardCharsets.US_ASCII);
        String head = "AWS4-HMAC-SHA256\n" + date + "\n20260302/" + REGION + "/" + SERVICE + "/aws4_request\n";
        stringToSignHexAt = head.length();
        stringToSign = Arrays.copyOf(head.getBytes(StandardCharsets.US_ASCII), head.length() + 64);
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
            hmac = Mac.getInstance("HmacSHA256");
            // A derived key's 32 bytes; which 32 does not change the time.
            hmac.init(new SecretKeySpec(sha256.digest(SECRET.getBytes(StandardCharsets.US_ASCII)), "HmacSHA256"));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static SigV4Verifier verifier(SigningCredential credential) {
        return SigV4Verifier.builder().signingName(SERVICE).region(REGION).requireSignedContentSha256(true)
                .credentials(CredentialResolver.of(credential)).clock(CLOCK).build();
    }

    private SignedRequest buildReceived() {
        SignedRequest.Builder builder = SignedRequest.builder("GET", requestTarget);
        for (int i = 0; i < headerNames.length; i++) {
            builder.header(headerNames[i], headerValues[i]);
        }
        return builder.emptyBody().build();
    }

    private software.amazon.awssdk.http.auth.spi.signer.SignedRequest sdkSign() {
        return sdkSigner.sign((SignRequest.Builder<AwsCredentialsIdentity> r) -> r
                .identity(identity)
                .request(unsignedSdkRequest)
                .putProperty(AwsV4FamilyHttpSigner.SERVICE_SIGNING_NAME, SERVICE)
                .putProperty(AwsV4HttpSigner.REGION_NAME, REGION)
                .putProperty(AwsV4FamilyHttpSigner.PAYLOAD_SIGNING_ENABLED, false)
                .putProperty(HttpSigner.SIGNING_CLOCK, CLOCK));
    }

    /** A session token of the usual STS length (~900 characters of base64). */
    private static String sessionToken() {
        StringBuilder sb = new StringBuilder("IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLXdlc3QtMiJHMEUCIQ");
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        long x = 0x9E3779B97F4A7C15L;
        while (sb.length() < 900) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            sb.append(alphabet.charAt((int) (x >>> 58)));
        }
        return sb.append("==").toString();
    }

    @Benchmark
    public SigV4Outcome verifyWithSecretAndWarmCache() {
        return secretVerifier.verify(received);
    }

    @Benchmark
    public SigV4Outcome verifyWithDerivedKey() {
        return derivedKeyVerifier.verify(received);
    }

    @Benchmark
    public SigV4Outcome receiveAndVerify() {
        return derivedKeyVerifier.verify(buildReceived());
    }

    @Benchmark
    public SigV4Outcome verifyLongTermKeyRequest() {
        return longTermKeyVerifier.verify(longTermKeyRequest);
    }

    /**
     * The cryptography {@link #verifyLongTermKeyRequest} cannot do without, for scale: SHA-256 of its canonical
     * request, hex, then HMAC-SHA256 of the string to sign with a keyed {@code Mac}, over the same bytes.
     */
    @Benchmark
    public byte[] baselineHashAndHmacOnly() throws Exception {
        sha256.reset();
        byte[] hash = sha256.digest(canonicalRequest);
        for (int i = 0; i < hash.length; i++) {
            stringToSign[stringToSignHexAt + 2 * i] = (byte) HEX.charAt((hash[i] >> 4) & 0xF);
            stringToSign[stringToSignHexAt + 2 * i + 1] = (byte) HEX.charAt(hash[i] & 0xF);
        }
        return hmac.doFinal(stringToSign);
    }

    @Benchmark
    public Object sdkSignBaseline() {
        return sdkSign();
    }
}
