package dev.trellis.controlplane.lattice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.controlplane.store.TestStores;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.services.vpclattice.model.ConflictException;
import software.amazon.awssdk.services.vpclattice.model.CreateListenerResponse;
import software.amazon.awssdk.services.vpclattice.model.CreateRuleResponse;
import software.amazon.awssdk.services.vpclattice.model.HttpMatch;
import software.amazon.awssdk.services.vpclattice.model.ListenerProtocol;
import software.amazon.awssdk.services.vpclattice.model.ListenerSummary;
import software.amazon.awssdk.services.vpclattice.model.PathMatch;
import software.amazon.awssdk.services.vpclattice.model.PathMatchType;
import software.amazon.awssdk.services.vpclattice.model.ResourceNotFoundException;
import software.amazon.awssdk.services.vpclattice.model.RuleAction;
import software.amazon.awssdk.services.vpclattice.model.RuleMatch;
import software.amazon.awssdk.services.vpclattice.model.RuleSummary;
import software.amazon.awssdk.services.vpclattice.model.RuleUpdate;
import software.amazon.awssdk.services.vpclattice.model.ServiceQuotaExceededException;
import software.amazon.awssdk.services.vpclattice.model.TargetGroupConfig;
import software.amazon.awssdk.services.vpclattice.model.TargetGroupProtocol;
import software.amazon.awssdk.services.vpclattice.model.TargetGroupType;
import software.amazon.awssdk.services.vpclattice.model.ValidationException;
import software.amazon.awssdk.services.vpclattice.model.ValidationExceptionField;

@ParameterizedClass
@EnumSource(TestStores.Kind.class)
class ListenerAndRuleApiTest extends LatticeApiTestBase {

    private String svc;
    private String v1;
    private String v2;

    @BeforeEach
    void serviceWithTwoTargetGroups() {
        svc = createService("datastore");
        v1 = createTargetGroup("datastore-v1");
        v2 = createTargetGroup("datastore-v2");
    }

    private static RuleMatch pathPrefix(String prefix) {
        return RuleMatch.builder().httpMatch(HttpMatch.builder().pathMatch(PathMatch.builder()
                .match(PathMatchType.builder().prefix(prefix).build()).build()).build()).build();
    }

    private CreateListenerResponse httpListener(RuleAction defaultAction) {
        return lattice.createListener(r -> r.serviceIdentifier(svc).name("http").protocol(ListenerProtocol.HTTP)
                .defaultAction(defaultAction));
    }

    private CreateRuleResponse rule(String listener, String name, int priority, RuleAction action) {
        return lattice.createRule(r -> r.serviceIdentifier(svc).listenerIdentifier(listener).name(name)
                .priority(priority).match(pathPrefix("/" + name)).action(action));
    }

    @Test
    void createsAnHttpListenerOnPort80WhoseLoneTargetGroupWeighs100() {
        CreateListenerResponse listener = httpListener(forward(v1));

        assertThat(listener.id()).matches("listener-0[0-9a-f]{16}");
        assertThat(listener.arn()).isEqualTo(arn("service/" + svc + "/listener/" + listener.id()));
        assertThat(listener.port()).isEqualTo(80);
        assertThat(listener.serviceId()).isEqualTo(svc);
        assertThat(listener.serviceArn()).isEqualTo(arn("service/" + svc));
        assertThat(listener.defaultAction().forward().targetGroups()).containsExactly(weighted(v1, 100));
        assertThat(lattice.getTargetGroup(r -> r.targetGroupIdentifier(v1)).serviceArns())
                .containsExactly(arn("service/" + svc));
        var got = lattice.getListener(r -> r.serviceIdentifier(svc).listenerIdentifier(listener.arn()));
        assertThat(got.name()).isEqualTo("http");
        assertThat(got.protocol()).isEqualTo(ListenerProtocol.HTTP);
        assertThat(got.defaultAction()).isEqualTo(listener.defaultAction());
        assertThat(got.createdAt()).isEqualTo(got.lastUpdatedAt());
    }

