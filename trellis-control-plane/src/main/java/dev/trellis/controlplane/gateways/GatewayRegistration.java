package dev.trellis.controlplane.gateways;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A gateway's registration request, parsed and validated: the VPC it serves, its name there, where other gateways
 * reach it over the fabric, and the public key its certificate certifies.
 */
public record GatewayRegistration(String vpcId, String gatewayId, String fabricHost, int fabricPort,
                                  java.security.PublicKey publicKey) {

    /** A gateway's name within its VPC. */
    static final Pattern GATEWAY_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    /** A DNS name (letters, digits and '-', labels of 1-63). */
    private static final Pattern HOST_NAME = Pattern.compile(
            "([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");
    private static final Pattern IPV4 = Pattern.compile(
            "((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])");
    private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:.]{2,45}");

    public GatewayRegistration {
        Objects.requireNonNull(vpcId, "vpcId");
        Objects.requireNonNull(gatewayId, "gatewayId");
        Objects.requireNonNull(fabricHost, "fabricHost");
        Objects.requireNonNull(publicKey, "publicKey");
    }

    /** Why {@code host} is not an IP address or a DNS name, or null when it is one. */
    static String hostProblem(String host) {
        if (host.isEmpty() || host.length() > 253) {
            return "must be an IP address or a DNS name of 1-253 characters";
        }
        if (IPV4.matcher(host).matches() || HOST_NAME.matcher(host).matches()) {
            return null;
        }
        if (host.contains(":") && IPV6.matcher(host).matches()) {
            try {
                // A literal with ':' is parsed, never resolved.
                if (java.net.InetAddress.getByName(host) instanceof java.net.Inet6Address) {
                    return null;
                }
            } catch (java.net.UnknownHostException e) {
                // falls through
            }
        }
        return "'" + host + "' is not an IP address or a DNS name";
    }

    @Override
    public String toString() {
        return "GatewayRegistration[" + vpcId + "/" + gatewayId + " at " + fabricHost + ":" + fabricPort + "]";
    }
}
