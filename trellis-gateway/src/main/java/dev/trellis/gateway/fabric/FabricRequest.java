package dev.trellis.gateway.fabric;

import dev.trellis.gateway.http.LatticeHeaders;
import dev.trellis.gateway.proxy.TargetRequestHeaders;
import dev.trellis.model.snapshot.TargetGroupEntry;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.time.Duration;

/**
 * What the receiving gateway reads from a forwarded request's {@link FabricHeaders}, checked once at the edge: the
 * route and the caller, which repeat from request to request, and what is new on each.
 */
record FabricRequest(Route route, Caller caller, String requestId, String clientIp) {

    /** The longest idle timeout a peer may ask for (Lattice's maximum idleTimeoutSeconds would be lower). */
    private static final long MAX_TIMEOUT_SECONDS = 3600;

    String targetGroupId() {
        return route.targetGroupId;
    }

    int listenerPort() {
        return route.listenerPort;
    }

    String proto() {
        return route.proto;
    }

    /** The service's idle timeout. */
    Duration timeout() {
        return route.timeout;
    }

    /**
     * What {@code x-trellis-fabric-route} says. The target-side header made of it is kept for the last group it was
     * made for. Belongs to one fabric connection, so to one event loop.
     */
    static final class Route {
        final String targetGroupId;
        final int listenerPort;
        final String proto;
        final Duration timeout;
        final String serviceArn;
        final String networkArn;
        private TargetGroupEntry targetOf;
        private AsciiString target;
        private TargetGroupEntry linesGroup;
        private Caller linesCaller;
        private TargetRequestHeaders.Lines lines;

        private Route(String[] fields) {
            targetGroupId = fields[0];
            listenerPort = number(fields[1], "listener port", 1, 65535);
            proto = fields[2];
            if (!proto.equals("http") && !proto.equals("https")) {
                throw new IllegalArgumentException(FabricHeaders.ROUTE + ": the proto must be http or https");
            }
            timeout = Duration.ofSeconds(number(fields[3], "timeout", 1, MAX_TIMEOUT_SECONDS));
            serviceArn = fields[4];
            networkArn = fields[5];
        }

        /** {@code x-amzn-lattice-target} for {@code group}, this gateway's entry of the route's target group. */
        AsciiString latticeTarget(TargetGroupEntry group) {
            if (group != targetOf) {
                target = LatticeHeaders.headerValue(LatticeHeaders.target(serviceArn, networkArn, group.arn()));
                targetOf = group;
            }
            return target;
        }

        /**
         * The target-side headers that every request of this route, {@code group} and {@code caller} shares, as the
         * lines an HTTP/1.1 target's head ends with ({@link TargetRequestHeaders}); kept for the last group and
         * caller they were made for.
         */
        TargetRequestHeaders.Lines targetLines(TargetGroupEntry group, Caller caller) {
            if (group != linesGroup || caller != linesCaller) {
                lines = LatticeHeaders.targetLines(LatticeHeaders.headerValue(Integer.toString(listenerPort)),
                        LatticeHeaders.headerValue(proto), caller.identity, caller.network, latticeTarget(group),
                        LatticeHeaders.headerValue(caller.sourceVpc));
                linesGroup = group;
                linesCaller = caller;
            }
            return lines;
        }
    }

    /** What {@code x-trellis-fabric-caller} says, with the target-side headers made of it. */
    static final class Caller {
        final String sourceVpc;
        final String sourceVpcArn;
        /** Null for an anonymous caller. */
        final String callerArn;
        /** {@code x-amzn-lattice-network}. */
        final AsciiString network;
        /** {@code x-amzn-lattice-identity}; null for an anonymous caller. */
        final AsciiString identity;

        private Caller(String[] fields, String peerVpc) {
            if (fields.length != 2 && fields.length != 5) {
                throw new IllegalArgumentException(FabricHeaders.CALLER
                        + " must have 2 fields (an anonymous caller) or 5");
            }
            sourceVpc = fields[0];
            if (!sourceVpc.equals(peerVpc)) {
                throw new IllegalArgumentException(FabricHeaders.CALLER + " names the source VPC " + sourceVpc
                        + ", but the peer's certificate is for " + peerVpc);
            }
            sourceVpcArn = fields[1];
            if (!sourceVpcArn.endsWith(":vpc/" + peerVpc)) {
                throw new IllegalArgumentException(FabricHeaders.CALLER + " must name the ARN of " + peerVpc);
            }
            network = LatticeHeaders.headerValue(LatticeHeaders.network(sourceVpcArn));
            if (fields.length == 2) {
                callerArn = null;
                identity = null;
            } else {
                callerArn = fields[2];
                identity = LatticeHeaders.headerValue(LatticeHeaders.identity(callerArn, orNone(fields[3]),
                        orNone(fields[4])));
            }
        }

        private static String orNone(String field) {
            return field.equals(FabricHeaders.NONE) ? "" : field;
        }
    }

    /**
     * Reads the fabric headers of the streams of one connection, from the peer gateway of {@code peerVpc} (from its
     * certificate). It keeps the route and the caller it read last: a peer sends the same values again for the same
     * route and caller, so these are checked and their target-side headers made once, not per request. Not
     * thread-safe: a connection belongs to one event loop.
     */
    static final class Reader {
        private final String peerVpc;
        private String routeValue;
        private Route route;
        private String callerValue;
        private Caller caller;

        Reader(String peerVpc) {
            this.peerVpc = peerVpc;
        }

        /** @throws IllegalArgumentException naming the missing or bad header, or a VPC that is not the peer's */
        FabricRequest read(HttpHeaders headers) {
            String routeNow = headers.get(FabricHeaders.ROUTE);
            if (routeNow == null || !routeNow.equals(routeValue)) {
                route = new Route(FabricHeaders.parse(routeNow, FabricHeaders.ROUTE, 6, 6));
                routeValue = routeNow;
            }
            String callerNow = headers.get(FabricHeaders.CALLER);
            if (callerNow == null || !callerNow.equals(callerValue)) {
                caller = new Caller(FabricHeaders.parse(callerNow, FabricHeaders.CALLER, 2, 5), peerVpc);
                callerValue = callerNow;
            }
            String[] request = FabricHeaders.parse(headers.get(FabricHeaders.REQUEST), FabricHeaders.REQUEST, 2, 2);
            return new FabricRequest(route, caller, request[0], request[1]);
        }
    }

    private static int number(String field, String what, long min, long max) {
        try {
            long number = Long.parseLong(field);
            if (number >= min && number <= max) {
                return (int) number;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(FabricHeaders.ROUTE + ": the " + what + " must be a number from " + min
                + " to " + max);
    }
}