    @Test
    void storesTargetGroupsByIdEvenWhenNamedByArn() {
        var listener = lattice.createListener(r -> r.serviceIdentifier(svc).name("https")
                .protocol(ListenerProtocol.HTTPS).defaultAction(forward(arn("targetgroup/" + v1))));

        assertThat(listener.port()).isEqualTo(443);
        assertThat(listener.defaultAction().forward().targetGroups().get(0).targetGroupIdentifier()).isEqualTo(v1);
    }

    @Test
    void listsTheDefaultRuleLastAndMarksIt() {
        String listener = httpListener(fixedResponse(404)).id();
        String popular = rule(listener, "popular", 20, forward(v1)).id();
        String summary = rule(listener, "summary", 10, forward(weighted(v1, 50), weighted(v2, 50))).id();

        List<RuleSummary> rules = lattice.listRules(r -> r.serviceIdentifier(svc).listenerIdentifier(listener))
                .items();

        assertThat(rules).extracting(RuleSummary::id).startsWith(popular, summary).hasSize(3);
        RuleSummary last = rules.get(2);
        assertThat(last.isDefault()).isTrue();
        assertThat(rules.get(0).isDefault()).isFalse();
        var defaultRule = lattice.getRule(r -> r.serviceIdentifier(svc).listenerIdentifier(listener)
                .ruleIdentifier(last.id()));
        assertThat(defaultRule.action().fixedResponse().statusCode()).isEqualTo(404);
        assertThat(defaultRule.isDefault()).isTrue();
        assertThat(lattice.listRulesPaginator(r -> r.serviceIdentifier(svc).listenerIdentifier(listener)
                .maxResults(1)).items().stream().map(RuleSummary::id).collect(Collectors.toList()))
                .containsExactly(popular, summary, last.id());
    }

    @Test
    void createsWeightedRulesAndGetsThemBack() {
        String listener = httpListener(forward(v1)).id();
        var created = rule(listener, "summary", 10, forward(weighted(v1, 50), weighted(v2, 50)));

        var got = lattice.getRule(r -> r.serviceIdentifier(svc).listenerIdentifier(listener)
                .ruleIdentifier(created.arn()));

        assertThat(created.arn()).isEqualTo(arn("service/" + svc + "/listener/" + listener + "/rule/"
                + created.id()));
        assertThat(got.priority()).isEqualTo(10);
        assertThat(got.isDefault()).isFalse();
        assertThat(got.match().httpMatch().pathMatch().match().prefix()).isEqualTo("/summary");
        assertThat(got.action().forward().targetGroups()).containsExactly(weighted(v1, 50), weighted(v2, 50));
    }

    @Test
    void refusesASecondRuleWithTheSamePriority() {
        String listener = httpListener(forward(v1)).id();
        String first = rule(listener, "first", 5, forward(v1)).id();

        ConflictException e = failure(ConflictException.class, () -> rule(listener, "second", 5, forward(v2)));

        assertThat(e.resourceId()).isEqualTo(first);
        assertThat(e.resourceType()).isEqualTo("RULE");
    }

    @Test
    void rejectsPrioritiesOutsideOneTo2000AndWeightsAbove999() {
        String listener = httpListener(forward(v1)).id();

        ValidationException priority = failure(ValidationException.class,
                () -> rule(listener, "too-low", 2001, forward(v1)));
        ValidationException weight = failure(ValidationException.class,
                () -> rule(listener, "heavy", 1, forward(weighted(v1, 1000))));

        assertThat(priority.fieldList()).extracting(ValidationExceptionField::name).containsExactly("priority");
        assertThat(weight.fieldList()).extracting(ValidationExceptionField::name)
                .containsExactly("action.forward.targetGroups[0].weight");
    }

