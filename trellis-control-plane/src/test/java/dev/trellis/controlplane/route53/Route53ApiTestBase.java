package dev.trellis.controlplane.route53;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.controlplane.ControlPlane;
import dev.trellis.controlplane.ControlPlaneConfig;
import dev.trellis.controlplane.TestVpcs;
import dev.trellis.controlplane.identity.IdentityDirectory;
import dev.trellis.controlplane.store.TestStores;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.route53.Route53Client;
import software.amazon.awssdk.services.route53.model.Route53Exception;

/**
 * A real control plane (bootstrapped admin, SigV4 on every call, identity-policy authorization) on H2 and on
 * PostgreSQL, one per test class and store, and the AWS SDK's {@link Route53Client} signed with the admin's key.
 * The client's region is {@code aws-global}, so it signs for us-east-1 as real SDKs sign Route 53, while the control
 * plane's region is us-west-2. Tests share the account: each names its zones and VPCs uniquely.
 */
abstract class Route53ApiTestBase {

    static final String REGION = "us-west-2";
    static final String ACCOUNT = "111122223333";

    static ControlPlane controlPlane;
    static IdentityDirectory.AdminCredentials admin;
    private static Path dataDir;

    @Parameter
    TestStores.Kind storeKind;

    Route53Client route53;
    private final List<Route53Client> clients = new ArrayList<>();

    @BeforeParameterizedClassInvocation
    static void startControlPlane(TestStores.Kind kind) throws InterruptedException {
        try {
            dataDir = Files.createTempDirectory("trellis-route53-test");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String store = kind == TestStores.Kind.H2 ? "h2" : TestStores.postgresUrlOfNewSchema();
        controlPlane = ControlPlane.start(new ControlPlane.Options(dataDir.resolve("data"), "127.0.0.1", 0, store,
                ControlPlaneConfig.defaults(REGION, ACCOUNT)), Clock.systemUTC());
        admin = controlPlane.firstStartCredentials().orElseThrow();
    }

    @AfterParameterizedClassInvocation
    static void stopControlPlane() {
        if (controlPlane != null) {
            controlPlane.close();
            controlPlane = null;
        }
    }

    @BeforeEach
    void adminClient() {
        route53 = client(admin.accessKeyId(), admin.secretAccessKey());
    }

    @AfterEach
    void closeClients() {
        clients.forEach(Route53Client::close);
        clients.clear();
    }

    Route53Client client(String accessKeyId, String secret) {
        Route53Client client = Route53Client.builder()
                .endpointOverride(controlPlane.endpoint())
                .region(Region.AWS_GLOBAL)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKeyId,
                        secret)))
                .httpClient(ApacheHttpClient.create())
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
                .build();
        clients.add(client);
        return client;
    }

    /** A new VPC, created with the EC2 API. */
    static String vpc() {
        return TestVpcs.create(controlPlane, admin);
    }

    /** A zone name no other test uses. */
    static String uniqueZoneName() {
        return "z" + UUID.randomUUID().toString().substring(0, 8) + ".sarathy.io";
    }

    static String reference() {
        return UUID.randomUUID().toString();
    }

    /** Creates a private zone for {@code vpcId}; returns its bare id. */
    String createZone(String name, String vpcId) {
        return route53.createHostedZone(r -> r.name(name).callerReference(reference())
                .vpc(v -> v.vpcRegion(REGION).vpcId(vpcId))
                .hostedZoneConfig(c -> c.privateZone(true))).hostedZone().id();
    }

    /** Runs {@code call}, which must fail with {@code type}; returns the exception. */
    static <T extends Route53Exception> T failure(Class<T> type, Runnable call) {
        try {
            call.run();
        } catch (Route53Exception e) {
            assertThat(e).as("the error of the call: %s", e.getMessage()).isInstanceOf(type);
            return type.cast(e);
        }
        throw new AssertionError("expected " + type.getSimpleName() + " but the call succeeded");
    }
}
