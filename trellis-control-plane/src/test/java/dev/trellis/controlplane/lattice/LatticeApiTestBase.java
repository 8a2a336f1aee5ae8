package dev.trellis.controlplane.lattice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.auth.Principal;
import dev.trellis.controlplane.ControlPlaneConfig;
import dev.trellis.controlplane.api.Caller;
import dev.trellis.controlplane.ec2.Ec2Service;
import dev.trellis.controlplane.http.ApiServer;
import dev.trellis.controlplane.protocol.ApiException;
import dev.trellis.controlplane.protocol.ApiRequest;
import dev.trellis.controlplane.protocol.ApiResponse;
import dev.trellis.controlplane.store.Store;
import dev.trellis.controlplane.store.TestStores;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
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
import software.amazon.awssdk.services.vpclattice.VpcLatticeClient;
import software.amazon.awssdk.services.vpclattice.model.ForwardAction;
import software.amazon.awssdk.services.vpclattice.model.RuleAction;
import software.amazon.awssdk.services.vpclattice.model.TargetGroupConfig;
import software.amazon.awssdk.services.vpclattice.model.TargetGroupProtocol;
import software.amazon.awssdk.services.vpclattice.model.TargetGroupType;
import software.amazon.awssdk.services.vpclattice.model.VpcLatticeException;
import software.amazon.awssdk.services.vpclattice.model.WeightedTargetGroup;

/**
 * Runs the VPC Lattice API in-process on a real {@link ApiServer} (one per test class and store, for H2 and
 * PostgreSQL) and gives each test the real AWS SDK client of a fresh account, so tests never see each other's
 * resources or quota counts. The access key id of a client is its account id (authentication is not wired here).
 * VPCs are created with the EC2 API, called in-process for the test's account ({@link #vpc()}).
 */
abstract class LatticeApiTestBase {

    /** A valid auth policy: anyone may invoke. */
    static final String ALLOW_ALL_POLICY = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
            + "\"Principal\":\"*\",\"Action\":\"vpc-lattice-svcs:Invoke\",\"Resource\":\"*\"}]}";


    static final String REGION = "us-west-2";
    /** Small quotas so quota errors take few calls; the codes and behaviour are Lattice's. */
    static final ControlPlaneConfig.Quotas QUOTAS = new ControlPlaneConfig.Quotas(3, 30, 2, 3, 10, 3, 5, 2, 2);
    /** Calls of this account are refused by the authorizer. */
    static final String DENIED_ACCOUNT = "999999999999";

    static Store store;
    static ApiServer server;
    static LatticeService service;
    static Ec2Service ec2;
    /** Every authorization asked for: {@code <account> <action> <resource>}. */
    static final Queue<String> AUTHORIZATIONS = new ConcurrentLinkedQueue<>();

    @Parameter
    TestStores.Kind storeKind;

    VpcLatticeClient lattice;
    String account;
    private String defaultVpc;
    private final List<VpcLatticeClient> clients = new ArrayList<>();

    @BeforeParameterizedClassInvocation
    static void startServer(TestStores.Kind kind) throws InterruptedException {
        store = kind.open();
        ControlPlaneConfig config = new ControlPlaneConfig("aws", REGION, "111122223333",
                ControlPlaneConfig.defaultDnsSuffix(REGION), QUOTAS);
        service = new LatticeService(store, config, Clock.systemUTC(), (caller, action, resource) -> {
            AUTHORIZATIONS.add(caller.accountId() + " " + action + " " + resource);
            if (caller.accountId().equals(DENIED_ACCOUNT)) {
                throw new ApiException("AccessDeniedException", 403, "User: " + caller.principal().arn()
                        + " is not authorized to perform: " + action + " on resource: " + resource);
            }
        }, LatticeOperations.all());
        ec2 = new Ec2Service(store, config, Clock.systemUTC(), (caller, action, resource) -> { },
                new LatticeVpcDependents());
        server = ApiServer.start("127.0.0.1", 0, (request, id) -> {
            String account = accountOf(request);
            return service.handle(request, new Caller(Principal.accountRoot("aws", account), account, id));
        });
    }

    @AfterParameterizedClassInvocation
    static void stopServer() {
        if (server != null) {
            server.close();
            server = null; // a later invocation skipped (no PostgreSQL) runs this again
        }
        if (store != null) {
            store.close();
            store = null; // a later invocation skipped (no PostgreSQL) runs this again
        }
    }