    @Test
    void acceptsOnly404And500AsFixedResponses() {
        ValidationException e = failure(ValidationException.class, () -> httpListener(fixedResponse(403)));

        assertThat(e.fieldList()).extracting(ValidationExceptionField::name)
                .containsExactly("defaultAction.fixedResponse.statusCode");
        assertThat(httpListener(fixedResponse(500)).defaultAction().fixedResponse().statusCode()).isEqualTo(500);
    }

    @Test
    void answersNotFoundForAnUnknownTargetGroupInAnAction() {
        ResourceNotFoundException e = failure(ResourceNotFoundException.class,
                () -> httpListener(forward("tg-0123456789abcdef0")));

        assertThat(e.resourceId()).isEqualTo("tg-0123456789abcdef0");
        assertThat(e.resourceType()).isEqualTo("TARGET_GROUP");
    }

    @Test
    void keepsATargetGroupToOneService() {
        httpListener(forward(v1));
        String other = createService("other");

        ConflictException e = failure(ConflictException.class, () -> lattice.createListener(r -> r
                .serviceIdentifier(other).name("http").protocol(ListenerProtocol.HTTP).defaultAction(forward(v1))));

        assertThat(e.resourceId()).isEqualTo(v1);
        assertThat(e.resourceType()).isEqualTo("TARGET_GROUP");
    }

    @Test
    void refusesASecondListenerOnTheSamePortAndAThirdListener() {
        httpListener(forward(v1));
        failure(ConflictException.class, () -> lattice.createListener(r -> r.serviceIdentifier(svc).name("again")
                .protocol(ListenerProtocol.HTTP).defaultAction(forward(v1))));
        lattice.createListener(r -> r.serviceIdentifier(svc).name("alt").protocol(ListenerProtocol.HTTP).port(8080)
                .defaultAction(forward(v1)));

        ServiceQuotaExceededException e = failure(ServiceQuotaExceededException.class, () -> lattice.createListener(
                r -> r.serviceIdentifier(svc).name("third").protocol(ListenerProtocol.HTTP).port(9090)
                        .defaultAction(forward(v1))));

        assertThat(e.quotaCode()).isEqualTo("L-D64E952E");
        assertThat(e.resourceType()).isEqualTo("LISTENER");
        assertThat(lattice.listListenersPaginator(r -> r.serviceIdentifier(svc).maxResults(1)).items().stream()
                .map(ListenerSummary::name).collect(Collectors.toList())).containsExactly("http", "alt");
    }

    @Test
    void enforcesTheRulesPerListenerQuota() {
        String listener = httpListener(forward(v1)).id();
        for (int i = 1; i <= QUOTAS.rulesPerListener(); i++) {
            rule(listener, "number-" + i, i, forward(v1));
        }

        ServiceQuotaExceededException e = failure(ServiceQuotaExceededException.class,
                () -> rule(listener, "one-more", 100, forward(v1)));

        assertThat(e.quotaCode()).isEqualTo("L-CF78395E");
        assertThat(e.resourceId()).isEqualTo(listener);
    }

    @Test
    void enforcesTheTargetGroupsPerServiceQuota() {
        String v3 = createTargetGroup("datastore-v3");
        String v4 = createTargetGroup("datastore-v4");
        String listener = httpListener(forward(v1, v2, v3)).id();

        ServiceQuotaExceededException e = failure(ServiceQuotaExceededException.class,
                () -> rule(listener, "fourth", 1, forward(v4)));

        assertThat(e.quotaCode()).isEqualTo("L-3DEC3B9F");
        assertThat(e.resourceId()).isEqualTo(svc);
        assertThat(e.resourceType()).isEqualTo("TARGET_GROUP");
    }

