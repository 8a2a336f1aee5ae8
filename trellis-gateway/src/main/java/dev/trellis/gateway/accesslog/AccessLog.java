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
}
