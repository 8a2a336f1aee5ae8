package dev.trellis.sigv4proxy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.StsClientBuilder;
import software.amazon.awssdk.services.sts.auth.StsAssumeRoleCredentialsProvider;
import software.amazon.awssdk.services.sts.auth.StsAssumeRoleWithWebIdentityCredentialsProvider;
import software.amazon.awssdk.services.sts.model.AssumeRoleWithWebIdentityRequest;

/**
 * The proxy's signing credentials: the AWS SDK's default chain (environment, profile, web identity token file +
 * role ARN, container and instance metadata), optionally with an explicit STS endpoint for the web identity
 * exchange, and optionally an AssumeRole on top ({@code --role-arn}). Every provider here is the SDK's own: they
 * cache temporary credentials and refresh them in the background before they expire.
 */
public final class ProxyCredentials {

    static final String WEB_IDENTITY_TOKEN_FILE = "AWS_WEB_IDENTITY_TOKEN_FILE";
    static final String ROLE_ARN = "AWS_ROLE_ARN";
    static final String ROLE_SESSION_NAME = "AWS_ROLE_SESSION_NAME";

    private ProxyCredentials() {
    }

    /**
     * The provider the proxy signs with.
     *
     * @param region the region of the STS client (and of its SigV4 scope for AssumeRole)
     * @param stsEndpoint STS endpoint, or null for the SDK's own resolution ({@code AWS_ENDPOINT_URL_STS},
     *     {@code AWS_ENDPOINT_URL}, else AWS's regional endpoint)
     * @param roleArn a role to assume with the chain's credentials, or null
     * @param env the environment to read {@code AWS_WEB_IDENTITY_TOKEN_FILE}, {@code AWS_ROLE_ARN} and
     *     {@code AWS_ROLE_SESSION_NAME} from (the SDK's own chain reads the process environment)
     */
    public static AwsCredentialsProvider create(String region, URI stsEndpoint, String roleArn,
                                                Map<String, String> env) {
        AwsCredentialsProvider base;
        String tokenFile = env.get(WEB_IDENTITY_TOKEN_FILE);
        String webIdentityRole = env.get(ROLE_ARN);
        if (stsEndpoint != null && tokenFile != null && webIdentityRole != null) {
            // The SDK's chain builds its own STS client; with an explicit endpoint we build the same provider here.
            Path token = Path.of(tokenFile);
            String sessionName = sessionName(env);
            StsClient sts = sts(region, stsEndpoint, AnonymousCredentialsProvider.create());
            base = StsAssumeRoleWithWebIdentityCredentialsProvider.builder()
                    .stsClient(sts)
                    // Read the token at each refresh: the kubelet rotates the projected token file.
                    .refreshRequest(() -> AssumeRoleWithWebIdentityRequest.builder()
                            .roleArn(webIdentityRole)
                            .roleSessionName(sessionName)
                            .webIdentityToken(readToken(token))
                            .build())
                    .asyncCredentialUpdateEnabled(true)
                    .build();
        } else {
            base = DefaultCredentialsProvider.builder().build();
        }
        if (roleArn == null) {
            return base;
        }
        String sessionName = sessionName(env);
        return StsAssumeRoleCredentialsProvider.builder()
                .stsClient(sts(region, stsEndpoint, base))
                .refreshRequest(r -> r.roleArn(roleArn).roleSessionName(sessionName))
                .asyncCredentialUpdateEnabled(true)
                .build();
    }

    private static StsClient sts(String region, URI endpoint, AwsCredentialsProvider credentials) {
        StsClientBuilder builder = StsClient.builder().region(Region.of(region)).credentialsProvider(credentials);
        if (endpoint != null) {
            builder.endpointOverride(endpoint);
        }
        return builder.build();
    }

    /** {@code AWS_ROLE_SESSION_NAME}, else {@code aws-sigv4-proxy-<host name>} as aws-sigv4-proxy names it. */
    static String sessionName(Map<String, String> env) {
        String configured = env.get(ROLE_SESSION_NAME);
        if (configured != null && !configured.isBlank()) {
            return configured;
        }
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "localhost";
        }
        String name = ("aws-sigv4-proxy-" + host).replaceAll("[^\\w+=,.@-]", "-");
        return name.length() > 64 ? name.substring(0, 64) : name;
    }

    private static String readToken(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the web identity token file " + file, e);
        }
    }
}
