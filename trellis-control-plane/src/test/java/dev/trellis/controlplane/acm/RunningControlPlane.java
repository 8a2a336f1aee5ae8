package dev.trellis.controlplane.acm;

import dev.trellis.controlplane.ControlPlane;
import dev.trellis.controlplane.ControlPlaneConfig;
import dev.trellis.controlplane.identity.IdentityDirectory;
import dev.trellis.controlplane.store.TestStores;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.acm.AcmClient;
import software.amazon.awssdk.services.vpclattice.VpcLatticeClient;

/**
 * A real control plane for tests (what {@code trellis server} runs) on H2 or on PostgreSQL, with the AWS SDK
 * clients of its bootstrapped admin.
 */
final class RunningControlPlane implements AutoCloseable {

    static final String REGION = "us-west-2";
    static final String ACCOUNT = "111122223333";

    final Path dataDir;
    final String store;
    final ControlPlane controlPlane;
    final IdentityDirectory.AdminCredentials admin;
    private final List<AutoCloseable> clients = new ArrayList<>();

    private RunningControlPlane(Path dataDir, String store, ControlPlane controlPlane) {
        this.dataDir = dataDir;
        this.store = store;
        this.controlPlane = controlPlane;
        this.admin = controlPlane.firstStartCredentials().orElseThrow();
    }

    static RunningControlPlane start(Path dataDir, TestStores.Kind kind) throws InterruptedException {
        String store = kind == TestStores.Kind.H2 ? "h2" : postgresSchemaUrl();
        return new RunningControlPlane(dataDir, store, startControlPlane(dataDir, store));
    }

    static ControlPlane startControlPlane(Path dataDir, String store) throws InterruptedException {
        return ControlPlane.start(new ControlPlane.Options(dataDir, "127.0.0.1", 0, store,
                ControlPlaneConfig.defaults(REGION, ACCOUNT)), Clock.systemUTC());
    }

    /** A new schema in the test PostgreSQL database (skips where there is none, as TestStores does). */
    static String postgresSchemaUrl() {
        String url = TestStores.postgresUrl();
        String schema = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16)
                .toLowerCase(Locale.ROOT);
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + schema);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create a test schema: " + e.getMessage(), e);
        }
        return url + (url.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    }

    AcmClient acm() {
        return acm(admin.accessKeyId(), admin.secretAccessKey());
    }

    AcmClient acm(String accessKeyId, String secret) {
        AcmClient client = AcmClient.builder()
                .endpointOverride(controlPlane.endpoint())
                .region(Region.of(REGION))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKeyId, secret)))
                .httpClient(ApacheHttpClient.create())
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
                .build();
        clients.add(client);
        return client;
    }

    VpcLatticeClient lattice() {
        VpcLatticeClient client = VpcLatticeClient.builder()
                .endpointOverride(controlPlane.endpoint())
                .region(Region.of(REGION))
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(admin.accessKeyId(), admin.secretAccessKey())))
                .httpClient(ApacheHttpClient.create())
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
                .build();
        clients.add(client);
        return client;
    }

    @Override
    public void close() {
        for (AutoCloseable client : clients) {
            try {
                client.close();
            } catch (Exception e) {
                // closing a test client: nothing to do
            }
        }
        controlPlane.close();
    }
}