    @Test
    void updatesARuleAndItsTargetGroupsUsage() {
        String listener = httpListener(fixedResponse(404)).id();
        String id = rule(listener, "popular", 1, forward(v1)).id();

        var updated = lattice.updateRule(r -> r.serviceIdentifier(svc).listenerIdentifier(listener).ruleIdentifier(id)
                .priority(7).action(forward(v2)));

        assertThat(updated.priority()).isEqualTo(7);
        assertThat(updated.match().httpMatch().pathMatch().match().prefix()).isEqualTo("/popular");
        assertThat(lattice.getTargetGroup(r -> r.targetGroupIdentifier(v1)).serviceArns()).isEmpty();
        assertThat(lattice.getTargetGroup(r -> r.targetGroupIdentifier(v2)).serviceArns()).hasSize(1);
    }

    @Test
    void refusesToUpdateOrDeleteTheDefaultRule() {
        String listener = httpListener(forward(v1)).id();
        String defaultRule = lattice.listRules(r -> r.serviceIdentifier(svc).listenerIdentifier(listener)).items()
                .get(0).id();

        failure(ValidationException.class, () -> lattice.updateRule(r -> r.serviceIdentifier(svc)
                .listenerIdentifier(listener).ruleIdentifier(defaultRule).priority(3)));
        failure(ValidationException.class, () -> lattice.deleteRule(r -> r.serviceIdentifier(svc)
                .listenerIdentifier(listener).ruleIdentifier(defaultRule)));
    }

    @Test
    void updatingTheListenerChangesItsDefaultRule() {
        String listener = httpListener(forward(v1)).id();

        var updated = lattice.updateListener(r -> r.serviceIdentifier(svc).listenerIdentifier(listener)
                .defaultAction(forward(weighted(v1, 80), weighted(v2, 20))));

        assertThat(updated.defaultAction().forward().targetGroups()).containsExactly(weighted(v1, 80),
                weighted(v2, 20));
        String defaultRule = lattice.listRules(r -> r.serviceIdentifier(svc).listenerIdentifier(listener)).items()
                .get(0).id();
        assertThat(lattice.getRule(r -> r.serviceIdentifier(svc).listenerIdentifier(listener)
                .ruleIdentifier(defaultRule)).action().forward().targetGroups()).hasSize(2);
    }

    @Test
    void batchUpdateSwapsPrioritiesAndReportsTheRulesItCouldNotUpdate() {
        String listener = httpListener(fixedResponse(404)).id();
        String a = rule(listener, "alpha", 1, forward(v1)).id();
        String b = rule(listener, "bravo", 2, forward(v2)).id();
        String c = rule(listener, "charlie", 3, forward(v2)).id();

        var result = lattice.batchUpdateRule(r -> r.serviceIdentifier(svc).listenerIdentifier(listener).rules(
                RuleUpdate.builder().ruleIdentifier(a).priority(5).build(),
                RuleUpdate.builder().ruleIdentifier(b).priority(1).build(),
                RuleUpdate.builder().ruleIdentifier(c).priority(1).build(),
                RuleUpdate.builder().ruleIdentifier("rule-0123456789abcdef0").priority(9).build()));

        assertThat(result.successful()).extracting(s -> s.id() + "@" + s.priority()).containsExactly(a + "@5");
        assertThat(result.unsuccessful()).extracting(f -> f.ruleIdentifier() + " " + f.failureCode())
                .containsExactlyInAnyOrder("rule-0123456789abcdef0 ResourceNotFoundException",
                        b + " ConflictException", c + " ConflictException");
    }

    @Test
    void batchUpdateAppliesAPrioritySwap() {
        String listener = httpListener(fixedResponse(404)).id();
        String a = rule(listener, "alpha", 1, forward(v1)).id();
        String b = rule(listener, "bravo", 2, forward(v2)).id();

        var result = lattice.batchUpdateRule(r -> r.serviceIdentifier(svc).listenerIdentifier(listener).rules(
                RuleUpdate.builder().ruleIdentifier(a).priority(2).build(),
                RuleUpdate.builder().ruleIdentifier(b).priority(1).action(forward(v1)).build()));

        assertThat(result.unsuccessful()).isEmpty();
        assertThat(result.successful()).extracting(s -> s.id() + "@" + s.priority()).containsExactly(a + "@2",
                b + "@1");
        assertThat(lattice.getTargetGroup(r -> r.targetGroupIdentifier(v2)).serviceArns()).isEmpty();
    }

