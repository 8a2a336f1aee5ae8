package dev.trellis.cli.lab;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One VPC of a {@link Lab}: a network namespace, or a block of loopback addresses. Says where things in it listen
 * and how its gateway is started.
 */
public final class LabVpc {

    /** The gateway's address inside every namespace: VPC Lattice's link-local address. */
    public static final String NAMESPACE_GATEWAY = "169.254.171.1";

    private final Lab lab;
    private final String label;
    private final int index;
    private final String namespace;
    private final String uplinkAddress;
    private final Set<String> added = new HashSet<>();

    LabVpc(Lab lab, String label, int index, String namespace, String uplinkAddress) {
        this.lab = lab;
        this.label = label;
        this.index = index;
        this.namespace = namespace;
        this.uplinkAddress = uplinkAddress;
    }

    public String label() {
        return label;
    }

    /** The network namespace, or null in loopback mode. */
    public String namespace() {
        return namespace;
    }

    /** Where its gateway listens and answers DNS: 169.254.171.1 in a namespace, 127.0.n.1 on loopback. */
    public String gatewayAddress() {
        return namespace != null ? NAMESPACE_GATEWAY : "127.0." + index + ".1";
    }

    /**
     * The address of host {@code n} (2..254) of the VPC, created on first use: {@code 10.0.0.n} in a namespace (the
     * same in every VPC), {@code 127.0.<vpc>.n} on loopback.
     */
    public synchronized String host(int n) throws IOException {
        if (n < 2 || n > 254) {
            throw new IllegalArgumentException("host number 2..254, not " + n);
        }
        if (namespace == null) {
            return "127.0." + index + "." + n;
        }
        String address = "10.0.0." + n;
        if (added.add(address)) {
            lab.addAddress(namespace, address);
        }
        return address;
    }

    /**
     * Where a server that listens on every address of the VPC ({@code 0.0.0.0}) is reached from the host — the
     * way {@code kubectl port-forward} reaches a pod: the namespace's uplink address; on loopback, null (servers
     * there listen on one {@link #host} address, which the host reaches directly).
     */
    public String uplinkAddress() {
        return uplinkAddress;
    }

    /** What every listener port of its gateway is shifted by (0 in a namespace). */
    public int portOffset() throws IOException {
        return lab.portOffset();
    }

    /** Its gateway's DNS port: 53, plus the offset on loopback. */
    public int dnsPort() throws IOException {
        return 53 + portOffset();
    }

    /** Where the other VPCs' gateways reach this one's fabric listener. */
    public String fabricAddress() {
        return namespace != null ? uplinkAddress : "127.0.0.1";
    }

    /**
     * The {@code trellis gateway} options that put a gateway on this VPC's addresses (besides {@code --vpc},
     * {@code --control-plane} and {@code --data-dir}).
     */
    public List<String> gatewayOptions() throws IOException {
        List<String> options = new ArrayList<>(List.of("--bind", gatewayAddress(),
                "--fabric-address", fabricAddress(), "--admin-port", "0", "--dns-port", String.valueOf(dnsPort()),
                "--io-threads", "2"));
        if (portOffset() != 0) {
            options.addAll(List.of("--port-offset", String.valueOf(portOffset())));
        }
        return options;
    }

    /** How a user runs a command inside the VPC: {@code ip netns exec <ns>}, or null on loopback. */
    public String execPrefix() {
        return namespace != null ? "ip netns exec " + namespace : null;
    }

    @Override
    public String toString() {
        return label + (namespace != null ? " (namespace " + namespace + ")" : " (127.0." + index + ".0/24)");
    }
}
