package dev.trellis.controlplane.route53;

import dev.trellis.controlplane.ControlPlaneConfig;
import dev.trellis.controlplane.api.Caller;
import dev.trellis.controlplane.api.OperationAuthorizer;
import dev.trellis.controlplane.store.StoreTransaction;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * What a Route 53 operation works with: the caller, the store transaction it runs in (read-only for Get and List
 * operations), the control plane's settings, a clock, the authorizer, and the {@code Host} the call was made to
 * (for {@code Location} headers).
 */
record Route53Context(
        Caller caller,
        StoreTransaction tx,
        ControlPlaneConfig config,
        Clock clock,
        OperationAuthorizer authorizer,
        String host) {

    private static final DateTimeFormatter TIMESTAMP =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    /** Checks that the caller may run {@code route53:<operation>} on {@code resourceArn}. */
    void authorize(String operation, String resourceArn) {
        authorizer.authorize(caller, "route53:" + operation, resourceArn);
    }

    String account() {
        return caller.accountId();
    }

    String zoneArn(String zoneId) {
        return Route53Ids.zoneArn(config.partition(), zoneId);
    }

    /** Now, as Route 53 writes timestamps ({@code 2017-03-15T01:36:41.958Z}). */
    String now() {
        return TIMESTAMP.format(clock.instant());
    }
}
