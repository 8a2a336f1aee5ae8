package dev.trellis.controlplane.ec2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trellis.controlplane.ControlPlane;
import dev.trellis.controlplane.ControlPlaneConfig;
import dev.trellis.controlplane.identity.IdentityDirectory;
import dev.trellis.controlplane.store.TestStores;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.DescribeVpcsResponse;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.TagSpecification;
import software.amazon.awssdk.services.ec2.model.Tenancy;
import software.amazon.awssdk.services.ec2.model.Vpc;
import software.amazon.awssdk.services.ec2.model.VpcCidrBlockAssociation;
import software.amazon.awssdk.services.ec2.model.VpcCidrBlockStateCode;
import software.amazon.awssdk.services.ec2.model.VpcState;
import software.amazon.awssdk.services.vpclattice.VpcLatticeClient;
import software.amazon.awssdk.services.vpclattice.model.ResourceNotFoundException;
import software.amazon.awssdk.services.vpclattice.model.TargetGroupProtocol;
import software.amazon.awssdk.services.vpclattice.model.TargetGroupType;

/**
 * The EC2 subset through the AWS SDK for Java v2 {@code Ec2Client}, against a real control plane (real SigV4, the
 * bootstrapped admin), on H2 and on PostgreSQL. Tests share the admin's account, so each one tags its VPCs with a
 * run label and filters by it.
 */
@ParameterizedClass
@EnumSource(TestStores.Kind.class)
class Ec2ApiTest {

    private static final String ACCOUNT = "111122223333";
    private static final String AUTH_FAILURE = "AWS was not able to validate the provided access credentials";

    static ControlPlane controlPlane;
    static Path dataDir;

    @Parameter
    TestStores.Kind storeKind;

    private final List<AutoCloseable> clients = new ArrayList<>();
    private Ec2Client ec2;
    /** The value of the {@code run} tag of this test's VPCs. */
    private String run;

    @BeforeParameterizedClassInvocation
    static void startControlPlane(TestStores.Kind kind) throws Exception {
        dataDir = Files.createTempDirectory("trellis-ec2-test");
        String store = kind == TestStores.Kind.H2 ? "h2" : TestStores.postgresUrlOfNewSchema();
        controlPlane = ControlPlane.start(new ControlPlane.Options(dataDir, "127.0.0.1", 0, store,
                ControlPlaneConfig.defaults("us-west-2", ACCOUNT)), Clock.systemUTC());
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
        IdentityDirectory.AdminCredentials admin = controlPlane.firstStartCredentials().orElseThrow();
        ec2 = ec2(admin.accessKeyId(), admin.secretAccessKey());
        run = UUID.randomUUID().toString();
    }

    @AfterEach
    void closeClients() throws Exception {
        for (AutoCloseable client : clients) {
            client.close();
        }
        clients.clear();
    }

