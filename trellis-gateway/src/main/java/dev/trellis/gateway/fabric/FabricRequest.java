package dev.trellis.gateway.fabric;

import io.netty.handler.codec.http.HttpHeaders;
import java.time.Duration;

/**
 * What the receiving gateway reads from a forwarded request's {@link FabricHeaders}, checked once at the edge.
 *
 * @param callerArn null for an anonymous caller
 */
record FabricRequest(String targetGroupId, String serviceArn, String networkArn, String sourceVpc,
                     String sourceVpcArn, String callerArn, String callerOrgId, String callerSession,
                     String requestId, String clientIp, int listenerPort, String proto, Duration timeout) {

    /** The longest idle timeout a peer may ask for (Lattice's maximum idleTimeoutSeconds would be lower). */
    private static final long MAX_TIMEOUT_SECONDS = 3600;

    /**
     * Reads the fabric headers of a request from the peer gateway of {@code peerVpc} (from its certificate).
     *
     * @throws IllegalArgumentException naming the missing or bad header, or a source VPC that is not the peer's
     */
    static FabricRequest parse(HttpHeaders headers, String peerVpc) {
        String sourceVpc = required(headers, FabricHeaders.SOURCE_VPC);
        if (!sourceVpc.equals(peerVpc)) {
            throw new IllegalArgumentException(FabricHeaders.SOURCE_VPC + " is " + sourceVpc
                    + ", but the peer's certificate is for " + peerVpc);
        }
        String sourceVpcArn = required(headers, FabricHeaders.SOURCE_VPC_ARN);
        if (!sourceVpcArn.endsWith(":vpc/" + peerVpc)) {
            throw new IllegalArgumentException(FabricHeaders.SOURCE_VPC_ARN + " must be the ARN of " + peerVpc);
        }
        String proto = headers.get(FabricHeaders.PROTO, "http");
        if (!proto.equals("http") && !proto.equals("https")) {
            throw new IllegalArgumentException(FabricHeaders.PROTO + " must be http or https");
        }
        return new FabricRequest(
                required(headers, FabricHeaders.TARGET_GROUP),
                required(headers, FabricHeaders.SERVICE_ARN),
                required(headers, FabricHeaders.NETWORK_ARN),
                sourceVpc,
                sourceVpcArn,
                headers.get(FabricHeaders.CALLER_ARN),
                headers.get(FabricHeaders.CALLER_ORG_ID, ""),
                headers.get(FabricHeaders.CALLER_SESSION, ""),
                required(headers, FabricHeaders.REQUEST_ID),
                required(headers, FabricHeaders.CLIENT_IP),
                number(headers, FabricHeaders.LISTENER_PORT, 1, 65535),
                proto,
                Duration.ofSeconds(number(headers, FabricHeaders.TIMEOUT, 1, MAX_TIMEOUT_SECONDS)));
    }

    private static String required(HttpHeaders headers, CharSequence name) {
        String value = headers.get(name);
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException("the fabric request has no " + name + " header");
        }
        return value;
    }

    private static int number(HttpHeaders headers, CharSequence name, long min, long max) {
        String value = required(headers, name);
        try {
            long number = Long.parseLong(value);
            if (number >= min && number <= max) {
                return (int) number;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(name + " must be a number from " + min + " to " + max);
    }
}
