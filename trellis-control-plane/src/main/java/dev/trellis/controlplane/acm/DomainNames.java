package dev.trellis.controlplane.acm;

import java.util.List;
import java.util.Locale;

/**
 * How a certificate's names cover a host name, as VPC Lattice matches them (lattice-facts §3, "Customer (BYOC)
 * certificates"): the SAN list when there is one, otherwise the CN; case-insensitive; a wildcard is a whole leftmost
 * label ({@code *.example.com}) and matches exactly one label ({@code parking.example.com}, not
 * {@code a.b.example.com}, not {@code example.com}).
 */
public final class DomainNames {

    private DomainNames() {
    }

    /** Whether one certificate name (exact or a {@code *.} wildcard) covers {@code host}. */
    public static boolean covers(String certificateName, String host) {
        String name = normalize(certificateName);
        String target = normalize(host);
        if (name.isEmpty() || target.isEmpty()) {
            return false;
        }
        if (name.startsWith("*.")) {
            String parent = name.substring(2);
            if (parent.indexOf('*') >= 0) {
                return false; // one wildcard per name, leftmost only
            }
            int dot = target.indexOf('.');
            return dot > 0 && target.substring(dot + 1).equals(parent);
        }
        return name.indexOf('*') < 0 && name.equals(target);
    }

    /** Whether any of {@code certificateNames} covers {@code host}. */
    public static boolean anyCovers(List<String> certificateNames, String host) {
        for (String name : certificateNames) {
            if (covers(name, host)) {
                return true;
            }
        }
        return false;
    }

    private static String normalize(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        return lower.endsWith(".") ? lower.substring(0, lower.length() - 1) : lower;
    }
}
