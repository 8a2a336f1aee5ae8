package dev.trellis.controlplane.lattice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.controlplane.store.TestStores;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.services.vpclattice.model.ConflictException;
import software.amazon.awssdk.services.vpclattice.model.CreateTargetGroupResponse;
import software.amazon.awssdk.services.vpclattice.model.HealthCheckConfig;
import software.amazon.awssdk.services.vpclattice.model.IpAddressType;
import software.amazon.awssdk.services.vpclattice.model.LambdaEventStructureVersion;
import software.amazon.awssdk.services.vpclattice.model.ListenerProtocol;
import software.amazon.awssdk.services.vpclattice.model.ResourceNotFoundException;
import software.amazon.awssdk.services.vpclattice.model.ServiceQuotaExceededException;
import software.amazon.awssdk.services.vpclattice.model.Target;
import software.amazon.awssdk.services.vpclattice.model.TargetGroupConfig;
import software.amazon.awssdk.services.vpclattice.model.TargetGroupProtocol;
import software.amazon.awssdk.services.vpclattice.model.TargetGroupProtocolVersion;
import software.amazon.awssdk.services.vpclattice.model.TargetGroupStatus;
import software.amazon.awssdk.services.vpclattice.model.TargetGroupSummary;
import software.amazon.awssdk.services.vpclattice.model.TargetGroupType;
import software.amazon.awssdk.services.vpclattice.model.TargetStatus;
import software.amazon.awssdk.services.vpclattice.model.TargetSummary;
import software.amazon.awssdk.services.vpclattice.model.ValidationException;
import software.amazon.awssdk.services.vpclattice.model.ValidationExceptionField;

@ParameterizedClass
@EnumSource(TestStores.Kind.class)
class TargetGroupApiTest extends LatticeApiTestBase {

    private String vpc;

    @BeforeEach
    void useTheDefaultVpc() {
        vpc = defaultVpc();
    }

    private CreateTargetGroupResponse ipGroup(String name, TargetGroupConfig.Builder config) {
        return lattice.createTargetGroup(r -> r.name(name).type(TargetGroupType.IP).config(config.build()));
    }

    @Test
    void fillsInLatticesDefaultsForAnHttpIpTargetGroup() {
        var created = ipGroup("datastore-v1", TargetGroupConfig.builder().protocol(TargetGroupProtocol.HTTP)
                .vpcIdentifier(vpc));

        assertThat(created.id()).matches("tg-0[0-9a-f]{16}");
        assertThat(created.arn()).isEqualTo(arn("targetgroup/" + created.id()));
        assertThat(created.status()).isEqualTo(TargetGroupStatus.ACTIVE);
        TargetGroupConfig config = created.config();
        assertThat(config.port()).isEqualTo(80);
        assertThat(config.protocolVersion()).isEqualTo(TargetGroupProtocolVersion.HTTP1);
        assertThat(config.ipAddressType()).isEqualTo(IpAddressType.IPV4);
        HealthCheckConfig hc = config.healthCheck();
        assertThat(hc.enabled()).isTrue();
        assertThat(hc.protocolAsString()).isEqualTo("HTTP");
        assertThat(hc.path()).isEqualTo("/");
        assertThat(hc.healthCheckIntervalSeconds()).isEqualTo(30);
        assertThat(hc.healthCheckTimeoutSeconds()).isEqualTo(5);
        assertThat(hc.healthyThresholdCount()).isEqualTo(5);
        assertThat(hc.unhealthyThresholdCount()).isEqualTo(2);
        assertThat(hc.matcher().httpCode()).isEqualTo("200");
        assertThat(hc.port()).isNull();
    }

