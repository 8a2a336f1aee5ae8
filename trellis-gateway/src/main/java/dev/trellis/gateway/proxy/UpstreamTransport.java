package dev.trellis.gateway.proxy;

import dev.trellis.model.snapshot.TargetGroupEntry;

/**
 * What the gateway speaks to the targets of a target group, from the group's protocol and protocol version
 * (facts §5). {@link #of} is the one place that makes that choice, for local requests and for requests arriving
 * over the fabric alike.
 *
 * <table>
 *   <tr><th>protocol</th><th>HTTP1</th><th>HTTP2 / GRPC</th></tr>
 *   <tr><td>HTTP</td><td>HTTP/1.1</td><td>h2c, prior knowledge</td></tr>
 *   <tr><td>HTTPS</td><td>HTTP/1.1 over TLS (ALPN http/1.1)</td><td>h2 over TLS (ALPN h2)</td></tr>
 * </table>
 *
 * TLS towards targets does not validate their certificates and sends no SNI (targets are IP addresses), as
 * Lattice.
 */
public enum UpstreamTransport {
    HTTP1(false, false),
    HTTP1_TLS(true, false),
    H2C(false, true),
    H2_TLS(true, true);

    private final boolean tls;
    private final boolean http2;

    UpstreamTransport(boolean tls, boolean http2) {
        this.tls = tls;
        this.http2 = http2;
    }

    public boolean tls() {
        return tls;
    }

    public boolean http2() {
        return http2;
    }

    /**
     * The transport for {@code group}, or null when the gateway cannot proxy to it (protocol TCP, which only a
     * TLS_PASSTHROUGH listener uses; LAMBDA and ALB groups; an unknown protocol or version).
     */
    public static UpstreamTransport of(TargetGroupEntry group) {
        String type = group.type() == null ? "IP" : group.type();
        if (!type.equals("IP") && !type.equals("INSTANCE")) {
            return null;
        }
        String protocol = group.protocol() == null ? "HTTP" : group.protocol();
        String version = group.protocolVersion() == null ? "HTTP1" : group.protocolVersion();
        boolean http2;
        switch (version) {
            case "HTTP1" -> http2 = false;
            case "HTTP2", "GRPC" -> http2 = true;
            default -> {
                return null;
            }
        }
        return switch (protocol) {
            case "HTTP" -> http2 ? H2C : HTTP1;
            case "HTTPS" -> http2 ? H2_TLS : HTTP1_TLS;
            default -> null;
        };
    }
}
