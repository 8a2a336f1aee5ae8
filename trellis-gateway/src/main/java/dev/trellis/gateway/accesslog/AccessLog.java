package dev.trellis.gateway.accesslog;

/**
 * Receives one {@link AccessLogRecord} per request the gateway answered, once the response is complete (or the
 * exchange failed). Called on event loops: implementations must not block (queue and write elsewhere).
 */
@FunctionalInterface
public interface AccessLog {

    /** Discards every record (and says so, so that none is built). */
    AccessLog NONE = new AccessLog() {
        @Override
        public void log(AccessLogRecord record) {
        }

        @Override
        public boolean wants(String serviceArn) {
            return false;
        }
    };

    void log(AccessLogRecord record);

    /**
     * Whether a request to the service {@code serviceArn} (null: none was found) is logged at all; when not, the
     * gateway does not build its record (a record is a few dozen fields, on every request's path). Yes by default.
     */
    default boolean wants(String serviceArn) {
        return true;
    }

    /**
     * Called once by the server before it serves, for logs that depend on the snapshot (destinations of access-log
     * subscriptions). Does nothing by default.
     */
    default void bind(dev.trellis.gateway.GatewaySnapshots snapshots) {
    }
}
