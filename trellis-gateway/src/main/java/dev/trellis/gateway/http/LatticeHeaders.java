package dev.trellis.gateway.http;

import dev.trellis.auth.Principal;
import dev.trellis.gateway.proxy.HeaderNames;
import dev.trellis.gateway.proxy.TargetRequestHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValidationUtil;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.util.List;

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
    private static final List<AsciiString> HOP_BY_HOP = List.of(HttpHeaderNames.CONNECTION,
            AsciiString.cached("keep-alive"), AsciiString.cached("proxy-connection"), HttpHeaderNames.TE,
            HttpHeaderNames.TRAILER, HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderNames.UPGRADE,
            HttpHeaderNames.PROXY_AUTHORIZATION, HttpHeaderNames.PROXY_AUTHENTICATE, AsciiString.cached("http2-settings"));
    private static final int MIN_HOP_BY_HOP_LENGTH = HOP_BY_HOP.stream().mapToInt(AsciiString::length).min().orElse(0);
    private static final int MAX_HOP_BY_HOP_LENGTH = HOP_BY_HOP.stream().mapToInt(AsciiString::length).max().orElse(0);

    // Name prefixes of removeSpoofable, matched without allocating (AsciiString names keep their hash codes).
    private static final AsciiString LATTICE_PREFIX = AsciiString.cached("x-amzn-lattice-");
    private static final AsciiString FORWARDED_FOR_NAME = AsciiString.cached(FORWARDED_FOR);
    // The names the gateway sets, as byte strings: for the walks here, the target lines, and Exchange's HTTP/2 heads.
    static final AsciiString SOURCE_VPC_NAME = AsciiString.cached(SOURCE_VPC);
    static final AsciiString FORWARDED_PORT_NAME = AsciiString.cached(FORWARDED_PORT);
    static final AsciiString FORWARDED_PROTO_NAME = AsciiString.cached(FORWARDED_PROTO);
    static final AsciiString IDENTITY_NAME = AsciiString.cached(IDENTITY);
    static final AsciiString NETWORK_NAME = AsciiString.cached(NETWORK);
    static final AsciiString TARGET_NAME = AsciiString.cached(TARGET);

    private LatticeHeaders() {
    }

    /**
     * {@code value} as a header value the request path can add to a target's head without checking it again (those
     * heads do not validate: see {@code Exchange.upstreamRequestHead}); checked here, once, when it is made.
     *
     * @throws IllegalArgumentException when {@code value} has a character a header value cannot carry (CR, LF, NUL
     *     and the other control characters but tab)
     */
    public static AsciiString headerValue(String value) {
        int bad = HttpHeaderValidationUtil.validateValidHeaderValue(value);
        if (bad != -1) {
            throw new IllegalArgumentException("a header value has an invalid character at index " + bad + ": "
                    + value.replaceAll("\\p{Cntrl}", "?"));
        }
        return new AsciiString(value);
    }

    /**
     * The headers of facts §2 that every request of one client connection (or one fabric route and caller) to one
     * target group shares, as the lines an HTTP/1.1 target's head ends with ({@link TargetRequestHeaders}). Values
     * as made by {@link #headerValue}; {@code identity} null for an anonymous caller.
     */
    public static TargetRequestHeaders.Lines targetLines(AsciiString port, AsciiString proto, AsciiString identity,
                                                         AsciiString network, AsciiString target,
                                                         AsciiString sourceVpc) {
        return identity == null
                ? TargetRequestHeaders.Lines.of(FORWARDED_PORT_NAME, port, FORWARDED_PROTO_NAME, proto,
                        NETWORK_NAME, network, TARGET_NAME, target, SOURCE_VPC_NAME, sourceVpc)
                : TargetRequestHeaders.Lines.of(FORWARDED_PORT_NAME, port, FORWARDED_PROTO_NAME, proto,
                        IDENTITY_NAME, identity, NETWORK_NAME, network, TARGET_NAME, target,
                        SOURCE_VPC_NAME, sourceVpc);
    }

    /** Removes hop-by-hop headers, including those the {@code Connection} header names. */
    public static void removeHopByHop(HttpHeaders headers) {
        // Most requests have no Connection header (HTTP/1.1 keep-alive is the default): no list, no split.
        if (headers.contains(HttpHeaderNames.CONNECTION)) {
            for (String connection : headers.getAll(HttpHeaderNames.CONNECTION)) {
                for (String token : connection.split(",")) {
                    String name = token.trim();
                    if (!name.isEmpty()) {
                        headers.remove(name);
                    }
                }
            }
        }
        // One walk over the few stored names instead of a removal (hash and bucket walk) per hop-by-hop name: this
        // runs twice per proxied request (its head and the response's), and usually finds nothing.
        HeaderNames.removeIf(headers, LatticeHeaders::isHopByHop);
    }

    /** True when {@code name} is one of {@link #HOP_BY_HOP}, in any case; the length rules out most names. */
    static boolean isHopByHop(CharSequence name) {
        int length = name.length();
        if (length < MIN_HOP_BY_HOP_LENGTH || length > MAX_HOP_BY_HOP_LENGTH) {
            return false;
        }
        for (AsciiString hopByHop : HOP_BY_HOP) {
            if (hopByHop.length() == length && hopByHop.contentEqualsIgnoreCase(name)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Removes what a client must not be able to send to a target: every {@code x-amzn-lattice-*} header, the
     * {@code x-amzn-source-vpc} header, and the {@code x-http2-*} headers Netty's HTTP/2 conversion adds.
     */
    public static void removeSpoofable(HttpHeaders headers) {
        HeaderNames.removeIf(headers, LatticeHeaders::isSpoofable);
    }

    /**
     * {@link #removeSpoofable}, and the client's {@code X-Forwarded-Port} and {@code X-Forwarded-Proto}: every header
     * the gateway itself sets on a target's head from what it knows of the connection, in one walk.
     */
    public static void removeSetByGateway(HttpHeaders headers) {
        HeaderNames.removeIf(headers, LatticeHeaders::isSetByGateway);
    }

    private static boolean isSetByGateway(CharSequence name) {
        return isSpoofable(name) || AsciiString.contentEqualsIgnoreCase(name, FORWARDED_PORT_NAME)
                || AsciiString.contentEqualsIgnoreCase(name, FORWARDED_PROTO_NAME);
    }

    private static boolean isSpoofable(CharSequence name) {
        return HeaderNames.startsWithIgnoreCase(name, LATTICE_PREFIX)
                || HeaderNames.isHttp2Conversion(name)
                || AsciiString.contentEqualsIgnoreCase(name, SOURCE_VPC_NAME);
    }


    /** {@code X-Forwarded-For} with the client's address appended to any value the client sent. */
    public static void appendForwardedFor(HttpHeaders headers, CharSequence clientIp) {
        if (!headers.contains(FORWARDED_FOR_NAME)) {
            headers.set(FORWARDED_FOR_NAME, clientIp);
            return;
        }
        List<String> existing = headers.getAll(FORWARDED_FOR_NAME);
        headers.set(FORWARDED_FOR_NAME, String.join(", ", existing) + ", " + clientIp);
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
