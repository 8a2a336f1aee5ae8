package dev.trellis.controlplane.sts;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.controlplane.TestVpcs;
import dev.trellis.controlplane.iam.IamApiTestBase;
import dev.trellis.controlplane.snapshot.SnapshotService;
import dev.trellis.model.snapshot.VpcSnapshot;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sts.model.Credentials;

/**
 * STS answers once the gateways serve the new session's key: a request signed with credentials just returned must not
 * meet a gateway that has not heard of them (AWS session credentials work at once).
 */
class StsPropagationTest extends IamApiTestBase {

    @Test
    void assumeRoleAnswersOnceEveryPollingGatewayServesTheRevisionWithTheNewSession() throws Exception {
        String vpc = TestVpcs.create(controlPlane, controlPlane.firstStartCredentials().orElseThrow());
        iam.createRole(r -> r.roleName("client").assumeRolePolicyDocument(TRUST_ACCOUNT));
        SnapshotService snapshots = controlPlane.snapshots();
        // a gateway that serves the VPC's current snapshot, and a second one of the same VPC that does too
        snapshots.polled(vpc, snapshots.current(vpc).revision(), "gateway-a");
        snapshots.polled(vpc, snapshots.current(vpc).revision(), "gateway-b");

        CompletableFuture<Credentials> assumed = CompletableFuture.supplyAsync(() -> sts.assumeRole(r -> r
                .roleArn("arn:aws:iam::" + ACCOUNT + ":role/client").roleSessionName("first")).credentials());

        // the session is written (a new revision with its key), but neither gateway has polled for it
        VpcSnapshot withSession = awaitSnapshotWithAKeyOtherThanTheAdmins(snapshots, vpc);
        Thread.sleep(300);
        assertThat(assumed).isNotDone();
        snapshots.polled(vpc, withSession.revision(), "gateway-a");
        Thread.sleep(300);
        assertThat(assumed).as("gateway-b does not serve it yet").isNotDone();
        snapshots.polled(vpc, withSession.revision(), "gateway-b");

        Credentials credentials = assumed.get(5, TimeUnit.SECONDS);
        assertThat(withSession.credentials()).anyMatch(c -> c.accessKeyId().equals(credentials.accessKeyId()));
    }

    @Test
    void aGatewayThatStoppedPollingDelaysTheAnswerAtMostThePropagationWait() throws Exception {
        String vpc = TestVpcs.create(controlPlane, controlPlane.firstStartCredentials().orElseThrow());
        iam.createRole(r -> r.roleName("client").assumeRolePolicyDocument(TRUST_ACCOUNT));
        controlPlane.snapshots().polled(vpc, controlPlane.snapshots().current(vpc).revision(), "gone");

        long started = System.nanoTime();
        Credentials credentials = sts.assumeRole(r -> r.roleArn("arn:aws:iam::" + ACCOUNT + ":role/client")
                .roleSessionName("late")).credentials();

        assertThat(credentials.accessKeyId()).startsWith("ASIA");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(StsService.PROPAGATION_WAIT);
        // once the watcher's lifetime is over, it is not waited for
        clock.advance(SnapshotService.WATCHER_LIFETIME.plusSeconds(1));
        started = System.nanoTime();
        sts.assumeRole(r -> r.roleArn("arn:aws:iam::" + ACCOUNT + ":role/client").roleSessionName("later"));
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(StsService.PROPAGATION_WAIT);
    }

    private static VpcSnapshot awaitSnapshotWithAKeyOtherThanTheAdmins(SnapshotService snapshots, String vpc)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            VpcSnapshot snapshot = snapshots.current(vpc);
            if (snapshot.credentials().stream().anyMatch(c -> c.sessionToken() != null)) {
                return snapshot;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no session reached " + vpc + "'s snapshot");
    }
}
