package dev.trellis.gateway.fabric;

import dev.trellis.auth.Principal;
import dev.trellis.gateway.proxy.HeaderNames;
import dev.trellis.model.snapshot.TargetGroupEntry;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.util.AsciiString;
import java.util.Optional;

/**
 * The headers a forwarded request carries over the fabric: the first hop's routing decision and the caller it
 * verified. They are regular headers with the {@code x-trellis-fabric-} prefix; the first hop removes every header
 * with that prefix a client sent before adding its own, and the receiving gateway trusts them only on a stream of a
 * connection whose client certificate the fabric CA verified, then removes them all before the target sees the
 * request.
 *
 * <p>Three headers, each a list of fields separated by single spaces, grouped by how often they change. A header
 * costs the same per request on both sides (HPACK, validation, the header maps) whatever its length, and the two
 * that repeat are HPACK-indexed after their first request: the routing decision once per route, the caller once per
 * caller. A field holding a space or {@code %} has them percent-encoded ({@code %20}, {@code %25}); ARNs, ids and
 * addresses never do.
 *
 * <table>
 *   <caption>request headers</caption>
 *   <tr><td>{@code x-trellis-fabric-route}</td><td>{@code <target group id> <listener port> <proto> <timeout>
 *       <service ARN> <service network ARN>}: the group the rule picked; what {@code x-forwarded-port/-proto} are
 *       made of; the service's idle timeout in seconds; what {@code x-amzn-lattice-target} is made of</td></tr>
 *   <tr><td>{@code x-trellis-fabric-caller}</td><td>{@code <source VPC> <source VPC ARN>}, then for a verified
 *       caller {@code <caller ARN> <org id> <session>} ({@code -} for none): the caller's VPC (must be the VPC of
 *       the peer's certificate) and the caller ({@code x-amzn-lattice-identity})</td></tr>
 *   <tr><td>{@code x-trellis-fabric-request}</td><td>{@code <request id> <client IP>}: the first hop's
 *       {@code x-amzn-requestid} and what {@code x-forwarded-for} is made of. New on every request, so never
 *       HPACK-indexed</td></tr>
 *   <tr><td>{@code x-trellis-fabric-tunnel}</td><td>{@code tcp}: a TCP tunnel (TLS passthrough) instead of a
 *       proxied request</td></tr>
 * </table>
 *
 * A response the receiving gateway made itself (unknown target group, target unreachable, timeout) carries
 * {@code x-trellis-fabric-error: <access-log failure reason>}; the first hop records it and removes it.
 */
public final class FabricHeaders {

    static final String PREFIX = "x-trellis-fabric-";
    // The names are AsciiStrings: they keep their hash codes, so setting and reading them hashes nothing per request.
    private static final AsciiString PREFIX_NAME = AsciiString.cached(PREFIX);
    static final AsciiString ROUTE = AsciiString.cached("x-trellis-fabric-route");
    static final AsciiString CALLER = AsciiString.cached("x-trellis-fabric-caller");
    static final AsciiString REQUEST = AsciiString.cached("x-trellis-fabric-request");
    /** On a request: {@code tcp} asks for a TCP tunnel (TLS passthrough) instead of a proxied HTTP request. */
    static final AsciiString TUNNEL = AsciiString.cached("x-trellis-fabric-tunnel");
    /** On a tunnel's 200 response: the target the peer connected to ({@code ip:port}), for the access log. */
    static final AsciiString TARGET = AsciiString.cached("x-trellis-fabric-target");
    /** On a response the receiving gateway made itself: the failure reason for the first hop's access log. */
    static final AsciiString ERROR = AsciiString.cached("x-trellis-fabric-error");
    /** The field of an absent org id or session name (neither can be {@code -}: session names have 2+ characters). */
    static final String NONE = "-";

    private FabricHeaders() {
    }

    /** Removes every {@code x-trellis-fabric-*} header (whoever sent it). */
    public static void strip(HttpHeaders headers) {
        // On the receiving side this runs on every forwarded request and response.
        HeaderNames.removeIf(headers, FabricHeaders::isFabric);
    }

    /** Whether {@code name} is an {@code x-trellis-fabric-*} header (any case). */
    static boolean isFabric(CharSequence name) {
        return HeaderNames.startsWithIgnoreCase(name, PREFIX_NAME);
    }

    /** The {@code x-trellis-fabric-route} value. */
    static AsciiString route(String targetGroupId, int listenerPort, String proto, long timeoutSeconds,
                             String serviceArn, String serviceNetworkArn) {
        return fields(targetGroupId, Integer.toString(listenerPort), proto, Long.toString(timeoutSeconds), serviceArn,
                serviceNetworkArn);
    }

    /** The {@code x-trellis-fabric-caller} value; {@code caller} may be anonymous. */
    static AsciiString caller(String sourceVpc, String sourceVpcArn, Principal caller) {
        return caller.isAnonymous()
                ? fields(sourceVpc, sourceVpcArn)
                : fields(sourceVpc, sourceVpcArn, caller.arn(), orNone(caller.orgId()), orNone(caller.sessionName()));
    }

    private static String orNone(Optional<String> field) {
        return field.filter(value -> !value.isEmpty()).orElse(NONE);
    }

