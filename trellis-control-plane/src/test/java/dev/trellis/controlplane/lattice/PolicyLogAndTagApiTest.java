package dev.trellis.controlplane.lattice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.controlplane.store.TestStores;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.services.vpclattice.model.AccessLogSubscriptionSummary;
import software.amazon.awssdk.services.vpclattice.model.AuthPolicyState;
import software.amazon.awssdk.services.vpclattice.model.AuthType;
import software.amazon.awssdk.services.vpclattice.model.ConflictException;
import software.amazon.awssdk.services.vpclattice.model.ListenerProtocol;
import software.amazon.awssdk.services.vpclattice.model.ResourceNotFoundException;
import software.amazon.awssdk.services.vpclattice.model.ServiceNetworkLogType;
import software.amazon.awssdk.services.vpclattice.model.ValidationException;
import software.amazon.awssdk.services.vpclattice.model.ValidationExceptionField;

@ParameterizedClass
@EnumSource(TestStores.Kind.class)
class PolicyLogAndTagApiTest extends LatticeApiTestBase {

    private static final String POLICY = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
            + "\"Principal\":\"*\",\"Action\":\"vpc-lattice-svcs:Invoke\",\"Resource\":\"*\"}]}";

    @Test
    void anAuthPolicyIsInactiveUntilTheAuthTypeIsAwsIam() {
        String sn = createServiceNetwork("network");

        var put = lattice.putAuthPolicy(r -> r.resourceIdentifier(sn).policy(POLICY));
        assertThat(put.policy()).isEqualTo(POLICY);
        assertThat(put.state()).isEqualTo(AuthPolicyState.INACTIVE);

        lattice.updateServiceNetwork(r -> r.serviceNetworkIdentifier(sn).authType(AuthType.AWS_IAM));
        var got = lattice.getAuthPolicy(r -> r.resourceIdentifier(arn("servicenetwork/" + sn)));
        assertThat(got.state()).isEqualTo(AuthPolicyState.ACTIVE);
        assertThat(got.policy()).isEqualTo(POLICY);
        assertThat(got.createdAt()).isNotNull();
        assertThat(got.lastUpdatedAt()).isNotNull();
    }

    @Test
    void rejectsAnInvalidAuthPolicySayingWhatIsWrongAndWhere() {
        String sn = lattice.createServiceNetwork(r -> r.name("strict")).id();
        String typo = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\","
                + "\"Action\":\"vpc-lattice-svcs:Invoke\",\"Resource\":\"*\",\"Condition\":{\"StringEqualz\":"
                + "{\"aws:PrincipalType\":\"Anonymous\"}}}]}";

        ValidationException e = failure(ValidationException.class,
                () -> lattice.putAuthPolicy(r -> r.resourceIdentifier(sn).policy(typo)));

        assertThat(e.fieldList()).singleElement().satisfies(f -> {
            assertThat(f.name()).isEqualTo("policy");
            assertThat(f.message()).isEqualTo("Statement[0].Condition: unknown operator StringEqualz");
        });
    }

    @Test
    void putsReplacesAndDeletesTheAuthPolicyOfAService() {
        String svc = lattice.createService(r -> r.name("secure").authType(AuthType.AWS_IAM)).id();

        assertThat(lattice.putAuthPolicy(r -> r.resourceIdentifier(svc).policy(POLICY)).state())
                .isEqualTo(AuthPolicyState.ACTIVE);
        var first = lattice.getAuthPolicy(r -> r.resourceIdentifier(svc));
        String anonymousOnly = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\","
                + "\"Action\":\"vpc-lattice-svcs:Invoke\",\"Resource\":\"*\",\"Condition\":{\"StringEquals\":"
                + "{\"aws:PrincipalType\":\"Anonymous\"}}}]}";
        lattice.putAuthPolicy(r -> r.resourceIdentifier(svc).policy(anonymousOnly));
        var second = lattice.getAuthPolicy(r -> r.resourceIdentifier(svc));
        assertThat(second.policy()).isEqualTo(anonymousOnly);
        assertThat(second.createdAt()).isEqualTo(first.createdAt());

        lattice.deleteAuthPolicy(r -> r.resourceIdentifier(svc));

        ResourceNotFoundException e = failure(ResourceNotFoundException.class,
                () -> lattice.getAuthPolicy(r -> r.resourceIdentifier(svc)));
        assertThat(e.resourceType()).isEqualTo("AUTH_POLICY");
        lattice.deleteAuthPolicy(r -> r.resourceIdentifier(svc));
    }

