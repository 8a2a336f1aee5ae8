package dev.trellis.cli.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * How a lab's VPCs are kept apart on one machine.
 *
 * <ul>
 *   <li>{@link #NAMESPACES}: each VPC is a Linux network namespace with the same addresses (the overlap is real); the
 *       gateway listens on 169.254.171.1 inside it and is the namespace's resolver. Needs root and iproute2.</li>
 *   <li>{@link #LOOPBACK}: each VPC is a block of loopback addresses ({@code 127.0.<n>.0/24}), gateways listen with a
 *       port offset and answer DNS on a high port. The VPCs' CIDRs still overlap in the control plane's model, but
 *       every address on the machine is distinct: the overlap is simulated.</li>
 * </ul>
 */
public enum Isolation {
    NAMESPACES,
    LOOPBACK;

    /**
     * Resolves {@code auto|namespaces|loopback}: auto is namespaces when this process is root and {@code ip netns}
     * works (a namespace can be made and removed), else loopback. An explicit {@code namespaces} on a machine that
     * cannot is an error naming why.
     */
    public static Isolation choose(String option) {
        switch (option.toLowerCase(Locale.ROOT)) {
            case "loopback":
                return LOOPBACK;
            case "namespaces": {
                String why = whyNamespacesUnavailable();
                if (why != null) {
                    throw new IllegalArgumentException("--isolation namespaces: " + why);
                }
                return NAMESPACES;
            }
            case "auto":
                return whyNamespacesUnavailable() == null ? NAMESPACES : LOOPBACK;
            default:
                throw new IllegalArgumentException("--isolation must be auto, namespaces or loopback, not '" + option
                        + "'");
        }
    }

    /** Null when network namespaces can be used here, else the reason they cannot. */
    public static String whyNamespacesUnavailable() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return "network namespaces need root";
        }
        if (!Files.isExecutable(Path.of("/usr/sbin/ip")) && !Files.isExecutable(Path.of("/sbin/ip"))
                && !Files.isExecutable(Path.of("/usr/bin/ip")) && !Files.isExecutable(Path.of("/bin/ip"))) {
            return "the ip command (iproute2) is not installed";
        }
        // Root in a container may still lack CAP_SYS_ADMIN: try for real.
        String probe = "trellis-probe-" + ProcessHandle.current().pid();
        try {
            HostCommand.run("ip", "netns", "add", probe);
            HostCommand.runIgnoringFailure("ip", "netns", "delete", probe);
            return null;
        } catch (IOException e) {
            return "ip netns add failed: " + e.getMessage();
        }
    }
}
