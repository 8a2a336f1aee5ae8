package dev.trellis.gateway.target;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.model.snapshot.TargetGroupEntry;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TargetPoolTest {

    static TargetGroupEntry group(TargetGroupEntry.Target... targets) {
        return new TargetGroupEntry("tg-0123456789abcdef0", "arn:tg", "IP", "HTTP", "HTTP1", 8080,
                "vpc-0aaaaaaaaaaaaaaaa", null, List.of(targets));
    }

    static List<String> picks(TargetPool pool, int n) {
        List<String> picks = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            picks.add(pool.pick().ipPort());
        }
        return picks;
    }

    @Test
    void roundRobinsAmongHealthyTargetsOnly() {
        TargetPool pool = TargetPool.of(group(new TargetGroupEntry.Target("10.0.0.1", 80, false),
                new TargetGroupEntry.Target("10.0.0.2", 80, false),
                new TargetGroupEntry.Target("10.0.0.3", 80, false)), new HashMap<>());
        pool.targets().get(1).health().markUnhealthy();

        List<String> picks = picks(pool, 6);

        assertThat(Collections.frequency(picks, "10.0.0.1:80")).isEqualTo(3);
        assertThat(Collections.frequency(picks, "10.0.0.3:80")).isEqualTo(3);
    }

    @Test
    void failsOpenToEveryTargetWhenNoneIsHealthy() {
        TargetPool pool = TargetPool.of(group(new TargetGroupEntry.Target("10.0.0.1", 80, false),
                new TargetGroupEntry.Target("10.0.0.2", 80, false)), new HashMap<>());
        pool.targets().forEach(t -> t.health().markUnhealthy());

        assertThat(picks(pool, 4)).containsExactlyInAnyOrder("10.0.0.1:80", "10.0.0.1:80", "10.0.0.2:80",
                "10.0.0.2:80");
    }

    @Test
    void leavesOutDrainingTargetsAndIdsThatAreNotIpAddresses() {
        TargetPool pool = TargetPool.of(group(new TargetGroupEntry.Target("10.0.0.1", 0, false),
                new TargetGroupEntry.Target("10.0.0.2", 80, true),
                new TargetGroupEntry.Target("i-0123456789abcdef0", 80, false),
                new TargetGroupEntry.Target("fd00:ec2::5", 443, false)), new HashMap<>());

        assertThat(pool.targets()).extracting(PoolTarget::ipPort)
                .containsExactly("10.0.0.1:8080", "fd00:ec2:0:0:0:0:0:5:443");
    }

    @Test
    void picksAnotherTargetForARetryWhenThereIsOne() {
        TargetPool single = TargetPool.of(group(new TargetGroupEntry.Target("10.0.0.1", 80, false)),
                new HashMap<>());
        TargetPool two = TargetPool.of(group(new TargetGroupEntry.Target("10.0.0.1", 80, false),
                new TargetGroupEntry.Target("10.0.0.2", 80, false)), new HashMap<>());
        PoolTarget first = two.pick();

        assertThat(single.pickOtherThan(single.pick())).isNull();
        assertThat(two.pickOtherThan(first)).isNotSameAs(first);
        assertThat(TargetPool.of(group(), new HashMap<>()).pick()).isNull();
    }

    @Test
    void reusesTheHealthOfTargetsItAlreadyKnows() {
        Map<String, TargetHealth> health = new HashMap<>();
        TargetPool before = TargetPool.of(group(new TargetGroupEntry.Target("10.0.0.1", 80, false)), health);
        before.targets().get(0).health().markUnhealthy();

        TargetPool after = TargetPool.of(group(new TargetGroupEntry.Target("10.0.0.1", 80, false),
                new TargetGroupEntry.Target("10.0.0.2", 80, false)), health);

        assertThat(after.targets().get(0).health().isHealthy()).isFalse();
        assertThat(after.targets().get(1).health().isHealthy()).isTrue();
    }

    @Test
    void aChangedGroupKeepsItsKnownTargetsAndGivesADrainingOneItsHealth() {
        TargetGroupEntry.Target one = new TargetGroupEntry.Target("10.0.0.1", 80, false);
        TargetGroupEntry.Target two = new TargetGroupEntry.Target("10.0.0.2", 80, false);
        TargetPool before = TargetPool.carryOver(checkedGroup(one, two), null);
        before.targets().get(1).health().markHealthy();

        TargetPool after = TargetPool.carryOver(checkedGroup(one, new TargetGroupEntry.Target("10.0.0.2", 80, true),
                new TargetGroupEntry.Target("10.0.0.3", 80, false)), before);

        assertThat(after).isNotSameAs(before);
        assertThat(after.allTargets().get(0)).isSameAs(before.allTargets().get(0));
        PoolTarget draining = after.allTargets().get(1);
        assertThat(draining).isNotSameAs(before.allTargets().get(1));
        assertThat(draining.draining()).isTrue();
        assertThat(draining.health()).isSameAs(before.allTargets().get(1).health());
        assertThat(draining.address()).isSameAs(before.allTargets().get(1).address());
        assertThat(after.allTargets().get(2).status()).isEqualTo(TargetStatus.INITIAL);
        assertThat(picks(after, 2)).containsOnly("10.0.0.1:80", "10.0.0.3:80");
    }

    @Test
    void aCheckThatConfirmsTheStateWritesNothing() {
        TargetHealth health = new TargetHealth(true);
        health.set(TargetStatus.UNHEALTHY, "HealthCheckFailed");
        TargetHealth.State state = health.state();

        assertThat(health.set(TargetStatus.UNHEALTHY, "HealthCheckFailed")).isFalse();
        assertThat(health.state()).isSameAs(state);
        assertThat(health.set(TargetStatus.UNHEALTHY, "Timeout")).isTrue();
        assertThat(health.reasonCode()).isEqualTo("Timeout");
        assertThat(health.set(TargetStatus.HEALTHY, null)).isTrue();
        assertThat(health.set(TargetStatus.HEALTHY, null)).isFalse();
        assertThat(health.isHealthy()).isTrue();
    }

    static TargetGroupEntry checkedGroup(TargetGroupEntry.Target... targets) {
        return new TargetGroupEntry("tg-0123456789abcdef0", "arn:tg", "IP", "HTTP", "HTTP1", 8080,
                "vpc-0aaaaaaaaaaaaaaaa", new TargetGroupEntry.HealthCheck(true, "HTTP", "HTTP1", 0, "/", 30, 5, 5, 2,
                "200"), List.of(targets));
    }

    @Test
    void newTargetsStartInitialWhenCheckedAndUnavailableWhenNot() {
        TargetPool checked = TargetPool.of(checkedGroup(new TargetGroupEntry.Target("10.0.0.1", 80, false)),
                new HashMap<>());
        TargetPool unchecked = TargetPool.of(group(new TargetGroupEntry.Target("10.0.0.1", 80, false)),
                new HashMap<>());

        assertThat(checked.targets().get(0).status()).isEqualTo(TargetStatus.INITIAL);
        assertThat(unchecked.targets().get(0).status()).isEqualTo(TargetStatus.UNAVAILABLE);
        assertThat(unchecked.targets().get(0).reasonCode()).isEqualTo("HealthCheckDisabled");
    }

    @Test
    void initialTargetsWaitForTheirFirstPassWhileAnotherIsHealthyButCountWhenFailingOpen() {
        TargetPool pool = TargetPool.of(checkedGroup(new TargetGroupEntry.Target("10.0.0.1", 80, false),
                new TargetGroupEntry.Target("10.0.0.2", 80, false)), new HashMap<>());

        assertThat(picks(pool, 4)).containsExactlyInAnyOrder("10.0.0.1:80", "10.0.0.1:80", "10.0.0.2:80",
                "10.0.0.2:80");

        pool.targets().get(1).health().markHealthy();
        assertThat(picks(pool, 4)).containsOnly("10.0.0.2:80");
    }

    @Test
    void drainingTargetsAreReportedButNeverPickedEvenWhenFailingOpen() {
        TargetPool pool = TargetPool.of(checkedGroup(new TargetGroupEntry.Target("10.0.0.1", 80, true),
                new TargetGroupEntry.Target("10.0.0.2", 80, false)), new HashMap<>());
        pool.allTargets().forEach(t -> t.health().markUnhealthy());

        assertThat(pool.allTargets()).extracting(PoolTarget::status)
                .containsExactly(TargetStatus.DRAINING, TargetStatus.UNHEALTHY);
        assertThat(pool.allTargets().get(0).reasonCode()).isEqualTo("DeregistrationInProgress");
        assertThat(picks(pool, 4)).containsOnly("10.0.0.2:80");
        assertThat(pool.pickOtherThan(pool.targets().get(0))).isNull();

        TargetPool allDraining = TargetPool.of(checkedGroup(new TargetGroupEntry.Target("10.0.0.1", 80, true)),
                new HashMap<>());
        assertThat(allDraining.pick()).isNull();
    }

    @Test
    void aKnownTargetFollowsItsGroupsHealthCheckSwitch() {
        Map<String, TargetHealth> health = new HashMap<>();
        TargetPool on = TargetPool.of(checkedGroup(new TargetGroupEntry.Target("10.0.0.1", 80, false)), health);
        on.targets().get(0).health().markUnhealthy();

        TargetPool off = TargetPool.of(group(new TargetGroupEntry.Target("10.0.0.1", 80, false)), health);
        assertThat(off.targets().get(0).status()).isEqualTo(TargetStatus.UNAVAILABLE);

        TargetPool onAgain = TargetPool.of(checkedGroup(new TargetGroupEntry.Target("10.0.0.1", 80, false)),
                health);
        assertThat(onAgain.targets().get(0).status()).isEqualTo(TargetStatus.INITIAL);
    }
}