    /** The {@code x-trellis-fabric-request} value. */
    static AsciiString request(String requestId, String clientIp) {
        return fields(requestId, clientIp);
    }

    private static AsciiString fields(String... fields) {
        StringBuilder out = new StringBuilder(256);
        for (String field : fields) {
            if (out.length() > 0) {
                out.append(' ');
            }
            if (field.isEmpty()) {
                throw new IllegalArgumentException("a fabric header field is empty");
            }
            if (field.indexOf(' ') < 0 && field.indexOf('%') < 0) {
                out.append(field);
            } else {
                out.append(field.replace("%", "%25").replace(" ", "%20"));
            }
        }
        return new AsciiString(out);
    }

    /**
     * The fields of {@code value}, the header {@code name}'s value (null when absent): {@code min} to {@code max}
     * non-empty fields, decoded.
     *
     * @throws IllegalArgumentException naming the header when it is missing or has another shape
     */
    static String[] parse(String value, AsciiString name, int min, int max) {
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException("the fabric request has no " + name + " header");
        }
        int count = 1;
        for (int i = value.indexOf(' '); i >= 0; i = value.indexOf(' ', i + 1)) {
            count++;
        }
        if (count < min || count > max) {
            throw new IllegalArgumentException(name + " must have " + (min == max ? min : min + " to " + max)
                    + " space-separated fields, not " + count);
        }
        String[] fields = new String[count];
        for (int i = 0, start = 0; i < count; i++) {
            int end = i == count - 1 ? value.length() : value.indexOf(' ', start);
            fields[i] = value.substring(start, end);
            start = end + 1;
        }
        for (int i = 0; i < fields.length; i++) {
            if (fields[i].isEmpty()) {
                throw new IllegalArgumentException(name + " has an empty field");
            }
            if (fields[i].indexOf('%') >= 0) {
                fields[i] = fields[i].replace("%20", " ").replace("%25", "%");
            }
        }
        return fields;
    }

    /**
     * Writes the fabric headers of one fabric connection's requests. It keeps the last route and caller values it
     * made: for the same route and caller it sends the same objects, which HPACK finds in its table by identity and
     * whose hash codes are kept. Not thread-safe: a fabric connection belongs to one event loop.
     */
    static final class Writer {
        private TargetGroupEntry routeGroup;
        private String routeService;
        private String routeNetwork;
        private int routePort;
        private String routeProto;
        private long routeTimeout;
        private AsciiString routeValue;
        private String callerVpcArn;
        private Principal callerOf;
        private AsciiString callerValue;

        /**
         * Adds the routing decision and the verified caller of {@code forward} to a request head in HTTP/2 form,
         * whose client-sent {@code x-trellis-fabric-*} headers were left out when it was converted.
         */
        void addTo(Http2Headers headers, RemoteForward forward) {
            long timeout = Math.max(1, forward.responseTimeout().toSeconds());
            headers.set(ROUTE, route(forward.targetGroup(), forward.listenerPort(), forward.forwardedProto(), timeout,
                    forward.serviceArn(), forward.serviceNetworkArn()));
            headers.set(CALLER, caller(forward.sourceVpcId(), forward.sourceVpcArn(), forward.caller()));
            headers.set(REQUEST, request(forward.requestId(), forward.clientIp()));
        }

        /**
         * Adds a tunnel's fabric headers. Its caller is anonymous (TLS passthrough has no auth), its proto
         * {@code https}; timeouts are the first hop's (it closes the client, which resets the stream), so the peer
         * needs no value but gets the least one.
         */
        void addTo(HttpHeaders headers, TunnelRequest tunnel) {
            headers.set(TUNNEL, "tcp");
            headers.set(ROUTE, route(tunnel.targetGroup(), tunnel.listenerPort(), "https", 1, tunnel.serviceArn(),
                    tunnel.serviceNetworkArn()));
            headers.set(CALLER, caller(tunnel.sourceVpcId(), tunnel.sourceVpcArn(), Principal.anonymous()));
            headers.set(REQUEST, request(tunnel.connectionId(), tunnel.clientIp()));
        }

        /** The route's value: the one made last when nothing changed. */
        AsciiString route(TargetGroupEntry group, int port, String proto, long timeout, String service,
                          String network) {
            if (group != routeGroup || port != routePort || timeout != routeTimeout || !proto.equals(routeProto)
                    || !service.equals(routeService) || !network.equals(routeNetwork)) {
                routeValue = FabricHeaders.route(group.id(), port, proto, timeout, service, network);
                routeGroup = group;
                routePort = port;
                routeProto = proto;
                routeTimeout = timeout;
                routeService = service;
                routeNetwork = network;
            }
            return routeValue;
        }

        /** The caller's value: the one made last for the same caller and VPC. */
        AsciiString caller(String sourceVpc, String sourceVpcArn, Principal caller) {
            if (caller != callerOf || !sourceVpcArn.equals(callerVpcArn)) {
                callerValue = FabricHeaders.caller(sourceVpc, sourceVpcArn, caller);
                callerOf = caller;
                callerVpcArn = sourceVpcArn;
            }
            return callerValue;
        }
    }
}
