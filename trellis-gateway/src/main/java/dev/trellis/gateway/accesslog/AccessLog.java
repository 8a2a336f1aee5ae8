package dev.trellis.gateway.accesslog;

/**
 * Receives one {@link AccessLogRecord} per request the gateway answered, once the response is complete (or the
 * exchange failed). Called on event loops: implementations must not block (queue and write elsewhere).
 */
@FunctionalInterface
public interface AccessLog {

    /** Discards every record. */
    AccessLog NONE = record -> { };

    void log(AccessLogRecord record);

    /**
     * Called once by the server before it serves, for logs that depend on the snapshot (destinations of access-log
     * subscriptions). Does nothing by default.
     */
    default void bind(dev.trellis.gateway.GatewaySnapshots snapshots) {
    }
}