    @Test
    void turnsHealthChecksOffByDefaultForHttp2AndGrpcGroups() {
        var grpc = ipGroup("grpc", TargetGroupConfig.builder().protocol(TargetGroupProtocol.HTTPS)
                .protocolVersion(TargetGroupProtocolVersion.GRPC).vpcIdentifier(vpc));

        assertThat(grpc.config().port()).isEqualTo(443);
        assertThat(grpc.config().healthCheck().enabled()).isFalse();
        assertThat(grpc.config().healthCheck().protocolAsString()).isEqualTo("HTTPS");
    }

    @Test
    void takesZeroAsTheDefaultAndRejectsValuesOutsideLatticesRanges() {
        var created = ipGroup("zeros", TargetGroupConfig.builder().protocol(TargetGroupProtocol.HTTP)
                .vpcIdentifier(vpc).healthCheck(h -> h.healthCheckIntervalSeconds(0).healthyThresholdCount(3)
                        .port(0)));
        assertThat(created.config().healthCheck().healthCheckIntervalSeconds()).isEqualTo(30);
        assertThat(created.config().healthCheck().healthyThresholdCount()).isEqualTo(3);

        ValidationException e = failure(ValidationException.class, () -> ipGroup("bad-hc", TargetGroupConfig
                .builder().protocol(TargetGroupProtocol.HTTP).vpcIdentifier(vpc)
                .healthCheck(h -> h.healthCheckIntervalSeconds(4))));
        assertThat(e.fieldList()).extracting(ValidationExceptionField::name)
                .containsExactly("config.healthCheck.healthCheckIntervalSeconds");
    }

    @Test
    void updatesOnlyTheHealthCheckKeepingTheRest() {
        String id = ipGroup("updated", TargetGroupConfig.builder().protocol(TargetGroupProtocol.HTTP).port(3000)
                .vpcIdentifier(vpc).healthCheck(h -> h.path("/health"))).id();

        var updated = lattice.updateTargetGroup(r -> r.targetGroupIdentifier(id).healthCheck(h -> h
                .healthyThresholdCount(2).healthCheckTimeoutSeconds(0).matcher(m -> m.httpCode("200-299"))));

        HealthCheckConfig hc = updated.config().healthCheck();
        assertThat(hc.path()).isEqualTo("/health");
        assertThat(hc.healthyThresholdCount()).isEqualTo(2);
        assertThat(hc.healthCheckTimeoutSeconds()).isEqualTo(5);
        assertThat(hc.matcher().httpCode()).isEqualTo("200-299");
        assertThat(updated.config().port()).isEqualTo(3000);
        assertThat(lattice.getTargetGroup(r -> r.targetGroupIdentifier(id)).config().healthCheck())
                .isEqualTo(hc);
    }

    @Test
    void lambdaGroupsTakeNoNetworkConfigurationAndOneFunction() {
        failure(ValidationException.class, () -> lattice.createTargetGroup(r -> r.name("lambda-bad")
                .type(TargetGroupType.LAMBDA).config(c -> c.port(80))));
        var lambda = lattice.createTargetGroup(r -> r.name("lambda").type(TargetGroupType.LAMBDA));
        assertThat(lambda.config().lambdaEventStructureVersion()).isEqualTo(LambdaEventStructureVersion.V1);
        String fn = "arn:aws:lambda:us-west-2:" + account + ":function:reservation";

        var registered = lattice.registerTargets(r -> r.targetGroupIdentifier(lambda.id()).targets(t -> t.id(fn),
                t -> t.id(fn + "-other")));

        assertThat(registered.successful()).extracting(Target::id).containsExactly(fn);
        assertThat(registered.unsuccessful()).hasSize(1);
        assertThat(registered.unsuccessful().get(0).failureCode()).isEqualTo("InvalidTarget");
        failure(ValidationException.class, () -> lattice.updateTargetGroup(r -> r.targetGroupIdentifier(
                lambda.id()).healthCheck(h -> h.enabled(false))));
    }

