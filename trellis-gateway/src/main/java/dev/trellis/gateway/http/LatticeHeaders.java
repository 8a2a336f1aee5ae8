package dev.trellis.gateway.http;

import dev.trellis.auth.Principal;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The header rewriting of a proxied request and response (facts §2): hop-by-hop headers go, client-supplied
 * copies of the headers Lattice adds go, and the gateway's own are added.
 */
public final class LatticeHeaders {

    public static final String IDENTITY = "x-amzn-lattice-identity";
    public static final String NETWORK = "x-amzn-lattice-network";
    public static final String TARGET = "x-amzn-lattice-target";
    public static final String SOURCE_VPC = "x-amzn-source-vpc";
    public static final String REQUEST_ID = "x-amzn-requestid";
    public static final String FORWARDED_FOR = "x-forwarded-for";
    public static final String FORWARDED_PORT = "x-forwarded-port";
    public static final String FORWARDED_PROTO = "x-forwarded-proto";

    /** Connection-specific headers (RFC 9110 §7.6.1), plus what the HTTP/2 upgrade and conversion leave behind. */
    private static final List<CharSequence> HOP_BY_HOP = List.of(HttpHeaderNames.CONNECTION,
            "keep-alive", "proxy-connection", HttpHeaderNames.TE,
            HttpHeaderNames.TRAILER, HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderNames.UPGRADE,
            HttpHeaderNames.PROXY_AUTHORIZATION, HttpHeaderNames.PROXY_AUTHENTICATE, "http2-settings");

    private LatticeHeaders() {
    }

    /** Removes hop-by-hop headers, including those the {@code Connection} header names. */
    public static void removeHopByHop(HttpHeaders headers) {
        for (String connection : headers.getAll(HttpHeaderNames.CONNECTION)) {
            for (String token : connection.split(",")) {
                String name = token.trim();
                if (!name.isEmpty()) {
                    headers.remove(name);
                }
            }
        }
        for (CharSequence name : HOP_BY_HOP) {
            headers.remove(name);
        }
    }

    /**
     * Removes what a client must not be able to send to a target: every {@code x-amzn-lattice-*} header, the
     * {@code x-amzn-source-vpc} header, and the {@code x-http2-*} headers Netty's HTTP/2 conversion adds.
     */
    public static void removeSpoofable(HttpHeaders headers) {
        List<String> doomed = null;
        for (String name : headers.names()) {
            String lower = name.toLowerCase(Locale.ROOT);
            if (lower.startsWith("x-amzn-lattice-") || lower.equals(SOURCE_VPC) || lower.startsWith("x-http2-")) {
                if (doomed == null) {
                    doomed = new ArrayList<>();
                }
                doomed.add(name);
            }
        }
        if (doomed != null) {
            for (String name : doomed) {
                headers.remove(name);
            }
        }
    }

    /** {@code X-Forwarded-For} with the client's address appended to any value the client sent. */
    public static void appendForwardedFor(HttpHeaders headers, String clientIp) {
        List<String> existing = headers.getAll(FORWARDED_FOR);
        if (existing.isEmpty()) {
            headers.set(FORWARDED_FOR, clientIp);
        } else {
            headers.set(FORWARDED_FOR, String.join(", ", existing) + ", " + clientIp);
        }
    }

    /**
     * {@code Principal=<arn>; PrincipalOrgID=<org>; SessionName=<session>; Type=AWS_IAM}, the form observed from
     * Lattice (facts §2); keys whose value is unknown are sent empty.
     */
    public static String identity(Principal caller) {
        return identity(caller.arn(), caller.orgId().orElse(""), caller.sessionName().orElse(""));
    }

    /** {@link #identity(Principal)} from its parts, as a gateway behind the fabric receives them. */
    public static String identity(String principalArn, String orgId, String sessionName) {
        return "Principal=" + principalArn + "; PrincipalOrgID=" + orgId + "; SessionName=" + sessionName
                + "; Type=AWS_IAM";
    }

    /** {@code SourceVpcArn=<arn>} (facts §2). */
    public static String network(String sourceVpcArn) {
        return "SourceVpcArn=" + sourceVpcArn;
    }

    /** {@code ServiceArn=<arn>; ServiceNetworkArn=<arn>; TargetGroupArn=<arn>} (facts §2). */
    public static String target(String serviceArn, String serviceNetworkArn, String targetGroupArn) {
        return "ServiceArn=" + serviceArn + "; ServiceNetworkArn=" + serviceNetworkArn + "; TargetGroupArn="
                + targetGroupArn;
    }
}