    @Test
    void rejectsAuthPoliciesThatAreNotJsonOrLargerThan10Kb() {
        String svc = createService("strict");

        ValidationException notJson = failure(ValidationException.class,
                () -> lattice.putAuthPolicy(r -> r.resourceIdentifier(svc).policy("{not json")));
        ValidationException tooBig = failure(ValidationException.class, () -> lattice.putAuthPolicy(r -> r
                .resourceIdentifier(svc).policy("{\"Sid\":\"" + "x".repeat(10 * 1024) + "\"}")));

        assertThat(notJson.fieldList()).extracting(ValidationExceptionField::name).containsExactly("policy");
        assertThat(tooBig.fieldList()).extracting(ValidationExceptionField::message)
                .allMatch(m -> m.contains("10240"));
    }

    @Test
    void answersNotFoundForAnAuthPolicyOfAnUnknownOrUnsupportedResource() {
        ResourceNotFoundException e = failure(ResourceNotFoundException.class,
                () -> lattice.getAuthPolicy(r -> r.resourceIdentifier("rcfg-0123456789abcdef0")));

        assertThat(e.resourceId()).isEqualTo("rcfg-0123456789abcdef0");
        assertThat(e.resourceType()).isEqualTo("RESOURCE_CONFIGURATION");
    }

    @Test
    void putsGetsAndDeletesAResourcePolicy() {
        String sn = createServiceNetwork("shared");
        String snArn = arn("servicenetwork/" + sn);

        lattice.putResourcePolicy(r -> r.resourceArn(snArn).policy(POLICY));

        assertThat(lattice.getResourcePolicy(r -> r.resourceArn(snArn)).policy()).isEqualTo(POLICY);
        lattice.deleteResourcePolicy(r -> r.resourceArn(snArn));
        failure(ResourceNotFoundException.class, () -> lattice.getResourcePolicy(r -> r.resourceArn(snArn)));
        failure(ValidationException.class, () -> lattice.putResourcePolicy(r -> r.resourceArn(snArn).policy("[1")));
    }

    @Test
    void managesAccessLogSubscriptionsOfNetworksAndServices() {
        String sn = createServiceNetwork("logged");
        String logs = "arn:aws:logs:us-west-2:" + account + ":log-group:/lattice/access";
        String s3 = "arn:aws:s3:::lattice-access-logs";

        var created = lattice.createAccessLogSubscription(r -> r.resourceIdentifier(sn).destinationArn(logs));
        assertThat(created.id()).matches("als-0[0-9a-f]{16}");
        assertThat(created.resourceId()).isEqualTo(sn);
        assertThat(created.resourceArn()).isEqualTo(arn("servicenetwork/" + sn));
        assertThat(created.serviceNetworkLogType()).isEqualTo(ServiceNetworkLogType.SERVICE);
        String second = lattice.createAccessLogSubscription(r -> r.resourceIdentifier(sn).destinationArn(s3)).id();

        ConflictException sameType = failure(ConflictException.class, () -> lattice.createAccessLogSubscription(
                r -> r.resourceIdentifier(sn).destinationArn(logs + "-2")));
        assertThat(sameType.resourceId()).isEqualTo(created.id());
        assertThat(lattice.listAccessLogSubscriptionsPaginator(r -> r.resourceIdentifier(sn).maxResults(1)).items()
                .stream().map(AccessLogSubscriptionSummary::id).collect(Collectors.toList()))
                .containsExactly(created.id(), second);

        var updated = lattice.updateAccessLogSubscription(r -> r.accessLogSubscriptionIdentifier(created.id())
                .destinationArn(logs + "-new"));
        assertThat(updated.destinationArn()).isEqualTo(logs + "-new");
        assertThat(lattice.getAccessLogSubscription(r -> r.accessLogSubscriptionIdentifier(created.arn()))
                .destinationArn()).isEqualTo(logs + "-new");

        lattice.deleteAccessLogSubscription(r -> r.accessLogSubscriptionIdentifier(created.id()));
        assertThat(lattice.listAccessLogSubscriptions(r -> r.resourceIdentifier(sn)).items())
                .extracting(AccessLogSubscriptionSummary::id).containsExactly(second);
    }