    @Test
    void requiresConfigurationForIpGroupsAndAWellFormedVpc() {
        ValidationException missing = failure(ValidationException.class,
                () -> lattice.createTargetGroup(r -> r.name("no-config").type(TargetGroupType.IP)));
        assertThat(missing.fieldList()).extracting(ValidationExceptionField::name).containsExactly("config");

        failure(ValidationException.class, () -> ipGroup("bad-vpc", TargetGroupConfig.builder()
                .protocol(TargetGroupProtocol.HTTP).vpcIdentifier("vpc-xyz")));
    }

    @Test
    void answersATargetGroupInAVpcTheEc2ApiNeverCreatedWithResourceNotFound() {
        String unknown = "vpc-0aaaaaaaaaaaaaaaa";

        ResourceNotFoundException e = failure(ResourceNotFoundException.class, () -> ipGroup("nowhere",
                TargetGroupConfig.builder().protocol(TargetGroupProtocol.HTTP).vpcIdentifier(unknown)));

        assertThat(e.resourceId()).isEqualTo(unknown);
        assertThat(e.resourceType()).isEqualTo("VPC");
        assertThat(e.awsErrorDetails().errorMessage()).contains("VPC 'vpc-0aaaaaaaaaaaaaaaa' was not found");
        assertThat(lattice.listTargetGroups(r -> { }).items()).isEmpty();
    }

    @Test
    void listsNoTargetGroupsForAnUnknownVpcBecauseListOperationsHaveNoNotFound() {
        createTargetGroup("in-default-vpc");

        assertThat(lattice.listTargetGroups(r -> r.vpcIdentifier("vpc-0aaaaaaaaaaaaaaaa")).items()).isEmpty();
    }

    @Test
    void refusesADuplicateTargetGroupNameAndEnforcesTheRegionalQuota() {
        String first = createTargetGroup("same");
        ConflictException e = failure(ConflictException.class, () -> createTargetGroup("same"));
        assertThat(e.resourceId()).isEqualTo(first);

        for (int i = 1; i < QUOTAS.targetGroupsPerRegion(); i++) {
            createTargetGroup("group-" + i);
        }
        ServiceQuotaExceededException quota = failure(ServiceQuotaExceededException.class,
                () -> createTargetGroup("too-many"));
        assertThat(quota.quotaCode()).isEqualTo("L-BB11C6B9");
        assertThat(quota.resourceType()).isEqualTo("TARGET_GROUP");
    }

    @Test
    void filtersTheListByVpcAndTypeAndFlattensTheConfig() {
        String ip = createTargetGroup("ip-one");
        String other = ipGroup("other-vpc", TargetGroupConfig.builder().protocol(TargetGroupProtocol.HTTPS)
                .vpcIdentifier(vpc())).id();
        String lambda = lattice.createTargetGroup(r -> r.name("function").type(TargetGroupType.LAMBDA)).id();

        List<TargetGroupSummary> inVpc = lattice.listTargetGroups(r -> r.vpcIdentifier(vpc)).items();
        List<TargetGroupSummary> lambdas = lattice.listTargetGroups(r -> r.targetGroupType(TargetGroupType.LAMBDA))
                .items();

        assertThat(inVpc).extracting(TargetGroupSummary::id).containsExactly(ip);
        assertThat(inVpc.get(0).port()).isEqualTo(3000);
        assertThat(inVpc.get(0).vpcIdentifier()).isEqualTo(vpc);
        assertThat(lambdas).extracting(TargetGroupSummary::id).containsExactly(lambda);
        assertThat(lattice.listTargetGroupsPaginator(r -> r.maxResults(1)).items().stream()
                .map(TargetGroupSummary::id).collect(Collectors.toList())).containsExactly(ip, other, lambda);
    }

