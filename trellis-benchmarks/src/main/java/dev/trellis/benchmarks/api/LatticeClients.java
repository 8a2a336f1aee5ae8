package dev.trellis.benchmarks.api;

import dev.trellis.controlplane.identity.IdentityDirectory;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.http.apache.ProxyConfiguration;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.vpclattice.VpcLatticeClient;

/**
 * The benchmark's API clients: the AWS SDK for Java v2 {@link VpcLatticeClient} over the Apache HTTP client, signed
 * with the admin's access key, so every call pays for SigV4 signing here and verification and identity-policy
 * authorization in the control plane. No retries (a failed call is counted, not hidden) and no proxy (the calls go
 * to 127.0.0.1 whatever HTTP_PROXY says).
 */
final class LatticeClients implements AutoCloseable {

    static final Region REGION = Region.US_WEST_2;

    private final List<VpcLatticeClient> clients = new ArrayList<>();

    LatticeClients(URI endpoint, IdentityDirectory.AdminCredentials admin, int count) {
        for (int i = 0; i < count; i++) {
            clients.add(VpcLatticeClient.builder()
                    .endpointOverride(endpoint)
                    .region(REGION)
                    .credentialsProvider(StaticCredentialsProvider.create(
                            AwsBasicCredentials.create(admin.accessKeyId(), admin.secretAccessKey())))
                    .httpClientBuilder(ApacheHttpClient.builder()
                            .maxConnections(2)
                            .proxyConfiguration(ProxyConfiguration.builder()
                                    .useSystemPropertyValues(false)
                                    .useEnvironmentVariableValues(false)
                                    .build()))
                    .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry())
                            .apiCallTimeout(Duration.ofSeconds(60)))
                    .build());
        }
    }

    VpcLatticeClient get(int i) {
        return clients.get(i);
    }

    int size() {
        return clients.size();
    }

    @Override
    public void close() {
        clients.forEach(VpcLatticeClient::close);
    }
}