    @Test
    void deletesARuleAndThenItsTargetGroupCanBeDeleted() {
        String listener = httpListener(fixedResponse(404)).id();
        String id = rule(listener, "popular", 1, forward(v2)).id();
        failure(ConflictException.class, () -> lattice.deleteTargetGroup(r -> r.targetGroupIdentifier(v2)));

        lattice.deleteRule(r -> r.serviceIdentifier(svc).listenerIdentifier(listener).ruleIdentifier(id));

        failure(ResourceNotFoundException.class, () -> lattice.getRule(r -> r.serviceIdentifier(svc)
                .listenerIdentifier(listener).ruleIdentifier(id)));
        lattice.deleteTargetGroup(r -> r.targetGroupIdentifier(v2));
    }

    @Test
    void deletingAListenerDeletesItsRulesAndFreesItsTargetGroups() {
        String listener = httpListener(forward(v1)).id();
        String id = rule(listener, "popular", 1, forward(v2)).id();

        lattice.deleteListener(r -> r.serviceIdentifier(svc).listenerIdentifier(listener));

        failure(ResourceNotFoundException.class, () -> lattice.getListener(r -> r.serviceIdentifier(svc)
                .listenerIdentifier(listener)));
        failure(ResourceNotFoundException.class, () -> lattice.getRule(r -> r.serviceIdentifier(svc)
                .listenerIdentifier(listener).ruleIdentifier(id)));
        lattice.deleteTargetGroup(r -> r.targetGroupIdentifier(v1));
        lattice.deleteTargetGroup(r -> r.targetGroupIdentifier(v2));
    }

    @Test
    void findsAListenerOnlyUnderItsOwnService() {
        String listener = httpListener(forward(v1)).id();
        String other = createService("other");

        ResourceNotFoundException e = failure(ResourceNotFoundException.class, () -> lattice.getListener(r -> r
                .serviceIdentifier(other).listenerIdentifier(listener)));

        assertThat(e.resourceType()).isEqualTo("LISTENER");
    }

    @Test
    void tlsPassthroughListenersNeedACustomDomainAPortAndTcpTargetGroups() {
        failure(ValidationException.class, () -> lattice.createListener(r -> r.serviceIdentifier(svc).name("tls")
                .protocol(ListenerProtocol.TLS_PASSTHROUGH).port(443).defaultAction(forward(v1))));
        String tls = lattice.createService(r -> r.name("tls-svc").customDomainName("tls.example.com")).id();
        String tcp = lattice.createTargetGroup(r -> r.name("tcp-tg").type(TargetGroupType.IP)
                .config(TargetGroupConfig.builder().protocol(TargetGroupProtocol.TCP).port(443)
                        .vpcIdentifier(defaultVpc()).build())).id();

        failure(ValidationException.class, () -> lattice.createListener(r -> r.serviceIdentifier(tls).name("tls")
                .protocol(ListenerProtocol.TLS_PASSTHROUGH).port(443).defaultAction(forward(v2))));
        failure(ValidationException.class, () -> lattice.createListener(r -> r.serviceIdentifier(tls).name("tls")
                .protocol(ListenerProtocol.TLS_PASSTHROUGH).defaultAction(forward(tcp))));
        String listener = lattice.createListener(r -> r.serviceIdentifier(tls).name("tls")
                .protocol(ListenerProtocol.TLS_PASSTHROUGH).port(443).defaultAction(forward(tcp))).id();
        failure(ValidationException.class, () -> lattice.createRule(r -> r.serviceIdentifier(tls)
                .listenerIdentifier(listener).name("no").priority(1).match(pathPrefix("/")).action(forward(tcp))));
    }
}
