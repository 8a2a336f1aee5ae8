package dev.trellis.benchmarks.api;

import dev.trellis.controlplane.identity.IdentityDirectory;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.http.apache.ProxyConfiguration;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
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
    private final Ec2Client ec2;
    private final Map<String, String> vpcs = new ConcurrentHashMap<>();

    LatticeClients(URI endpoint, IdentityDirectory.AdminCredentials admin, int count) {
        ec2 = Ec2Client.builder()
                .endpointOverride(endpoint)
                .region(REGION)
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(admin.accessKeyId(), admin.secretAccessKey())))
                .httpClientBuilder(ApacheHttpClient.builder()
                        .proxyConfiguration(ProxyConfiguration.builder()
                                .useSystemPropertyValues(false)
                                .useEnvironmentVariableValues(false)
                                .build()))
                .build();
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

    /**
     * The VPC the benchmark calls {@code key}, created with the EC2 API the first time it is asked for (untimed
     * setup: the Lattice API only accepts VPCs the account has created). Every VPC gets the same CIDR.
     */
    String vpc(String key) {
        return vpcs.computeIfAbsent(key, k -> ec2.createVpc(r -> r.cidrBlock("10.0.0.0/16")).vpc().vpcId());
    }

    int size() {
        return clients.size();
    }

    @Override
    public void close() {
        clients.forEach(VpcLatticeClient::close);
        ec2.close();
    }
}