    @Test
    void rejectsAccessLogDestinationsThatAreNotLogsS3OrFirehose() {
        String svc = createService("logged");

        ValidationException e = failure(ValidationException.class, () -> lattice.createAccessLogSubscription(
                r -> r.resourceIdentifier(svc).destinationArn("arn:aws:sqs:us-west-2:111122223333:queue")));

        assertThat(e.fieldList()).extracting(ValidationExceptionField::name).containsExactly("destinationArn");
        String firehose = "arn:aws:firehose:us-west-2:" + account + ":deliverystream/lattice";
        var ok = lattice.createAccessLogSubscription(r -> r.resourceIdentifier(svc).destinationArn(firehose));
        assertThat(ok.serviceNetworkLogType()).isNull();
    }

    @Test
    void tagsAtCreationAndWithTagResourceAndUntagsByKey() {
        String svc = lattice.createService(r -> r.name("tagged").tags(Map.of("team", "data"))).id();
        String svcArn = arn("service/" + svc);

        lattice.tagResource(r -> r.resourceArn(svcArn).tags(Map.of("env", "prod", "team", "platform")));
        assertThat(lattice.listTagsForResource(r -> r.resourceArn(svcArn)).tags())
                .containsExactlyInAnyOrderEntriesOf(Map.of("env", "prod", "team", "platform"));

        lattice.untagResource(r -> r.resourceArn(svcArn).tagKeys("team", "absent"));
        assertThat(lattice.listTagsForResource(r -> r.resourceArn(svcArn)).tags())
                .containsExactlyInAnyOrderEntriesOf(Map.of("env", "prod"));
    }

    @Test
    void tagsListenersAndRulesByTheirArns() {
        String svc = createService("tagged");
        String tg = createTargetGroup("tagged-tg");
        String listenerArn = lattice.createListener(r -> r.serviceIdentifier(svc).name("http")
                .protocol(ListenerProtocol.HTTP).defaultAction(forward(tg)).tags(Map.of("a", "1"))).arn();

        lattice.tagResource(r -> r.resourceArn(listenerArn).tags(Map.of("b", "2")));

        assertThat(lattice.listTagsForResource(r -> r.resourceArn(listenerArn)).tags())
                .containsExactlyInAnyOrderEntriesOf(Map.of("a", "1", "b", "2"));
    }

    @Test
    void reservesTheAwsPrefixAndAnswersNotFoundForUnknownArns() {
        String sn = createServiceNetwork("tags");

        ValidationException reserved = failure(ValidationException.class, () -> lattice.tagResource(
                r -> r.resourceArn(arn("servicenetwork/" + sn)).tags(Map.of("aws:owner", "me"))));
        assertThat(reserved.fieldList()).extracting(ValidationExceptionField::name).containsExactly("tags");
        failure(ValidationException.class, () -> lattice.createServiceNetwork(r -> r.name("reserved")
                .tags(Map.of("AWS:x", "y"))));

        ResourceNotFoundException e = failure(ResourceNotFoundException.class, () -> lattice.listTagsForResource(
                r -> r.resourceArn(arn("targetgroup/tg-0123456789abcdef0"))));
        assertThat(e.resourceType()).isEqualTo("TARGET_GROUP");
    }
}
