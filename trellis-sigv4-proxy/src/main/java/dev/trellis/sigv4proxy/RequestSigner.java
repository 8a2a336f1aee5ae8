package dev.trellis.sigv4proxy;

import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;

/**
 * Signs one outgoing request with the AWS SDK's SigV4 signer and returns the headers the signature covers and
 * produced. Only these are signed: {@code host}, {@code x-amz-date}, {@code x-amz-content-sha256} (when present),
 * {@code x-amz-security-token} (temporary credentials); the caller's other headers travel unsigned, as with
 * aws-sigv4-proxy, so an intermediary that adds a header does not break the signature.
 */
final class RequestSigner {

    static final String UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";
    static final String CONTENT_SHA256 = "x-amz-content-sha256";

    private final AwsV4HttpSigner signer = AwsV4HttpSigner.create();
    private final String signingName;
    private final String region;

    RequestSigner(String signingName, String region) {
        this.signingName = signingName;
        this.region = region;
    }

    /**
     * @param method the request method
     * @param uri the request target as received (raw path and query)
     * @param hostHeader the Host value sent upstream ({@code host} or {@code host:port})
     * @param body the whole body to hash, or null for {@code UNSIGNED-PAYLOAD}
     * @return the signed headers (including {@code Host}), to be set on the outgoing request
     */
    Map<String, List<String>> sign(String method, String uri, String hostHeader, byte[] body,
                                   AwsCredentialsIdentity credentials) {
        QueryStringDecoder decoder = new QueryStringDecoder(uri, StandardCharsets.UTF_8);
        String rawPath = decoder.rawPath().isEmpty() ? "/" : decoder.rawPath();
        HostAndPort host = HostAndPort.parse(hostHeader, 443);
        // The scheme is not part of the signature; https keeps the signer from hashing the payload of plain http
        // requests when payload signing is off (it insists on a payload hash over http).
        SdkHttpRequest.Builder request = SdkHttpRequest.builder()
                .method(SdkHttpMethod.fromValue(method))
                .protocol("https")
                .host(host.host())
                .port(host.port())
                .encodedPath(rawPath);
        decoder.parameters().forEach((name, values) -> values.forEach(v -> request.appendRawQueryParameter(name, v)));
        if (body == null) {
            request.putHeader(CONTENT_SHA256, UNSIGNED_PAYLOAD);
        }
        SignedRequest signed = signer.sign(r -> {
            r.identity(credentials)
                    .request(request.build())
                    .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, signingName)
                    .putProperty(AwsV4HttpSigner.REGION_NAME, region)
                    .putProperty(AwsV4HttpSigner.PAYLOAD_SIGNING_ENABLED, body != null);
            if (body != null) {
                r.payload(ContentStreamProvider.fromByteArray(body));
            }
        });
        return signed.request().headers();
    }

    /** A Host value split into host and port ({@code [v6]:port} too); {@code defaultPort} when it has none. */
    record HostAndPort(String host, int port) {
        static HostAndPort parse(String value, int defaultPort) {
            if (value.startsWith("[")) {
                int close = value.indexOf(']');
                String host = value.substring(0, close + 1);
                return close + 1 < value.length() && value.charAt(close + 1) == ':'
                        ? new HostAndPort(host, Integer.parseInt(value.substring(close + 2)))
                        : new HostAndPort(host, defaultPort);
            }
            int colon = value.lastIndexOf(':');
            if (colon > 0 && value.indexOf(':') == colon) {
                return new HostAndPort(value.substring(0, colon), Integer.parseInt(value.substring(colon + 1)));
            }
            return new HostAndPort(value, defaultPort);
        }

        /** How a URL or a Host header writes it: the port only when it is not the default. */
        String authority(int defaultPort) {
            return port == defaultPort ? host : host + ":" + port;
        }
    }
}
