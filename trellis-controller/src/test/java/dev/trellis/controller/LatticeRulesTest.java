package dev.trellis.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.controller.RouteModel.RuleModel;
import dev.trellis.controller.RouteModel.WeightedTargetGroup;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteMatch;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteMatchBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteRule;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteRuleBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Listener;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.ListenerBuilder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Route rules → Lattice rules with Gateway API semantics, and listener hostname rules; no servers needed. */
class LatticeRulesTest {

    @Test
    void prioritiesFollowGatewayApiPrecedenceNotRuleOrder() {
        List<HTTPRouteRule> rules = List.of(
                rule(prefix("/")),                                   // 0
                rule(header(prefix("/"), "version", "two")),         // 1
                rule(method(prefix("/"), "GET")),                    // 2
                rule(prefix("/match/prefix")),                       // 3
                rule(exact("/match")));                              // 4
        assertThat(describe(LatticeRules.of(rules, forwards(rules.size()), true))).containsExactly(
                "1 exact /match -> r4",
                "2 exact /match/prefix -> r3",
                "3 prefix /match/prefix/ -> r3",
                "4 prefix / GET -> r2",
                "5 prefix / [version] -> r1",
                "6 prefix / -> r0");
    }

    @Test
    void orderedMatchesOfOneRuleBecomeOneLatticeRuleEachAndMoreHeadersComeFirst() {
        List<HTTPRouteRule> rules = List.of(
                rule(header(prefix("/"), "color", "blue"), header(prefix("/"), "color", "green")),
                rule(header(header(prefix("/"), "version", "two"), "color", "orange")));
        assertThat(describe(LatticeRules.of(rules, forwards(rules.size()), true))).containsExactly(
                "1 prefix / [version, color] -> r1",
                "2 prefix / [color] -> r0",
                "3 prefix / [color] -> r0");
    }

    @Test
    void aPathPrefixMatchesWholeSegmentsAndItsTrailingSlashIsIgnored() {
        List<HTTPRouteRule> rules = List.of(rule(prefix("/v2/")), rule());
        assertThat(describe(LatticeRules.of(rules, forwards(rules.size()), true))).containsExactly(
                "1 exact /v2 -> r0",
                "2 prefix /v2/ -> r0",
                "3 prefix / -> r1");
        assertThat(LatticeRules.count(rules, true)).isEqualTo(3);
    }

    @Test
    void listenerAndRouteHostnamesIntersectAsGatewayApiDefinesThem() {
        assertThat(ListenerHostnames.intersects(null, List.of("a.example.com"))).isTrue();
        assertThat(ListenerHostnames.intersects("a.example.com", List.of())).isTrue();
        assertThat(ListenerHostnames.intersects("*.wildcard.io", List.of("foo.bar.wildcard.io"))).isTrue();
        assertThat(ListenerHostnames.intersects("*.wildcard.io", List.of("wildcard.io"))).isFalse();
        assertThat(ListenerHostnames.intersects("very.specific.com", List.of("*.specific.com"))).isTrue();
        assertThat(ListenerHostnames.intersects("*.anotherwildcard.io", List.of("*.io"))).isTrue();
        assertThat(ListenerHostnames.intersects("very.specific.com", List.of("non.matching.com", "*.nonmatching.io")))
                .isFalse();
    }

    @Test
    void theCustomDomainIsAHostnameTheListenersServeOrTheListenersOwnExactName() {
        Listener any = listener(null);
        Listener specific = listener("very.specific.com");
        Listener wildcard = listener("*.bar.com");
        assertThat(ListenerHostnames.customDomain(List.of("datastore.example.com"), List.of(any)))
                .isEqualTo("datastore.example.com");
        assertThat(ListenerHostnames.customDomain(List.of("non.matching.com", "very.specific.com"), List.of(specific)))
                .isEqualTo("very.specific.com");
        assertThat(ListenerHostnames.customDomain(List.of("*.specific.com"), List.of(specific))).isEqualTo("very.specific.com");
        assertThat(ListenerHostnames.customDomain(List.of(), List.of(specific))).isEqualTo("very.specific.com");
        assertThat(ListenerHostnames.customDomain(List.of(), List.of(wildcard))).isNull();
        assertThat(ListenerHostnames.customDomain(List.of("*.example.com"), List.of(any))).isNull();
    }

    private static Listener listener(String hostname) {
        return new ListenerBuilder().withName("l").withPort(80).withProtocol("HTTP").withHostname(hostname).build();
    }

    private static HTTPRouteRule rule(HTTPRouteMatch... matches) {
        return new HTTPRouteRuleBuilder().withMatches(List.of(matches)).build();
    }

    private static HTTPRouteMatch prefix(String path) {
        return new HTTPRouteMatchBuilder().withNewPath().withType("PathPrefix").withValue(path).endPath().build();
    }

    private static HTTPRouteMatch exact(String path) {
        return new HTTPRouteMatchBuilder().withNewPath().withType("Exact").withValue(path).endPath().build();
    }

    private static HTTPRouteMatch method(HTTPRouteMatch match, String method) {
        return new HTTPRouteMatchBuilder(match).withMethod(method).build();
    }

    private static HTTPRouteMatch header(HTTPRouteMatch match, String name, String value) {
        return new HTTPRouteMatchBuilder(match).addNewHeader().withName(name).withValue(value).endHeader().build();
    }

    /** Rule i forwards to target group "r<i>", so the output shows which route rule each Lattice rule came from. */
    private static List<List<WeightedTargetGroup>> forwards(int rules) {
        List<List<WeightedTargetGroup>> out = new ArrayList<>();
        for (int i = 0; i < rules; i++) {
            out.add(List.of(new WeightedTargetGroup("r" + i, 1)));
        }
        return out;
    }

    private static List<String> describe(List<RuleModel> rules) {
        return rules.stream().map(r -> r.priority() + " " + r.pathType() + " " + r.path()
                + (r.method() == null ? "" : " " + r.method())
                + (r.exactHeaders().isEmpty() ? "" : " " + r.exactHeaders().keySet().stream().toList())
                + " -> " + r.forwards().get(0).targetGroupName()).toList();
    }
}
