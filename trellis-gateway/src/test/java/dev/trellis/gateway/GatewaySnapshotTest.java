package dev.trellis.gateway;

import static dev.trellis.gateway.support.Fixtures.VPC_A;
import static dev.trellis.gateway.support.Fixtures.VPC_B;
import static dev.trellis.gateway.support.Fixtures.datastore;
import static dev.trellis.gateway.support.Fixtures.defaultRule;
import static dev.trellis.gateway.support.Fixtures.forward;
import static dev.trellis.gateway.support.Fixtures.group;
import static dev.trellis.gateway.support.Fixtures.http;
import static dev.trellis.gateway.support.Fixtures.snapshot;
import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.auth.Principal;
import dev.trellis.auth.policy.Decision;
import dev.trellis.auth.policy.RequestContext;
import dev.trellis.auth.sigv4.SigV4Outcome;
import dev.trellis.auth.sigv4.SignedRequest;
import dev.trellis.gateway.support.Signer;
import dev.trellis.model.snapshot.CallerCredential;
import dev.trellis.model.snapshot.ServiceListener;
import dev.trellis.model.snapshot.VpcSnapshot;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GatewaySnapshotTest {

    static final Signer GOOD = new Signer("AKIDGOOD", "good-secret-key-00000000000000000000000");
    static final Signer BROKEN_POLICY = new Signer("AKIDBROKENPOLICY", "broken-policy-secret-000000000000000000");

    static CallerCredential withType(CallerCredential c, String type) {
        return new CallerCredential(c.accessKeyId(), type, c.arn(), c.principalArn(), c.accountId(), c.userId(),
                c.userName(), c.sessionName(), c.principalTags(), c.sessionToken(), c.expiresAt(), c.derivedKeys(),
                c.sigV4aPublicKey(), c.identityPolicies());
    }

    @Test
    void compilesPortsPoolsAndTheHeaderValuesOnceForTheVpc() {
        GatewaySnapshot compiled = GatewaySnapshot.compile(snapshot(7, List.of(datastore(
                        http(80, defaultRule(forward("tg-local", 1))),
                        new ServiceListener("listener-0aaaaaaaaaaaaaaaa", "arn:l", "HTTPS", 443,
                                List.of(defaultRule(forward("tg-remote", 1)))))),
                List.of(group("tg-local", VPC_A, 3000), group("tg-remote", VPC_B, 3000)), List.of()),
                null);

        // HTTPS ports are served too (TLS in front); the two sets tell the pipelines apart.
        assertThat(compiled.httpPorts()).containsExactly(80, 443);
        assertThat(compiled.cleartextPorts()).containsExactly(80);
        assertThat(compiled.tlsPorts()).containsExactly(443);
        assertThat(compiled.targetPools()).containsOnlyKeys("tg-local");
        assertThat(compiled.targetGroup("tg-remote").vpcId()).isEqualTo(VPC_B);
        assertThat(compiled.peer(VPC_B)).isNotNull();
        assertThat(compiled.networkHeader())
                .isEqualTo("SourceVpcArn=arn:aws:ec2:us-west-2:615847537300:vpc/vpc-027baaaf7156c6075");
        assertThat(compiled.revision()).isEqualTo(7);
    }

    @Test
    void aSwapReusesThePoolsOfUnchangedGroupsAndKeepsTheHealthOfTargetsInChangedOnes() {
        GatewaySnapshot first = GatewaySnapshot.compile(snapshot(1, List.of(datastore(
                        http(80, defaultRule(forward("tg-a", 1, "tg-b", 1))))),
                List.of(group("tg-a", VPC_A, 3000), group("tg-b", VPC_A, 3000)), List.of()), null);
        first.targetPool("tg-b").targets().get(0).health().markUnhealthy();

        GatewaySnapshot second = GatewaySnapshot.compile(snapshot(2, List.of(datastore(
                        http(80, defaultRule(forward("tg-a", 1, "tg-b", 1))))),
                List.of(group("tg-a", VPC_A, 3000), group("tg-b", VPC_A, 3000, 3001)), List.of()), first);

        assertThat(second.targetPool("tg-a")).as("unchanged group").isSameAs(first.targetPool("tg-a"));
        assertThat(second.targetPool("tg-b")).as("a target was added").isNotSameAs(first.targetPool("tg-b"));
        assertThat(second.targetPool("tg-b").allTargets()).extracting(t -> t.status().name())
                .containsExactly("UNHEALTHY", "UNAVAILABLE");
    }

    @Test
    void aRevisionWithTheVeryEntriesOfTheOneServedKeepsEverythingCompiled() {
        VpcSnapshot entries = snapshot(1, List.of(datastore(http(80, defaultRule(forward("tg-a", 1))))),
                List.of(group("tg-a", VPC_A, 3000)), List.of());
        GatewaySnapshot first = GatewaySnapshot.compile(entries, null);
        VpcSnapshot sameEntries = new VpcSnapshot(2, entries.vpcId(), entries.accountId(), entries.region(),
                entries.compiledAt(), List.copyOf(entries.services()), List.copyOf(entries.targetGroups()),
                entries.peers(), entries.credentials(), entries.certificates(), entries.dnsZones());

        GatewaySnapshot second = GatewaySnapshot.compile(sameEntries, first);

        assertThat(second.revision()).isEqualTo(2);
        assertThat(second.snapshot()).isSameAs(sameEntries);
        assertThat(second.routing()).isSameAs(first.routing());
        assertThat(second.verifier()).isSameAs(first.verifier());
        assertThat(second.targetPools()).isSameAs(first.targetPools());
        // Equal entries that are not the same objects (decoded by Jackson, not by a SnapshotDecoder) are compiled.
        GatewaySnapshot third = GatewaySnapshot.compile(snapshot(3, List.of(datastore(http(80,
                defaultRule(forward("tg-a", 1))))), List.of(group("tg-a", VPC_A, 3000)), List.of()), second);
        assertThat(third.routing()).isNotSameAs(second.routing());
        assertThat(third.targetPool("tg-a")).isSameAs(second.targetPool("tg-a"));
    }

    @Test
    void leavesOutACredentialItCannotUseAndKeepsTheOthers() {
        CallerCredential unusable = withType(new Signer("AKIDUNUSABLE", "x".repeat(40))
                .assumedRole("r", "s"), "NotAPrincipalType");
        GatewaySnapshot compiled = GatewaySnapshot.compile(snapshot(1, List.of(), List.of(),
                List.of(unusable, GOOD.assumedRole("aws-sigv4-client", "frontend"))), null);

        assertThat(verify(compiled, GOOD)).isInstanceOf(SigV4Outcome.Authenticated.class);
        assertThat(verify(compiled, new Signer("AKIDUNUSABLE", "x".repeat(40))))
                .isInstanceOf(SigV4Outcome.Rejected.class);
    }

    @Test
    void deniesEverythingToACallerWhoseIdentityPolicyDoesNotParse() {
        GatewaySnapshot compiled = GatewaySnapshot.compile(snapshot(1, List.of(), List.of(),
                List.of(BROKEN_POLICY.assumedRole("r", "s", "{\"Statement\": nope}"))), null);

        var policies = compiled.identityPolicies("AKIDBROKENPOLICY");
        assertThat(policies).hasSize(1);
        assertThat(policies.get(0).evaluate("vpc-lattice-svcs:Invoke", "arn:aws:vpc-lattice:us-west-2:1:service/x/",
                RequestContext.builder(Principal.anonymous()).build())).isEqualTo(Decision.EXPLICIT_DENY);
        assertThat(compiled.identityPolicies("AKIDUNKNOWN")).isEmpty();
    }

    private static SigV4Outcome verify(GatewaySnapshot compiled, Signer signer) {
        String host = "svc.example";
        Map<String, List<String>> headers = signer.signedHeaders("GET", host, "/", signerSecret(signer));
        SignedRequest.Builder request = SignedRequest.builder("GET", "/");
        headers.forEach((name, values) -> values.forEach(v -> request.header(name, v)));
        return compiled.verifier().verify(request.emptyBody().build());
    }

    private static String signerSecret(Signer signer) {
        return signer == GOOD ? "good-secret-key-00000000000000000000000" : "x".repeat(40);
    }
}
