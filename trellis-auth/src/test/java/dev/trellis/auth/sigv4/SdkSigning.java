package dev.trellis.auth.sigv4;

import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpFullRequest;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4aHttpSigner;
import software.amazon.awssdk.http.auth.aws.signer.RegionSet;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.identity.spi.AwsSessionCredentialsIdentity;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Signs requests with the AWS SDK for Java v2 signers ({@code http-auth-aws}; SigV4A through the CRT) and turns the
 * signed SDK request into what an HTTP server would hand the verifier.
 */
final class SdkSigning {

    private SdkSigning() {
    }

    /** A request to sign: an SDK request plus its body (may be empty). */
    record Unsigned(SdkHttpFullRequest request, byte[] body) {
        static Unsigned of(SdkHttpMethod method, String host, String encodedPath, String encodedQuery,
                           Map<String, String> headers, String body) {
            SdkHttpFullRequest.Builder builder = SdkHttpFullRequest.builder()
                    .method(method).protocol("https").host(host).encodedPath(encodedPath);
            if (encodedQuery != null && !encodedQuery.isEmpty()) {
                for (String pair : encodedQuery.split("&")) {
                    int eq = pair.indexOf('=');
                    // The SDK re-encodes raw query values: give it decoded ones.
                    builder.appendRawQueryParameter(CanonicalEncoding.decode(eq < 0 ? pair : pair.substring(0, eq)),
                            eq < 0 ? null : CanonicalEncoding.decode(pair.substring(eq + 1)));
                }
            }
            headers.forEach(builder::putHeader);
            byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
            if (bytes.length > 0) {
                builder.putHeader("Content-Length", Integer.toString(bytes.length));
            }
            return new Unsigned(builder.build(), bytes);
        }
    }

    /** How to sign. */
    record Options(String signingName, String region, String accessKeyId, String secretAccessKey, String sessionToken,
                   boolean presigned, Duration expiresIn, boolean payloadSigning, Clock clock) {
        Options withPresigned(boolean value) {
            return new Options(signingName, region, accessKeyId, secretAccessKey, sessionToken, value, expiresIn,
                    payloadSigning, clock);
        }

        Options withSecret(String secret) {
            return new Options(signingName, region, accessKeyId, secret, sessionToken, presigned, expiresIn,
                    payloadSigning, clock);
        }

        AwsCredentialsIdentity identity() {
            return sessionToken == null ? AwsCredentialsIdentity.create(accessKeyId, secretAccessKey)
                    : AwsSessionCredentialsIdentity.create(accessKeyId, secretAccessKey, sessionToken);
        }
    }

    /** Signs with {@link AwsV4HttpSigner} and returns what the server receives (body bytes known). */
    static SignedRequest signV4(Unsigned unsigned, Options options) {
        return signV4(unsigned, options, true);
    }

    /** As {@link #signV4(Unsigned, Options)}; {@code bodyRead=false} emulates the gateway, which streams bodies. */
    static SignedRequest signV4(Unsigned unsigned, Options options, boolean bodyRead) {
        AwsV4HttpSigner signer = AwsV4HttpSigner.create();
        software.amazon.awssdk.http.auth.spi.signer.SignedRequest signed = signer.sign(
                (SignRequest.Builder<AwsCredentialsIdentity> r) -> common(r, unsigned, options)
                        .putProperty(AwsV4HttpSigner.REGION_NAME, options.region()));
        return received(signed.request(), bodyRead ? unsigned.body() : null);
    }

    /** Signs with {@link AwsV4aHttpSigner} (needs the AWS CRT native library); the body is not read. */
    static SignedRequest signV4a(Unsigned unsigned, Options options, String regionSet) {
        AwsV4aHttpSigner signer = AwsV4aHttpSigner.create();
        software.amazon.awssdk.http.auth.spi.signer.SignedRequest signed = signer.sign(
                (SignRequest.Builder<AwsCredentialsIdentity> r) -> common(r, unsigned, options)
                        .putProperty(AwsV4aHttpSigner.REGION_SET, RegionSet.create(regionSet)));
        return received(signed.request(), null);
    }

    private static SignRequest.Builder<AwsCredentialsIdentity> common(SignRequest.Builder<AwsCredentialsIdentity> r,
                                                                      Unsigned unsigned, Options options) {
        r.identity(options.identity())
                .request(unsigned.request())
                .putProperty(AwsV4FamilyHttpSigner.SERVICE_SIGNING_NAME, options.signingName())
                .putProperty(AwsV4FamilyHttpSigner.PAYLOAD_SIGNING_ENABLED, options.payloadSigning())
                .putProperty(HttpSigner.SIGNING_CLOCK, options.clock());
        if (unsigned.body().length > 0) {
            r.payload(ContentStreamProvider.fromByteArray(unsigned.body()));
        }
        if (options.presigned()) {
            r.putProperty(AwsV4FamilyHttpSigner.AUTH_LOCATION, AwsV4FamilyHttpSigner.AuthLocation.QUERY_STRING)
                    .putProperty(AwsV4FamilyHttpSigner.EXPIRATION_DURATION, options.expiresIn());
        }
        return r;
    }

    /**
     * The signed SDK request as an HTTP server would receive it (Host added as the HTTP client would); a null body
     * means the server did not read it.
     */
    static SignedRequest received(SdkHttpRequest request, byte[] body) {
        String target = request.encodedPath().isEmpty() ? "/" : request.encodedPath();
        String query = request.encodedQueryParameters().orElse("");
        SignedRequest.Builder builder = SignedRequest.builder(request.method().name(),
                query.isEmpty() ? target : target + "?" + query);
        boolean hasHost = false;
        for (Map.Entry<String, List<String>> header : request.headers().entrySet()) {
            hasHost |= header.getKey().equalsIgnoreCase("host");
            for (String value : header.getValue()) {
                builder.header(header.getKey(), value);
            }
        }
        if (!hasHost) {
            builder.header("Host", request.host());
        }
        return body == null ? builder.bodyNotRead().build() : builder.body(body).build();
    }
}
