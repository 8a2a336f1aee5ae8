package dev.trellis.gateway.support;

import dev.trellis.auth.sigv4.DerivedSigningKey;
import dev.trellis.auth.sigv4.SigV4KeyDerivation;
import dev.trellis.model.snapshot.CallerCredential;
import java.net.http.HttpRequest;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.http.SdkHttpFullRequest;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignRequest;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;

/**
 * Signs test requests the way a Lattice client does (the AWS SDK v2 {@code AwsV4HttpSigner}, service
 * {@code vpc-lattice-svcs}, {@code UNSIGNED-PAYLOAD}), and makes the snapshot entry a gateway verifies them with:
 * derived keys only (yesterday, today and tomorrow, UTC), never the secret.
 */
public final class Signer {

    public static final String SERVICE = "vpc-lattice-svcs";

    private final String accessKeyId;
    private final String secretAccessKey;

    public Signer(String accessKeyId, String secretAccessKey) {
        this.accessKeyId = accessKeyId;
        this.secretAccessKey = secretAccessKey;
    }

    /**
     * The snapshot credential of a session of role {@code roleName} (account {@link Fixtures#ACCOUNT}) with these
     * identity policies.
     */
    public CallerCredential assumedRole(String roleName, String sessionName, String... identityPolicies) {
        List<CallerCredential.DerivedKey> keys = new ArrayList<>();
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        for (int day = -1; day <= 1; day++) {
            String date = today.plusDays(day).format(DateTimeFormatter.BASIC_ISO_DATE);
            DerivedSigningKey key = SigV4KeyDerivation.deriveSigningKey(secretAccessKey, date, Fixtures.REGION,
                    SERVICE);
            keys.add(new CallerCredential.DerivedKey(date, Fixtures.REGION, SERVICE,
                    HexFormat.of().formatHex(key.key())));
        }
        return new CallerCredential(accessKeyId, "AssumedRole",
                "arn:aws:sts::" + Fixtures.ACCOUNT + ":assumed-role/" + roleName + "/" + sessionName,
                "arn:aws:iam::" + Fixtures.ACCOUNT + ":role/" + roleName, Fixtures.ACCOUNT,
                "AROAEXAMPLEROLEID:" + sessionName, null, sessionName, Map.of(), null, null, keys, null,
                List.of(identityPolicies));
    }

    /** As {@link #assumedRole}, with the SigV4A public key (never the secret) so that SigV4A signatures verify. */
    public CallerCredential assumedRoleWithSigV4a(String roleName, String sessionName, String... identityPolicies) {
        CallerCredential c = assumedRole(roleName, sessionName, identityPolicies);
        java.security.interfaces.ECPublicKey key = SigV4KeyDerivation.deriveSigV4aPublicKey(accessKeyId,
                secretAccessKey);
        String point = "04" + hex32(key.getW().getAffineX()) + hex32(key.getW().getAffineY());
        return new CallerCredential(c.accessKeyId(), c.principalType(), c.arn(), c.principalArn(), c.accountId(),
                c.userId(), c.userName(), c.sessionName(), c.principalTags(), c.sessionToken(), c.expiresAt(),
                c.derivedKeys(), point, c.identityPolicies());
    }

    private static String hex32(java.math.BigInteger n) {
        String hex = n.toString(16);
        return "0".repeat(64 - hex.length()) + hex;
    }

    /** Signs with SigV4A ({@code AwsV4aHttpSigner}, through the CRT) for {@code regionSet}. */
    public HttpRequest.Builder signV4a(HttpRequest.Builder builder, String method, String host, String path,
                                       String regionSet) {
        SdkHttpFullRequest request = SdkHttpFullRequest.builder()
                .method(SdkHttpMethod.fromValue(method))
                .protocol("https")
                .host(host)
                .encodedPath(path)
                .putHeader("Host", host)
                .putHeader("x-amz-content-sha256", "UNSIGNED-PAYLOAD")
                .build();
        SignedRequest signed = software.amazon.awssdk.http.auth.aws.signer.AwsV4aHttpSigner.create().sign(
                (SignRequest.Builder<AwsCredentialsIdentity> r) -> r
                        .identity(AwsCredentialsIdentity.create(accessKeyId, secretAccessKey))
                        .request(request)
                        .putProperty(AwsV4FamilyHttpSigner.SERVICE_SIGNING_NAME, SERVICE)
                        .putProperty(software.amazon.awssdk.http.auth.aws.signer.AwsV4aHttpSigner.REGION_SET,
                                software.amazon.awssdk.http.auth.aws.signer.RegionSet.create(regionSet))
                        .putProperty(AwsV4FamilyHttpSigner.PAYLOAD_SIGNING_ENABLED, false));
        signed.request().headers().forEach((name, values) -> {
            if (!name.equalsIgnoreCase("host")) {
                values.forEach(value -> builder.header(name, value));
            }
        });
        return builder;
    }

    /**
     * Signs a request to {@code host} (what goes in the Host header, port included if the client sends one) and
     * copies the signature headers onto {@code builder}.
     */
    public HttpRequest.Builder sign(HttpRequest.Builder builder, String method, String host, String path) {
        return sign(builder, method, host, path, secretAccessKey);
    }

    /** As {@link #sign(HttpRequest.Builder, String, String, String)}, with another secret (a wrong signature). */
    public HttpRequest.Builder sign(HttpRequest.Builder builder, String method, String host, String path,
                                    String secret) {
        Map<String, List<String>> signed = signedHeaders(method, host, path, secret);
        signed.forEach((name, values) -> {
            if (!name.equalsIgnoreCase("host")) {
                values.forEach(value -> builder.header(name, value));
            }
        });
        return builder;
    }

    /** The headers of the signed request (Host, X-Amz-Date, x-amz-content-sha256, Authorization). */
    public Map<String, List<String>> signedHeaders(String method, String host, String path, String secret) {
        int query = path.indexOf('?');
        SdkHttpFullRequest.Builder request = SdkHttpFullRequest.builder()
                .method(SdkHttpMethod.fromValue(method))
                .protocol("https")
                .host(host)
                .encodedPath(query < 0 ? path : path.substring(0, query))
                .putHeader("Host", host)
                .putHeader("x-amz-content-sha256", "UNSIGNED-PAYLOAD");
        if (query >= 0) {
            for (String pair : path.substring(query + 1).split("&")) {
                int eq = pair.indexOf('=');
                request.appendRawQueryParameter(eq < 0 ? pair : pair.substring(0, eq),
                        eq < 0 ? null : pair.substring(eq + 1));
            }
        }
        SignedRequest signed = AwsV4HttpSigner.create().sign(
                (SignRequest.Builder<AwsCredentialsIdentity> r) -> r
                        .identity(AwsCredentialsIdentity.create(accessKeyId, secret))
                        .request(request.build())
                        .putProperty(AwsV4FamilyHttpSigner.SERVICE_SIGNING_NAME, SERVICE)
                        .putProperty(AwsV4HttpSigner.REGION_NAME, Fixtures.REGION)
                        .putProperty(AwsV4FamilyHttpSigner.PAYLOAD_SIGNING_ENABLED, false));
        return signed.request().headers();
    }
}