    private Ec2Client ec2(String accessKeyId, String secret) {
        Ec2Client client = Ec2Client.builder()
                .endpointOverride(controlPlane.endpoint())
                .region(Region.US_WEST_2)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKeyId, secret)))
                .httpClient(ApacheHttpClient.create())
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
                .build();
        clients.add(client);
        return client;
    }

    private VpcLatticeClient lattice() {
        IdentityDirectory.AdminCredentials admin = controlPlane.firstStartCredentials().orElseThrow();
        VpcLatticeClient client = VpcLatticeClient.builder()
                .endpointOverride(controlPlane.endpoint())
                .region(Region.US_WEST_2)
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(admin.accessKeyId(), admin.secretAccessKey())))
                .httpClient(ApacheHttpClient.create())
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
                .build();
        clients.add(client);
        return client;
    }

    private static Tag tag(String key, String value) {
        return Tag.builder().key(key).value(value).build();
    }

    private static Filter filter(String name, String... values) {
        return Filter.builder().name(name).values(values).build();
    }

    /** Creates a VPC tagged with this test's run label and the given tags. */
    private Vpc createVpc(String cidr, Tag... tags) {
        List<Tag> all = new ArrayList<>(List.of(tag("run", run)));
        all.addAll(List.of(tags));
        return ec2.createVpc(r -> r.cidrBlock(cidr).tagSpecifications(TagSpecification.builder()
                .resourceType(ResourceType.VPC).tags(all).build())).vpc();
    }

    /** The ids of this test's VPCs that pass {@code filters}, in creation order. */
    private List<String> ids(Filter... filters) {
        List<Filter> all = new ArrayList<>(List.of(filter("tag:run", run)));
        all.addAll(List.of(filters));
        return ec2.describeVpcs(r -> r.filters(all)).vpcs().stream().map(Vpc::vpcId).collect(Collectors.toList());
    }

    private static Ec2Exception failure(Runnable call) {
        try {
            call.run();
        } catch (Ec2Exception e) {
            return e;
        }
        throw new AssertionError("expected an Ec2Exception but the call succeeded");
    }

    private static void assertError(Ec2Exception e, int status, String code, String message) {
        assertThat(e.statusCode()).as(e.getMessage()).isEqualTo(status);
        assertThat(e.awsErrorDetails().errorCode()).as(e.getMessage()).isEqualTo(code);
        assertThat(e.awsErrorDetails().errorMessage()).isEqualTo(message);
    }

    @Test
    void createsTwoVpcsWithTheSameCidrBlock() {
        Vpc a = createVpc("10.0.0.0/16");
        Vpc b = createVpc("10.0.0.0/16");

        assertThat(a.vpcId()).matches("vpc-[0-9a-f]{17}").isNotEqualTo(b.vpcId());
        for (Vpc vpc : List.of(a, b)) {
            assertThat(vpc.state()).isEqualTo(VpcState.AVAILABLE);
            assertThat(vpc.cidrBlock()).isEqualTo("10.0.0.0/16");
            assertThat(vpc.ownerId()).isEqualTo(ACCOUNT);
            assertThat(vpc.isDefault()).isFalse();
            assertThat(vpc.instanceTenancy()).isEqualTo(Tenancy.DEFAULT);
            assertThat(vpc.dhcpOptionsId()).isEqualTo("default");
            assertThat(vpc.cidrBlockAssociationSet()).hasSize(1);
            VpcCidrBlockAssociation association = vpc.cidrBlockAssociationSet().get(0);
            assertThat(association.associationId()).matches("vpc-cidr-assoc-[0-9a-f]{17}");
            assertThat(association.cidrBlock()).isEqualTo("10.0.0.0/16");
            assertThat(association.cidrBlockState().state()).isEqualTo(VpcCidrBlockStateCode.ASSOCIATED);
        }
        List<Vpc> described = ec2.describeVpcs(r -> r.vpcIds(b.vpcId(), a.vpcId())).vpcs();
        assertThat(described).extracting(Vpc::vpcId).containsExactly(a.vpcId(), b.vpcId());
        assertThat(described).extracting(Vpc::cidrBlock).containsOnly("10.0.0.0/16");
        assertThat(described.get(0)).isEqualTo(a);
    }

    @Test
    void canonicalisesTheCidrBlockAndTakesNetmasksFrom16To28() {
        assertThat(createVpc("100.68.0.18/18").cidrBlock()).isEqualTo("100.68.0.0/18");
        assertThat(createVpc("192.168.7.200/28").cidrBlock()).isEqualTo("192.168.7.192/28");
        assertThat(createVpc("172.16.0.0/16").cidrBlock()).isEqualTo("172.16.0.0/16");
    }

    @Test
    void rejectsMissingMalformedAndOutOfRangeCidrBlocks() {
        assertError(failure(() -> ec2.createVpc(r -> { })), 400, "MissingParameter",
                "Either 'cidrBlock' or 'ipv4IpamPoolId' should be provided.");
        for (String malformed : List.of("10.0.0.0", "10.0.0/16", "300.0.0.0/16", "10.0.0.0/33", "ten/16", "")) {
            assertError(failure(() -> ec2.createVpc(r -> r.cidrBlock(malformed))), 400, "InvalidParameterValue",
                    "Value (" + malformed + ") for parameter cidrBlock is invalid. This is not a valid CIDR block.");
        }
        for (String outOfRange : List.of("10.0.0.0/8", "10.0.0.0/15", "10.0.0.0/29", "10.0.0.1/32")) {
            assertError(failure(() -> ec2.createVpc(r -> r.cidrBlock(outOfRange))), 400, "InvalidVpc.Range",
                    "The CIDR '" + outOfRange + "' is invalid. A VPC's netmask must be between /16 and /28.");
        }
        assertThat(ids()).isEmpty();
    }

    @Test
    void tagsAVpcAtCreationAndWithCreateAndDeleteTags() {
        Vpc vpc = createVpc("10.1.0.0/16", tag("Name", "vpc-a"), tag("team", "datastore"));
        assertThat(vpc.tags()).containsExactly(tag("run", run), tag("Name", "vpc-a"), tag("team", "datastore"));

        ec2.createTags(r -> r.resources(vpc.vpcId()).tags(tag("team", "frontend"), tag("env", "")));
        assertThat(describe(vpc.vpcId()).tags()).containsExactly(tag("run", run), tag("Name", "vpc-a"),
                tag("team", "frontend"), tag("env", ""));

        ec2.deleteTags(r -> r.resources(vpc.vpcId()).tags(Tag.builder().key("Name").build(),
                tag("team", "not-its-value")));
        assertThat(describe(vpc.vpcId()).tags()).containsExactly(tag("run", run), tag("team", "frontend"),
                tag("env", ""));

        ec2.deleteTags(r -> r.resources(vpc.vpcId()));
        assertThat(describe(vpc.vpcId()).hasTags()).isFalse();
    }

    @Test
    void rejectsReservedLongAndTooManyTags() {
        Vpc vpc = createVpc("10.2.0.0/16");

        assertError(failure(() -> ec2.createTags(r -> r.resources(vpc.vpcId()).tags(tag("aws:owner", "me")))), 400,
                "InvalidParameterValue", "Value (aws:owner) for parameter Tag.1.Key is invalid. Tag keys starting"
                        + " with 'aws:' are reserved for AWS.");
        assertError(failure(() -> ec2.createTags(r -> r.resources(vpc.vpcId()).tags(tag("k".repeat(128), "v")))),
                400, "InvalidParameterValue", "Value (" + "k".repeat(128) + ") for parameter Tag.1.Key is invalid."
                        + " Tag keys must be 1-127 characters.");
        List<Tag> many = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            many.add(tag("k" + i, "v"));
        }
        assertError(failure(() -> ec2.createTags(r -> r.resources(vpc.vpcId()).tags(many))), 400,
                "TagLimitExceeded", "The maximum number of tags for a resource is 50; " + vpc.vpcId()
                        + " would have 51");
        assertError(failure(() -> ec2.createTags(r -> r.resources("subnet-0123456789abcdef0").tags(tag("a", "b")))),
                400, "InvalidID", "The ID 'subnet-0123456789abcdef0' is not valid. Trellis tags VPCs only.");
        assertThat(describe(vpc.vpcId()).tags()).containsExactly(tag("run", run));
    }

    private Vpc describe(String vpcId) {
        return ec2.describeVpcs(r -> r.vpcIds(vpcId)).vpcs().get(0);
    }

    @Test
    void describesVpcsWithEveryFilter() {
        Vpc a = createVpc("10.0.0.0/16", tag("Name", "cluster-a"), tag("tier", "web"));
        Vpc b = createVpc("10.0.0.0/16", tag("Name", "cluster-b"));
        Vpc c = createVpc("172.31.0.0/20", tag("Name", "Other*"));
        String association = a.cidrBlockAssociationSet().get(0).associationId();

        assertThat(ids()).containsExactly(a.vpcId(), b.vpcId(), c.vpcId());
        assertThat(ids(filter("vpc-id", b.vpcId(), c.vpcId()))).containsExactly(b.vpcId(), c.vpcId());
        assertThat(ids(filter("cidr", "10.0.0.0/16"))).containsExactly(a.vpcId(), b.vpcId());
        assertThat(ids(filter("cidr-block-association.cidr-block", "172.31.0.0/20"))).containsExactly(c.vpcId());
        assertThat(ids(filter("cidr-block-association.association-id", association))).containsExactly(a.vpcId());
        assertThat(ids(filter("cidr-block-association.state", "associated"))).hasSize(3);
        assertThat(ids(filter("dhcp-options-id", "default"))).hasSize(3);
        assertThat(ids(filter("is-default", "false"))).hasSize(3);
        assertThat(ids(filter("is-default", "true"))).isEmpty();
        assertThat(ids(filter("owner-id", ACCOUNT))).hasSize(3);
        assertThat(ids(filter("owner-id", "999999999999"))).isEmpty();
        assertThat(ids(filter("state", "available"))).hasSize(3);
        assertThat(ids(filter("state", "pending"))).isEmpty();
        assertThat(ids(filter("tag:Name", "cluster-b"))).containsExactly(b.vpcId());
        assertThat(ids(filter("tag:Name", "cluster-*"))).containsExactly(a.vpcId(), b.vpcId());
        assertThat(ids(filter("tag:Name", "cluster-?"))).containsExactly(a.vpcId(), b.vpcId());
        assertThat(ids(filter("tag:Name", "Other\\*"))).containsExactly(c.vpcId());
        assertThat(ids(filter("tag:name", "cluster-a"))).as("tag keys are case-sensitive").isEmpty();
        assertThat(ids(filter("tag-key", "tier"))).containsExactly(a.vpcId());
        assertThat(ids(filter("tag-key", "ti*"))).containsExactly(a.vpcId());
        assertThat(ids(filter("ipv6-cidr-block-association.ipv6-cidr-block", "*"))).isEmpty();
        assertThat(ids(filter("cidr", "10.0.0.0/16"), filter("tag:Name", "cluster-b", "Other*")))
                .as("filters are ANDed, values ORed").containsExactly(b.vpcId());
        assertThat(ec2.describeVpcs(r -> r.vpcIds(a.vpcId(), c.vpcId()).filters(filter("cidr", "172.31.0.0/20")))
                .vpcs()).extracting(Vpc::vpcId).containsExactly(c.vpcId());
    }

    @Test
    void rejectsFiltersEc2DoesNotHaveForVpcs() {
        assertError(failure(() -> ids(filter("subnet-id", "subnet-0123456789abcdef0"))), 400,
                "InvalidParameterValue", "The filter 'subnet-id' is invalid");
        assertError(failure(() -> ids(filter("cidr-block", "10.0.0.0/16"))), 400, "InvalidParameterValue",
                "The filter 'cidr-block' is invalid");
        assertError(failure(() -> ids(filter("tag:Name", "x".repeat(256)))), 400, "FilterLimitExceeded",
                "The maximum length for a filter value is 255 characters");
    }

    @Test
    void pagesThroughVpcsWithMaxResultsAndNextToken() {
        List<String> created = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            created.add(createVpc("10.9.0.0/16").vpcId());
        }

        DescribeVpcsResponse first = ec2.describeVpcs(r -> r.filters(filter("tag:run", run)).maxResults(5));
        DescribeVpcsResponse second = ec2.describeVpcs(r -> r.filters(filter("tag:run", run)).maxResults(5)
                .nextToken(first.nextToken()));

        assertThat(first.vpcs()).extracting(Vpc::vpcId).containsExactlyElementsOf(created.subList(0, 5));
        assertThat(first.nextToken()).isNotBlank();
        assertThat(second.vpcs()).extracting(Vpc::vpcId).containsExactlyElementsOf(created.subList(5, 7));
        assertThat(second.nextToken()).isNull();
        assertThat(ec2.describeVpcsPaginator(r -> r.filters(filter("tag:run", run)).maxResults(5)).vpcs().stream()
                .map(Vpc::vpcId).collect(Collectors.toList())).containsExactlyElementsOf(created);
        assertThat(ec2.describeVpcs(r -> r.filters(filter("tag:run", run))).nextToken())
                .as("without MaxResults, everything at once").isNull();
    }

    @Test
    void takesMaxResultsFrom5To1000AndOnlyItsOwnTokens() {
        assertError(failure(() -> ec2.describeVpcs(r -> r.maxResults(4))), 400, "InvalidParameterValue",
                "Value ( 4 ) for parameter maxResults is invalid. Expecting a value from 5 to 1000.");
        assertError(failure(() -> ec2.describeVpcs(r -> r.maxResults(1001))), 400, "InvalidParameterValue",
                "Value ( 1001 ) for parameter maxResults is invalid. Expecting a value from 5 to 1000.");
        assertError(failure(() -> ec2.describeVpcs(r -> r.nextToken("not-a-token"))), 400, "InvalidParameterValue",
                "Value ( not-a-token ) for parameter NextToken is invalid. The token is invalid.");
        assertThat(ec2.describeVpcs(r -> r.maxResults(1000)).vpcs()).isNotNull();
    }

    @Test
    void answersUnknownAndMalformedVpcIdsAsEc2Does() {
        String unknown = "vpc-0123456789abcdef0";
        String another = "vpc-0fedcba9876543210";

        assertError(failure(() -> ec2.describeVpcs(r -> r.vpcIds(unknown))), 400, "InvalidVpcID.NotFound",
                "The vpc ID 'vpc-0123456789abcdef0' does not exist");
        assertError(failure(() -> ec2.describeVpcs(r -> r.vpcIds(unknown, createVpc("10.0.0.0/16").vpcId(),
                another))), 400, "InvalidVpcID.NotFound",
                "The vpc IDs 'vpc-0123456789abcdef0, vpc-0fedcba9876543210' do not exist");
        assertError(failure(() -> ec2.describeVpcs(r -> r.vpcIds("vpc-nope"))), 400, "InvalidVpcID.Malformed",
                "Invalid id: \"vpc-nope\" (expecting \"vpc-...\")");
        assertError(failure(() -> ec2.deleteVpc(r -> r.vpcId(unknown))), 400, "InvalidVpcID.NotFound",
                "The vpc ID 'vpc-0123456789abcdef0' does not exist");
        assertError(failure(() -> ec2.deleteVpc(r -> r.vpcId("VPC-0123456789ABCDEF0"))), 400,
                "InvalidVpcID.Malformed", "Invalid id: \"VPC-0123456789ABCDEF0\" (expecting \"vpc-...\")");
        assertError(failure(() -> ec2.createTags(r -> r.resources(unknown).tags(tag("a", "b")))), 400,
                "InvalidVpcID.NotFound", "The vpc ID 'vpc-0123456789abcdef0' does not exist");
    }

    @Test
    void deletesAVpc() {
        Vpc vpc = createVpc("10.0.0.0/16");

        ec2.deleteVpc(r -> r.vpcId(vpc.vpcId()));

        assertThat(ids()).isEmpty();
        assertError(failure(() -> ec2.deleteVpc(r -> r.vpcId(vpc.vpcId()))), 400, "InvalidVpcID.NotFound",
                "The vpc ID '" + vpc.vpcId() + "' does not exist");
    }

    @Test
    void refusesToDeleteAVpcThatLatticeUsesUntilNothingDoes() {
        String vpc = createVpc("10.0.0.0/16").vpcId();
        VpcLatticeClient lattice = lattice();
        String sn = lattice.createServiceNetwork(r -> r.name("net-" + run.substring(0, 8))).id();
        String association = lattice.createServiceNetworkVpcAssociation(r -> r.serviceNetworkIdentifier(sn)
                .vpcIdentifier(vpc)).id();
        String group = lattice.createTargetGroup(r -> r.name("group-" + run.substring(0, 8)).type(TargetGroupType.IP)
                .config(c -> c.protocol(TargetGroupProtocol.HTTP).vpcIdentifier(vpc))).id();

        assertError(failure(() -> ec2.deleteVpc(r -> r.vpcId(vpc))), 400, "DependencyViolation",
                "The vpc '" + vpc + "' has dependencies and cannot be deleted. It is used by service network VPC"
                        + " association " + association + " (service network " + sn + "), target group " + group
                        + " (group-" + run.substring(0, 8) + ").");
        lattice.deleteServiceNetworkVpcAssociation(r -> r.serviceNetworkVpcAssociationIdentifier(association));
        assertThat(failure(() -> ec2.deleteVpc(r -> r.vpcId(vpc))).awsErrorDetails().errorMessage())
                .endsWith("It is used by target group " + group + " (group-" + run.substring(0, 8) + ").");
        lattice.deleteTargetGroup(r -> r.targetGroupIdentifier(group));

        ec2.deleteVpc(r -> r.vpcId(vpc));

        assertThat(ids()).isEmpty();
        assertThatThrownBy(() -> lattice.createServiceNetworkVpcAssociation(r -> r.serviceNetworkIdentifier(sn)
                .vpcIdentifier(vpc))).isInstanceOf(ResourceNotFoundException.class);
    }

    @Test
    void answersADryRunWithDryRunOperationAndChangesNothing() {
        Vpc vpc = createVpc("10.0.0.0/16");

        assertError(failure(() -> ec2.createVpc(r -> r.cidrBlock("10.0.0.0/16").dryRun(true)
                .tagSpecifications(TagSpecification.builder().resourceType(ResourceType.VPC)
                        .tags(tag("run", run)).build()))), 412, "DryRunOperation",
                "Request would have succeeded, but DryRun flag is set.");
        assertError(failure(() -> ec2.deleteVpc(r -> r.vpcId(vpc.vpcId()).dryRun(true))), 412, "DryRunOperation",
                "Request would have succeeded, but DryRun flag is set.");
        assertError(failure(() -> ec2.describeVpcs(r -> r.dryRun(true))), 412, "DryRunOperation",
                "Request would have succeeded, but DryRun flag is set.");
        assertError(failure(() -> ec2.createTags(r -> r.resources(vpc.vpcId()).tags(tag("a", "b")).dryRun(true))),
                412, "DryRunOperation", "Request would have succeeded, but DryRun flag is set.");

        assertThat(ids()).containsExactly(vpc.vpcId());
        assertThat(describe(vpc.vpcId()).tags()).containsExactly(tag("run", run));
    }

    @Test
    void aWrongSecretIsAuthFailureAsTheSdkParsesIt() {
        IdentityDirectory.AdminCredentials admin = controlPlane.firstStartCredentials().orElseThrow();
        Ec2Client wrong = ec2(admin.accessKeyId(), "not-the-secret");

        assertError(failure(() -> wrong.describeVpcs()), 401, "AuthFailure", AUTH_FAILURE);
        assertError(failure(() -> ec2("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
                .describeVpcs()), 401, "AuthFailure", AUTH_FAILURE);
    }

    @Test
    void aUserWithoutEc2PermissionsIsUnauthorizedOperation() {
        IdentityDirectory directory = new IdentityDirectory(controlPlane.store(),
                ControlPlaneConfig.defaults("us-west-2", ACCOUNT), Clock.systemUTC());
        IdentityDirectory.AccessKey reader = directory.createUserWithAccessKey("reader-" + run.substring(0, 8),
                Map.of("describe-only", "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                        + "\"Action\":\"ec2:Describe*\",\"Resource\":\"*\"}]}"));
        Ec2Client readOnly = ec2(reader.accessKeyId(), reader.secretAccessKey());

        assertThat(readOnly.describeVpcs(r -> r.filters(filter("tag:run", run))).vpcs()).isEmpty();
        Ec2Exception e = failure(() -> readOnly.createVpc(r -> r.cidrBlock("10.0.0.0/16")));

        assertThat(e.statusCode()).isEqualTo(403);
        assertThat(e.awsErrorDetails().errorCode()).isEqualTo("UnauthorizedOperation");
        assertThat(e.awsErrorDetails().errorMessage()).matches("You are not authorized to perform this operation\\."
                + " User: arn:aws:iam::111122223333:user/reader-[0-9a-f-]{8} is not authorized to perform:"
                + " ec2:CreateVpc on resource: arn:aws:ec2:us-west-2:111122223333:vpc/vpc-[0-9a-f]{17} because no"
                + " identity-based policy allows the ec2:CreateVpc action");
        Ec2Exception dryRun = failure(() -> readOnly.createVpc(r -> r.cidrBlock("10.0.0.0/16").dryRun(true)));
        assertThat(dryRun.awsErrorDetails().errorCode()).as("a dry run checks permissions")
                .isEqualTo("UnauthorizedOperation");
    }

    @Test
    void answersAnUnsignedEc2RequestInEc2sErrorFormat() throws IOException, InterruptedException {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(controlPlane.endpoint() + "/"))
                .header("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofString("Action=DescribeVpcs&Version=2016-11-15")).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.headers().firstValue("Content-Type")).contains("text/xml;charset=UTF-8");
        String requestId = response.headers().firstValue("x-amzn-RequestId").orElseThrow();
        assertThat(response.body()).isEqualTo("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error>"
                + "<Code>MissingParameter</Code><Message>The request must contain the parameter AWSAccessKeyId"
                + "</Message></Error></Errors><RequestID>" + requestId + "</RequestID></Response>");
    }

    @Test
    void answersAQueryStringWithAMalformedEscapeWith400InsteadOfDroppingTheConnection() throws IOException {
        try (Socket socket = new Socket(controlPlane.endpoint().getHost(), controlPlane.endpoint().getPort())) {
            socket.getOutputStream().write(("GET /?Action=DescribeVpcs&Version=2016-11-15&VpcId.1=%zz HTTP/1.1\r\n"
                    + "Host: localhost\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

            assertThat(response).startsWith("HTTP/1.1 400 Bad Request\r\n").contains("MalformedQueryString");
        }
    }
}
