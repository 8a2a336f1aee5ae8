package dev.trellis.gateway.fabric;

import dev.trellis.auth.Principal;
import dev.trellis.gateway.proxy.HeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.util.AsciiString;

/**
 * The headers a forwarded request carries over the fabric: the first hop's routing decision and the caller it
 * verified. They are regular headers with the {@code x-trellis-fabric-} prefix; the first hop removes every header
 * with that prefix a client sent before adding its own, and the receiving gateway trusts them only on a stream of a
 * connection whose client certificate the fabric CA verified, then removes them all before the target sees the
 * request.
 *
 * <table>
 *   <caption>request headers</caption>
 *   <tr><td>{@code x-trellis-fabric-target-group}</td><td>target group id the rule picked</td></tr>
 *   <tr><td>{@code x-trellis-fabric-service-arn}, {@code -network-arn}</td><td>the service and its service
 *       network ({@code x-amzn-lattice-target})</td></tr>
 *   <tr><td>{@code x-trellis-fabric-source-vpc}, {@code -source-vpc-arn}</td><td>the caller's VPC (must be the VPC
 *       of the peer's certificate)</td></tr>
 *   <tr><td>{@code x-trellis-fabric-caller-arn}, {@code -caller-org-id}, {@code -caller-session}</td><td>the
 *       verified caller; absent for an anonymous one</td></tr>
 *   <tr><td>{@code x-trellis-fabric-request-id}</td><td>the first hop's {@code x-amzn-requestid}</td></tr>
 *   <tr><td>{@code x-trellis-fabric-client-ip}, {@code -listener-port}, {@code -proto}</td><td>what
 *       {@code x-forwarded-for/-port/-proto} are made of</td></tr>
 *   <tr><td>{@code x-trellis-fabric-timeout}</td><td>the service's idle timeout in seconds</td></tr>
 * </table>
 *
 * A response the receiving gateway made itself (unknown target group, target unreachable, timeout) carries
 * {@code x-trellis-fabric-error: <access-log failure reason>}; the first hop records it and removes it.
 */
public final class FabricHeaders {

    static final String PREFIX = "x-trellis-fabric-";
    // The names are AsciiStrings: they keep their hash codes, so setting and reading them hashes nothing per request.
    private static final AsciiString PREFIX_NAME = AsciiString.cached(PREFIX);
    static final AsciiString TARGET_GROUP = AsciiString.cached("x-trellis-fabric-target-group");
    static final AsciiString SERVICE_ARN = AsciiString.cached("x-trellis-fabric-service-arn");
    static final AsciiString NETWORK_ARN = AsciiString.cached("x-trellis-fabric-network-arn");
    static final AsciiString SOURCE_VPC = AsciiString.cached("x-trellis-fabric-source-vpc");
    static final AsciiString SOURCE_VPC_ARN = AsciiString.cached("x-trellis-fabric-source-vpc-arn");
    static final AsciiString CALLER_ARN = AsciiString.cached("x-trellis-fabric-caller-arn");
    static final AsciiString CALLER_ORG_ID = AsciiString.cached("x-trellis-fabric-caller-org-id");
    static final AsciiString CALLER_SESSION = AsciiString.cached("x-trellis-fabric-caller-session");
    static final AsciiString REQUEST_ID = AsciiString.cached("x-trellis-fabric-request-id");
    static final AsciiString CLIENT_IP = AsciiString.cached("x-trellis-fabric-client-ip");
    static final AsciiString LISTENER_PORT = AsciiString.cached("x-trellis-fabric-listener-port");
    static final AsciiString PROTO = AsciiString.cached("x-trellis-fabric-proto");
    static final AsciiString TIMEOUT = AsciiString.cached("x-trellis-fabric-timeout");
    /** On a request: {@code tcp} asks for a TCP tunnel (TLS passthrough) instead of a proxied HTTP request. */
    static final AsciiString TUNNEL = AsciiString.cached("x-trellis-fabric-tunnel");
    /** On a tunnel's 200 response: the target the peer connected to ({@code ip:port}), for the access log. */
    static final AsciiString TARGET = AsciiString.cached("x-trellis-fabric-target");
    /** On a response the receiving gateway made itself: the failure reason for the first hop's access log. */
    static final AsciiString ERROR = AsciiString.cached("x-trellis-fabric-error");

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

    /**
     * Adds the routing decision and the verified caller of {@code forward} to a request head in HTTP/2 form, whose
     * client-sent {@code x-trellis-fabric-*} headers were left out when it was converted.
     */
    static void addTo(Http2Headers headers, RemoteForward forward) {
        headers.set(TARGET_GROUP, forward.targetGroup().id());
        headers.set(SERVICE_ARN, forward.serviceArn());
        headers.set(NETWORK_ARN, forward.serviceNetworkArn());
        headers.set(SOURCE_VPC, forward.sourceVpcId());
        headers.set(SOURCE_VPC_ARN, forward.sourceVpcArn());
        Principal caller = forward.caller();
        if (!caller.isAnonymous()) {
            headers.set(CALLER_ARN, caller.arn());
            caller.orgId().ifPresent(org -> headers.set(CALLER_ORG_ID, org));
            caller.sessionName().ifPresent(session -> headers.set(CALLER_SESSION, session));
        }
        headers.set(REQUEST_ID, forward.requestId());
        headers.set(CLIENT_IP, forward.clientIp());
        headers.setInt(LISTENER_PORT, forward.listenerPort());
        headers.set(PROTO, forward.forwardedProto());
        headers.setLong(TIMEOUT, Math.max(1, forward.responseTimeout().toSeconds()));
    }
}
