package dev.trellis.controlplane.protocol;

import java.util.Map;

/** A response ready for the wire: status, headers (beyond the server's own) and body bytes. */
public record ApiResponse(int status, Map<String, String> headers, byte[] body) {
}