    @Test
    void registersListsAndDeregistersTargets() {
        String id = createTargetGroup("targets");

        var registered = lattice.registerTargets(r -> r.targetGroupIdentifier(id).targets(
                t -> t.id("10.0.1.5"), t -> t.id("10.0.1.6").port(8080), t -> t.id("not-an-ip")));

        assertThat(registered.successful()).extracting(t -> t.id() + ":" + t.port())
                .containsExactly("10.0.1.5:3000", "10.0.1.6:8080");
        assertThat(registered.unsuccessful()).extracting(f -> f.id() + " " + f.failureCode())
                .containsExactly("not-an-ip InvalidTarget");
        List<TargetSummary> targets = lattice.listTargets(r -> r.targetGroupIdentifier(id)).items();
        assertThat(targets).extracting(t -> t.id() + ":" + t.port() + " " + t.status())
                .containsExactly("10.0.1.5:3000 UNUSED", "10.0.1.6:8080 UNUSED");
        assertThat(lattice.listTargets(r -> r.targetGroupIdentifier(id).targets(t -> t.id("10.0.1.6"))).items())
                .extracting(TargetSummary::id).containsExactly("10.0.1.6");

        var deregistered = lattice.deregisterTargets(r -> r.targetGroupIdentifier(id).targets(t -> t.id("10.0.1.5"),
                t -> t.id("10.9.9.9")));

        assertThat(deregistered.successful()).hasSize(2);
        // A deregistered target drains for the deregistration delay (60 s here) before it is gone.
        assertThat(lattice.listTargets(r -> r.targetGroupIdentifier(id)).items())
                .extracting(t -> t.id() + " " + t.status()).containsExactly("10.0.1.5 DRAINING", "10.0.1.6 UNUSED");
    }

    @Test
    void reportsTargetsAsInitialOnceAServiceUsesTheGroup() {
        String id = createTargetGroup("in-use");
        lattice.registerTargets(r -> r.targetGroupIdentifier(id).targets(t -> t.id("10.0.1.5")));
        String svc = createService("user");
        lattice.createListener(r -> r.serviceIdentifier(svc).name("http").protocol(ListenerProtocol.HTTP)
                .defaultAction(forward(id)));

        assertThat(lattice.listTargets(r -> r.targetGroupIdentifier(id)).items()).extracting(TargetSummary::status)
                .containsExactly(TargetStatus.INITIAL);
        assertThat(lattice.listTargetGroups(r -> { }).items().get(0).serviceArns())
                .containsExactly(arn("service/" + svc));
        ConflictException e = failure(ConflictException.class,
                () -> lattice.deleteTargetGroup(r -> r.targetGroupIdentifier(id)));
        assertThat(e.resourceId()).isEqualTo(id);
    }

    @Test
    void pagesThroughTargetsAndEnforcesTheTargetsPerGroupQuota() {
        String id = createTargetGroup("many");
        List<String> ips = IntStream.rangeClosed(1, QUOTAS.targetsPerTargetGroup()).mapToObj(i -> "10.0.0." + i)
                .collect(Collectors.toList());
        lattice.registerTargets(r -> r.targetGroupIdentifier(id).targets(ips.stream()
                .map(ip -> Target.builder().id(ip).build()).collect(Collectors.toList())));

        assertThat(lattice.listTargetsPaginator(r -> r.targetGroupIdentifier(id).maxResults(2)).items().stream()
                .map(TargetSummary::id).collect(Collectors.toList())).containsExactlyElementsOf(ips);
        ServiceQuotaExceededException e = failure(ServiceQuotaExceededException.class, () -> lattice
                .registerTargets(r -> r.targetGroupIdentifier(id).targets(t -> t.id("10.0.0.200"))));
        assertThat(e.quotaCode()).isEqualTo("L-D71303F3");
    }

    @Test
    void deletesAnUnusedTargetGroup() {
        String id = createTargetGroup("bye");

        var deleted = lattice.deleteTargetGroup(r -> r.targetGroupIdentifier(id));

        assertThat(deleted.id()).isEqualTo(id);
        assertThat(deleted.status()).isEqualTo(TargetGroupStatus.DELETE_IN_PROGRESS);
        assertThat(lattice.listTargetGroups(r -> { }).items()).isEmpty();
    }
}