    /** The account a request is made for: its SigV4 access key id. */
    private static String accountOf(ApiRequest request) {
        String authorization = request.header("Authorization");
        if (authorization != null) {
            int start = authorization.indexOf("Credential=");
            if (start >= 0) {
                int end = authorization.indexOf('/', start);
                return authorization.substring(start + "Credential=".length(), end);
            }
        }
        return "111122223333";
    }

    @BeforeEach
    void newAccountForEachTest() {
        account = randomAccount();
        lattice = client(account);
    }

    @AfterEach
    void closeClients() {
        clients.forEach(VpcLatticeClient::close);
        clients.clear();
    }

    static String randomAccount() {
        return String.valueOf(100_000_000_000L + ThreadLocalRandom.current().nextLong(800_000_000_000L));
    }

    static URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.port());
    }

    VpcLatticeClient client(String accountId) {
        VpcLatticeClient client = VpcLatticeClient.builder()
                .endpointOverride(endpoint())
                .region(Region.of(REGION))
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(accountId, "not-checked-here")))
                .httpClient(ApacheHttpClient.create())
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
                .build();
        clients.add(client);
        return client;
    }

    String arn(String resource) {
        return "arn:aws:vpc-lattice:" + REGION + ":" + account + ":" + resource;
    }

    /** Runs {@code call}, which must fail with {@code type}; returns the exception. */
    static <T extends VpcLatticeException> T failure(Class<T> type, Runnable call) {
        try {
            call.run();
        } catch (VpcLatticeException e) {
            assertThat(e).as("the error of the call").isInstanceOf(type);
            return type.cast(e);
        }
        throw new AssertionError("expected " + type.getSimpleName() + " but the call succeeded");
    }

    /** A new VPC of this test's account. Every test VPC has the CIDR 10.0.0.0/16: they overlap, as real ones may. */
    String vpc() {
        return createVpc(account);
    }

    /** The VPC {@link #createTargetGroup} puts groups in: created on first use. */
    String defaultVpc() {
        if (defaultVpc == null) {
            defaultVpc = vpc();
        }
        return defaultVpc;
    }

    private static final Pattern VPC_ID = Pattern.compile("<vpcId>(vpc-[0-9a-f]{17})</vpcId>");

    /** Creates a VPC in {@code accountId} through the EC2 API's CreateVpc, without HTTP or signing. */
    static String createVpc(String accountId) {
        ApiRequest request = new ApiRequest("POST", "/", "", Map.of(), ApiRequest.newHeaderMap(),
                "Action=CreateVpc&Version=2016-11-15&CidrBlock=10.0.0.0%2F16".getBytes(StandardCharsets.UTF_8));
        ApiResponse response = ec2.handle(request, new Caller(Principal.accountRoot("aws", accountId), accountId,
                "test-" + ThreadLocalRandom.current().nextInt()));
        String body = new String(response.body(), StandardCharsets.UTF_8);
        assertThat(response.status()).as(body).isEqualTo(200);
        Matcher vpcId = VPC_ID.matcher(body);
        assertThat(vpcId.find()).as(body).isTrue();
        return vpcId.group(1);
    }

    // Helpers that build resources the way most tests need them.

    String createServiceNetwork(String name) {
        return lattice.createServiceNetwork(r -> r.name(name)).id();
    }

    String createService(String name) {
        return lattice.createService(r -> r.name(name)).id();
    }

    String createTargetGroup(String name) {
        return lattice.createTargetGroup(r -> r.name(name).type(TargetGroupType.IP)
                .config(TargetGroupConfig.builder().protocol(TargetGroupProtocol.HTTP).port(3000)
                        .vpcIdentifier(defaultVpc()).build())).id();
    }

    static RuleAction forward(String... targetGroupIds) {
        return RuleAction.builder().forward(ForwardAction.builder().targetGroups(Arrays.stream(targetGroupIds)
                .map(id -> WeightedTargetGroup.builder().targetGroupIdentifier(id).build())
                .collect(Collectors.toList())).build()).build();
    }

    static WeightedTargetGroup weighted(String targetGroupId, int weight) {
        return WeightedTargetGroup.builder().targetGroupIdentifier(targetGroupId).weight(weight).build();
    }

    static RuleAction forward(WeightedTargetGroup... groups) {
        return RuleAction.builder().forward(ForwardAction.builder().targetGroups(groups).build()).build();
    }

    static RuleAction fixedResponse(int status) {
        return RuleAction.builder().fixedResponse(f -> f.statusCode(status)).build();
    }
}
