package dev.trellis.gateway.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.model.snapshot.AuthLevel;
import dev.trellis.model.snapshot.HttpMatch;
import dev.trellis.model.snapshot.ListenerRule;
import dev.trellis.model.snapshot.RuleAction;
import dev.trellis.model.snapshot.ServiceEntry;
import dev.trellis.model.snapshot.ServiceListener;
import dev.trellis.model.snapshot.TargetGroupEntry;
import dev.trellis.model.snapshot.VpcSnapshot;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RoutingTableTest {

    static final String VPC = "vpc-0aaaaaaaaaaaaaaaa";
    static final String DOMAIN = "datastore-0123456789abcdef0.7d67968.vpc-lattice-svcs.us-west-2.on.aws";

    /** A request head for tests: method, path and headers. */
    record Head(String method, String path, Map<String, List<String>> headers) implements RequestHead {
        Head(String method, String path) {
            this(method, path, Map.of());
        }

        @Override
        public List<String> headerValues(String name) {
            return headers.getOrDefault(name.toLowerCase(java.util.Locale.ROOT), List.of());
        }
    }

    static RuleAction to(String... groupsAndWeights) {
        List<RuleAction.WeightedTargetGroup> groups = new ArrayList<>();
        for (int i = 0; i < groupsAndWeights.length; i += 2) {
            groups.add(new RuleAction.WeightedTargetGroup(groupsAndWeights[i],
                    Integer.parseInt(groupsAndWeights[i + 1])));
        }
        return RuleAction.forward(groups);
    }

    static ListenerRule rule(int priority, HttpMatch match, RuleAction action) {
        return new ListenerRule("rule-" + priority, "arn:rule-" + priority, priority, false, match, action);
    }

    static HttpMatch path(String value, boolean prefix, boolean caseSensitive) {
        return new HttpMatch(null, new HttpMatch.PathMatch(value, prefix, caseSensitive), List.of());
    }

    static VpcSnapshot walkthrough() {
        List<ListenerRule> rules = List.of(
                rule(10, path("/popular", true, false), to("tg-v1", "100")),
                rule(20, path("/summary", true, false), to("tg-v1", "50", "tg-v2", "50")),
                rule(30, new HttpMatch("DELETE", null, List.of(
                        new HttpMatch.HeaderMatch("x-canary", HttpMatch.HeaderMatchType.PREFIX, "Yes", false))),
                        to("tg-v2", "1")),
                new ListenerRule("rule-default", "arn:default", null, true, null, RuleAction.fixedResponse(404)));
        ServiceEntry service = new ServiceEntry("svc-0123456789abcdef0",
                "arn:aws:vpc-lattice:us-west-2:111122223333:service/svc-0123456789abcdef0", "datastore", DOMAIN,
                "datastore.sarathy.io", null, "sn-0123456789abcdef0",
                "arn:aws:vpc-lattice:us-west-2:111122223333:servicenetwork/sn-0123456789abcdef0",
                AuthLevel.NONE, AuthLevel.NONE, 60,
                List.of(new ServiceListener("listener-0123456789abcdef0", "arn:listener", "HTTP", 80, rules)), List.of());
        List<TargetGroupEntry> groups = List.of(
                new TargetGroupEntry("tg-v1", "arn:tg-v1", "IP", "HTTP", "HTTP1", 3000, VPC, null, List.of()),
                new TargetGroupEntry("tg-v2", "arn:tg-v2", "IP", "HTTP", "HTTP1", 3000, VPC, null, List.of()));
        return new VpcSnapshot(3, VPC, "111122223333", "us-west-2", Instant.EPOCH, List.of(service), groups,
                List.of(), List.of()).ensureConsistent();
    }

    private final RoutingTable table = RoutingTable.compile(walkthrough());

    @Test
    void findsTheServiceByGeneratedNameOrCustomDomainAndListenerPort() {
        assertThat(table.find(DOMAIN, 80)).isNotNull();
        assertThat(table.find("Datastore.Sarathy.IO:80", 80)).isSameAs(table.find(DOMAIN, 80));
        assertThat(table.find("datastore.sarathy.io.", 80)).isNotNull();
        assertThat(table.find("datastore.sarathy.io", 443)).isNull();
        assertThat(table.find("frontend.sarathy.io", 80)).isNull();
        assertThat(table.find(null, 80)).isNull();
        assertThat(table.ports()).containsExactly(80);
    }

    @Test
    void aChangedServiceKeepsTheCompiledRulesOfTheRulesThatDidNotChange() {
        VpcSnapshot before = walkthrough();
        RoutingTable compiled = RoutingTable.compile(before);
        ServiceEntry service = before.services().get(0);
        ServiceListener listener = service.listeners().get(0);
        List<ListenerRule> rules = new java.util.ArrayList<>(listener.rules());
        // The canary shift: only the second rule is new; the others are the previous objects, as the decoder
        // hands them over.
        rules.set(1, rule(20, path("/summary", true, false), to("tg-v1", "10", "tg-v2", "90")));
        ServiceEntry shifted = new ServiceEntry(service.id(), service.arn(), service.name(), service.domainName(),
                service.customDomainName(), service.certificateArn(), service.networkId(), service.networkArn(),
                service.networkAuth(), service.serviceAuth(), service.idleTimeoutSeconds(),
                List.of(new ServiceListener(listener.id(), listener.arn(), listener.protocol(), listener.port(),
                        rules)), service.accessLogDestinations());
        VpcSnapshot next = new VpcSnapshot(4, VPC, "111122223333", "us-west-2", Instant.EPOCH, List.of(shifted),
                before.targetGroups(), List.of(), List.of()).ensureConsistent();

        RoutingTable after = RoutingTable.compile(next, compiled);

        List<CompiledRule> was = compiled.find(DOMAIN, 80).rules();
        List<CompiledRule> now = after.find(DOMAIN, 80).rules();
        assertThat(after.find(DOMAIN, 80)).isNotSameAs(compiled.find(DOMAIN, 80));
        assertThat(now.get(0)).isSameAs(was.get(0));
        assertThat(now.get(1)).isNotSameAs(was.get(1));
        assertThat(now.get(1).rule()).isSameAs(rules.get(1));
        assertThat(now.get(2)).isSameAs(was.get(2));
        assertThat(now.get(3)).isSameAs(was.get(3));
    }

    @Test
    void matchesPathPrefixesCaseInsensitivelyByDefaultAndFallsBackToTheDefaultRule() {
        ServiceRoute route = table.find(DOMAIN, 80);

        assertThat(route.match(new Head("GET", "/popular")).rule().id()).isEqualTo("rule-10");
        assertThat(route.match(new Head("GET", "/POPULAR/today")).rule().id()).isEqualTo("rule-10");
        assertThat(route.match(new Head("GET", "/summary")).rule().id()).isEqualTo("rule-20");
        assertThat(route.match(new Head("GET", "/other")).fixedResponseStatus()).isEqualTo(404);
    }

    @Test
    void methodIsExactAndHeaderMatchesLookAtEveryValue() {
        ServiceRoute route = table.find(DOMAIN, 80);
        Map<String, List<String>> headers = new HashMap<>();
        headers.put("x-canary", List.of("no", "yes-please"));

        assertThat(route.match(new Head("DELETE", "/x", headers)).rule().id()).isEqualTo("rule-30");
        assertThat(route.match(new Head("delete", "/x", headers)).rule().isDefault()).isTrue();
        assertThat(route.match(new Head("DELETE", "/x")).rule().isDefault()).isTrue();
    }

    @Test
    void caseSensitivePathsMatchOnlyTheirCase() {
        CompiledRule exact = new CompiledRule(rule(1, path("/Summary", false, true), to("tg-v1", "1")), null);

        assertThat(exact.matches(new Head("GET", "/Summary"))).isTrue();
        assertThat(exact.matches(new Head("GET", "/summary"))).isFalse();
        assertThat(exact.matches(new Head("GET", "/Summary/x"))).isFalse();
    }

    @Test
    void splitsFiftyFiftyExactlyOverEveryCycleAndSkipsZeroWeights() {
        Forwarding canary = table.find(DOMAIN, 80).match(new Head("GET", "/summary")).forwarding();
        List<String> picks = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            picks.add(canary.pick());
        }

        assertThat(Collections.frequency(picks, "tg-v1")).isEqualTo(50);
        assertThat(Collections.frequency(picks, "tg-v2")).isEqualTo(50);
        assertThat(new Forwarding(to("a", "0", "b", "3").forward()).pick()).isEqualTo("b");
        assertThat(new Forwarding(to("a", "0").forward()).pick()).isNull();
    }

    @Test
    void smoothScheduleSpreadsTheSmallerWeight() {
        String[] schedule = Forwarding.smoothSchedule(to("a", "90", "b", "10").forward());

        assertThat(schedule).hasSize(10);
        assertThat(List.of(schedule)).containsOnlyOnce("b");
        assertThat(Forwarding.smoothSchedule(to("a", "2", "b", "1").forward())).containsExactly("a", "b", "a");
    }
}
