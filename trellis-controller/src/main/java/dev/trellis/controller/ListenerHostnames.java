package dev.trellis.controller;

import io.fabric8.kubernetes.api.model.gatewayapi.v1.Listener;
import java.util.List;

/**
 * Gateway API hostname rules between a listener's {@code hostname} and a route's {@code hostnames}, and which one host
 * name becomes the Lattice service's custom domain.
 *
 * <p>A route attaches to a listener only if their hostnames intersect; either side being empty intersects everything.
 * A wildcard {@code *.example.com} covers names of one or more labels under {@code example.com}, never
 * {@code example.com} itself (Gateway API). A route attached nowhere because of this is
 * {@code Accepted=False, NoMatchingListenerHostname}.
 */
final class ListenerHostnames {

    private ListenerHostnames() {
    }

    /** Whether a listener with this hostname (null: any) admits a route with these hostnames (empty: any). */
    static boolean intersects(String listenerHostname, List<String> routeHostnames) {
        if (listenerHostname == null || listenerHostname.isEmpty() || routeHostnames == null || routeHostnames.isEmpty()) {
            return true;
        }
        return routeHostnames.stream().anyMatch(h -> intersect(listenerHostname, h));
    }

    /** Whether two host names (each possibly a {@code *.} wildcard) have a name in common. */
    static boolean intersect(String a, String b) {
        String x = a.toLowerCase(java.util.Locale.ROOT);
        String y = b.toLowerCase(java.util.Locale.ROOT);
        if (x.startsWith("*.") && y.startsWith("*.")) {
            return x.endsWith(y.substring(1)) || y.endsWith(x.substring(1));
        }
        if (x.startsWith("*.")) {
            return y.endsWith(x.substring(1));
        }
        if (y.startsWith("*.")) {
            return x.endsWith(y.substring(1));
        }
        return x.equals(y);
    }

    /**
     * The custom domain for a route attached to these listeners: its first hostname that is not a wildcard and that
     * an attached listener admits (so a hostname no listener serves is never published); else, when the route's
     * hostnames (or no hostnames) cover an attached listener's exact hostname, that listener hostname (the one name
     * both agree on); else none — only the generated name. Lattice custom domains are exact names, one per service
     * (lattice-facts "Custom domain names"); the other hostnames are not served.
     */
    static String customDomain(List<String> routeHostnames, List<Listener> attached) {
        List<String> hostnames = routeHostnames == null ? List.of() : routeHostnames;
        for (String hostname : hostnames) {
            if (!hostname.startsWith("*.") && attached.stream().anyMatch(l -> intersects(l.getHostname(), List.of(hostname)))) {
                return hostname;
            }
        }
        for (Listener listener : attached) {
            String own = listener.getHostname();
            if (own != null && !own.isEmpty() && !own.startsWith("*.") && intersects(own, hostnames)) {
                return own;
            }
        }
        return null;
    }
}
