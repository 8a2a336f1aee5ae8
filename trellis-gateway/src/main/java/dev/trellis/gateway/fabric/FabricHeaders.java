package dev.trellis.gateway.fabric;

import dev.trellis.auth.Principal;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

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
    static final String TARGET_GROUP = PREFIX + "target-group";
    static final String SERVICE_ARN = PREFIX + "service-arn";
    static final String NETWORK_ARN = PREFIX + "network-arn";
    static final String SOURCE_VPC = PREFIX + "source-vpc";
    static final String SOURCE_VPC_ARN = PREFIX + "source-vpc-arn";
    static final String CALLER_ARN = PREFIX + "caller-arn";
    static final String CALLER_ORG_ID = PREFIX + "caller-org-id";
    static final String CALLER_SESSION = PREFIX + "caller-session";
    static final String REQUEST_ID = PREFIX + "request-id";
    static final String CLIENT_IP = PREFIX + "client-ip";
    static final String LISTENER_PORT = PREFIX + "listener-port";
    static final String PROTO = PREFIX + "proto";
    static final String TIMEOUT = PREFIX + "timeout";
    /** On a request: {@code tcp} asks for a TCP tunnel (TLS passthrough) instead of a proxied HTTP request. */
    static final String TUNNEL = PREFIX + "tunnel";
    /** On a tunnel's 200 response: the target the peer connected to ({@code ip:port}), for the access log. */
    static final String TARGET = PREFIX + "target";
    /** On a response the receiving gateway made itself: the failure reason for the first hop's access log. */
    static final String ERROR = PREFIX + "error";

    private FabricHeaders() {
    }

    /** Removes every {@code x-trellis-fabric-*} header (whoever sent it). */
    public static void strip(HttpHeaders headers) {
        List<String> doomed = null;
        for (String name : headers.names()) {
            if (name.toLowerCase(Locale.ROOT).startsWith(PREFIX)) {
                if (doomed == null) {
                    doomed = new ArrayList<>();
                }
                doomed.add(name);
            }
        }
        if (doomed != null) {
            doomed.forEach(headers::remove);
        }
    }

    /** Removes Netty's {@code x-http2-*} conversion headers (stream id, scheme). */
    static void stripHttp2Conversion(HttpHeaders headers) {
        List<String> doomed = null;
        for (String name : headers.names()) {
            if (name.toLowerCase(Locale.ROOT).startsWith("x-http2-")) {
                if (doomed == null) {
                    doomed = new ArrayList<>();
                }
                doomed.add(name);
            }
        }
        if (doomed != null) {
            doomed.forEach(headers::remove);
        }
    }

    /** Adds the routing decision and the verified caller of {@code forward} (after removing any client copies). */
    static void addTo(HttpHeaders headers, RemoteForward forward) {
        strip(headers);
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
        headers.set(LISTENER_PORT, forward.listenerPort());
        headers.set(PROTO, forward.forwardedProto());
        headers.set(TIMEOUT, Math.max(1, forward.responseTimeout().toSeconds()));
    }
}
