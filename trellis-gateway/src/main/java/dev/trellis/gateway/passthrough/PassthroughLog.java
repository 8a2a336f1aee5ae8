package dev.trellis.gateway.passthrough;

import dev.trellis.gateway.GatewaySnapshot;
import dev.trellis.gateway.accesslog.AccessLogRecord;
import dev.trellis.gateway.http.PipelineContext;
import dev.trellis.gateway.routing.ServiceRoute;
import dev.trellis.model.snapshot.TargetGroupEntry;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The access-log record of one TLS_PASSTHROUGH connection (facts §7's fields; one record per connection, written
 * when it ends). What a passthrough gateway cannot see is {@code "-"}: method, path, protocol, status, headers, the
 * TLS version and cipher (never terminated), the caller (always anonymous).
 */
final class PassthroughLog {

    private static final Logger log = LoggerFactory.getLogger(PassthroughLog.class);

    static final String LISTENER_TYPE = "TLS_PASSTHROUGH";

    private PassthroughLog() {
    }

    /** A new connection id: the record's {@code requestId}, and what the fabric peer logs. */
    static String newConnectionId() {
        return UUID.randomUUID().toString();
    }

    /** A connection that ended before a service was chosen (no or unknown SNI, bad or late ClientHello). */
    static void refused(PipelineContext context, GatewaySnapshot snapshot, InetSocketAddress remote,
                        int listenerPort, String serverName, String failureReason, long startNanos,
                        long startMillis) {
        write(context, record(snapshot, null, null, remote, null, failureReason, null, serverName, startMillis,
                0, 0, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos), null, newConnectionId()));
    }

    static AccessLogRecord record(GatewaySnapshot snapshot, ServiceRoute route, TargetGroupEntry group,
                                  InetSocketAddress remote, String targetIpPort, String failureReason,
                                  String authDeniedReason, String serverName, long startMillis, long bytesReceived,
                                  long bytesSent, long durationMillis, Long toTargetMillis, String connectionId) {
        return new AccessLogRecord(
                route == null ? null : route.service().networkArn(),
                null,
                route == null ? null : LISTENER_TYPE,
                authDeniedReason,
                group == null ? null : group.arn(),
                snapshot.sourceVpcArn(),
                group == null ? null : group.vpcId(),
                remote == null ? null : remote.getAddress().getHostAddress() + ":" + remote.getPort(),
                route == null ? null : route.listener().id(),
                targetIpPort,
                failureReason,
                route == null ? null : route.service().arn(),
                snapshot.snapshot().vpcId(),
                Instant.ofEpochMilli(startMillis),
                null,
                null,
                null,
                0,
                bytesReceived,
                bytesSent,
                durationMillis,
                null,
                null,
                serverName,
                toTargetMillis,
                null,
                null,
                null,
                null,
                null,
                null, null, null, null, null,
                connectionId);
    }

    static void write(PipelineContext context, AccessLogRecord record) {
        try {
            context.config().accessLog().log(record);
        } catch (RuntimeException e) {
            log.warn("the access log refused a record: {}", e.toString());
        }
    }
}
