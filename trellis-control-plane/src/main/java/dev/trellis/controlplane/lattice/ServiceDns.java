package dev.trellis.controlplane.lattice;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trellis.controlplane.ControlPlaneConfig;
import dev.trellis.model.ResourceIds;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.regex.Pattern;

/**
 * The DNS facts of a service: its generated name {@code <name>-<id without svc->.<dnsSuffix>} (lattice-facts §1) and
 * the hosted zone id reported with it, and the syntax of custom domain names.
 */
final class ServiceDns {

    private static final String ZONE_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

    private ServiceDns() {
    }

    static ObjectNode dnsEntry(ControlPlaneConfig config, String name, String serviceId) {
        ObjectNode entry = Documents.object();
        entry.put("domainName", name + "-" + ResourceIds.suffix(serviceId) + "." + config.dnsSuffix());
        entry.put("hostedZoneId", hostedZoneId(config.region()));
        return entry;
    }

    /**
     * A stable, made-up Route 53-style zone id for the generated names of a region: {@code Z} and 20 characters of
     * [0-9A-Z] derived from the region (Lattice reports one zone per region; Trellis has no public zone).
     */
    static String hostedZoneId(String region) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(("trellis-vpc-lattice-svcs:" + region).getBytes(StandardCharsets.UTF_8));
            StringBuilder id = new StringBuilder("Z");
            for (int i = 0; i < 20; i++) {
                id.append(ZONE_ALPHABET.charAt((digest[i] & 0xff) % ZONE_ALPHABET.length()));
            }
            return id.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** True for a host name of at least two labels of [a-z0-9-] (1-63 characters, no hyphen at either end). */
    static boolean isDomainName(String name) {
        if (name.length() > 253 || name.endsWith(".")) {
            return false;
        }
        String[] labels = name.split("\\.", -1);
        if (labels.length < 2) {
            return false;
        }
        for (String label : labels) {
            if (!LABEL.matcher(label).matches()) {
                return false;
            }
        }
        return true;
    }
}
