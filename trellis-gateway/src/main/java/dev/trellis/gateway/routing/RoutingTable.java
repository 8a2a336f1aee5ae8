package dev.trellis.gateway.routing;

import dev.trellis.auth.policy.AuthSetting;
import dev.trellis.auth.policy.LatticeAuthorizer;
import dev.trellis.auth.policy.Policy;
import dev.trellis.auth.policy.PolicyParseException;
import dev.trellis.model.snapshot.AuthLevel;
import dev.trellis.model.snapshot.ListenerRule;
import dev.trellis.model.snapshot.ServiceEntry;
import dev.trellis.model.snapshot.ServiceListener;
import dev.trellis.model.snapshot.VpcSnapshot;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where requests go, compiled once per snapshot: (host, listener port) → the service listener, for the generated
 * domain name and the custom domain of every reachable service. Immutable; looked up lock-free on event loops.
 */
public final class RoutingTable {

    private static final Logger log = LoggerFactory.getLogger(RoutingTable.class);

    /** The listener protocol whose connections are routed by SNI and spliced, not terminated. */
    public static final String PASSTHROUGH = "TLS_PASSTHROUGH";

    /**
     * The routes by listener port (the few ports a gateway serves, side by side), then by host name: a lookup
     * builds no {@code host|port} key, so a request whose Host is already a bare lower-case name allocates nothing
     * to be routed.
     */
    private final int[] hostPorts;
    private final Map<String, ServiceRoute>[] routesByPort;
    private final Map<String, ServiceRoute> passthroughRoutes;
    private final Set<Integer> ports;
    /** Auth settings by policy text: the network's one policy is shared by all its services, and kept across swaps. */
    private final Map<String, AuthSetting> parsedPolicies;
    /** Each service's routes (one per listener), by service id: what the next compile reuses. */
    private final Map<String, List<ServiceRoute>> byService;

    private RoutingTable(Map<Integer, Map<String, ServiceRoute>> byPort, Map<String, ServiceRoute> passthroughRoutes,
                         Set<Integer> ports, Map<String, AuthSetting> parsed,
                         Map<String, List<ServiceRoute>> byService) {
        this.hostPorts = byPort.keySet().stream().mapToInt(Integer::intValue).toArray();
        @SuppressWarnings("unchecked")
        Map<String, ServiceRoute>[] maps = byPort.values().stream().map(Map::copyOf).toArray(Map[]::new);
        this.routesByPort = maps;
        this.passthroughRoutes = passthroughRoutes;
        this.ports = ports;
        this.parsedPolicies = parsed;
        this.byService = byService;
    }

    public static RoutingTable compile(VpcSnapshot snapshot) {
        return compile(snapshot, null);
    }

    /**
     * Compiles the routes of {@code snapshot}, reusing what {@code previous} compiled: a service whose entry is the
     * very object {@code previous} was compiled from (a {@code SnapshotDecoder} hands over unchanged entries that
     * way) keeps its {@link ServiceRoute}s — rules, weighted-forwarding position, authorizer and all — so a swap
     * costs per changed service, plus a map entry per route; auth policies whose text {@code previous} already
     * parsed are not parsed again.
     */
    public static RoutingTable compile(VpcSnapshot snapshot, RoutingTable previous) {
        Map<String, AuthSetting> known = previous == null ? Map.of() : previous.parsedPolicies;
        Map<String, List<ServiceRoute>> compiled = previous == null ? Map.of() : previous.byService;
        Map<String, AuthSetting> parsed = new HashMap<>();
        Map<Integer, Map<String, ServiceRoute>> byPort = new TreeMap<>();
        Map<String, ServiceRoute> passthroughRoutes = new HashMap<>();
        Map<String, List<ServiceRoute>> byService = new HashMap<>();
        Set<Integer> ports = new TreeSet<>();
        for (ServiceEntry service : snapshot.services()) {
            // Looked up even for a reused service, so that the policies it uses stay known to the next compile.
            AuthSetting network = setting(service.networkAuth(), service.networkArn(), known, parsed);
            AuthSetting own = setting(service.serviceAuth(), service.arn(), known, parsed);
            List<ServiceRoute> routes = compiled.get(service.id());
            if (routes == null || routes.isEmpty() || routes.get(0).service() != service) {
                routes = compileService(service, new LatticeAuthorizer(service.arn(), network, own), routes);
            }
            byService.put(service.id(), routes);
            for (ServiceRoute route : routes) {
                int port = route.listener().port();
                Map<String, ServiceRoute> hosts = byPort.computeIfAbsent(port, p -> new HashMap<>());
                hosts.put(hostName(service.domainName()), route);
                if (service.customDomainName() != null) {
                    hosts.put(hostName(service.customDomainName()), route);
                }
                if (PASSTHROUGH.equals(route.listener().protocol()) && service.customDomainName() != null) {
                    // Facts §3: matched exactly against the SNI, and only the custom domain (never the generated name).
                    passthroughRoutes.put(key(service.customDomainName(), port), route);
                }
                ports.add(port);
            }
        }
        return new RoutingTable(byPort, Map.copyOf(passthroughRoutes), Collections.unmodifiableSet(ports), parsed,
                byService);
    }

    /**
     * Compiles a new or changed service. A rule that is the very object one of {@code before} (the service's routes
     * in the previous snapshot, or null) was compiled from keeps its {@link CompiledRule}, weighted-forwarding
     * position included: a changed service's decoder shares its unchanged rules (see {@code ServiceEntry}).
     */
    private static List<ServiceRoute> compileService(ServiceEntry service, LatticeAuthorizer authorizer,
                                                     List<ServiceRoute> before) {
        Map<ListenerRule, CompiledRule> known = new IdentityHashMap<>();
        if (before != null) {
            for (ServiceRoute route : before) {
                for (CompiledRule rule : route.rules()) {
                    known.put(rule.rule(), rule);
                }
            }
        }
        List<ServiceRoute> routes = new ArrayList<>(service.listeners().size());
        for (ServiceListener listener : service.listeners()) {
            List<CompiledRule> rules = new ArrayList<>();
            for (ListenerRule rule : listener.rules()) {
                CompiledRule compiled = known.get(rule);
                rules.add(compiled != null ? compiled : new CompiledRule(rule, rule.action().forwards()
                        ? new Forwarding(rule.action().forward()) : null));
            }
            routes.add(new ServiceRoute(service, listener, List.copyOf(rules), authorizer));
        }
        return List.copyOf(routes);
    }

    /**
     * An auth setting with its policy parsed (or found parsed in {@code known} or {@code parsed}, which collects the
     * policies of this compile); a policy that does not parse denies everything (logged).
     */
    private static AuthSetting setting(AuthLevel level, String arn, Map<String, AuthSetting> known,
                                       Map<String, AuthSetting> parsed) {
        if (!level.requiresIam()) {
            return AuthSetting.none();
        }
        String text = level.policy();
        if (text == null) {
            return AuthSetting.awsIam(null);
        }
        AuthSetting setting = parsed.get(text);
        if (setting == null) {
            setting = known.get(text);
            if (setting == null) {
                setting = parse(text, arn);
            }
            parsed.put(text, setting);
        }
        return setting;
    }

    private static AuthSetting parse(String policy, String arn) {
        try {
            return AuthSetting.awsIam(Policy.parseAuthPolicy(policy));
        } catch (PolicyParseException e) {
            log.error("the auth policy of {} does not parse ({}); denying every request to it", arn, e.getMessage());
            return AuthSetting.awsIam(null);
        }
    }

    /**
     * The service listener a request is for: by its Host header (or {@code :authority}; any {@code :port} and a
     * trailing dot ignored, case-insensitive) and the listener port it arrived on; null when none is reachable.
     */
    public ServiceRoute find(String host, int port) {
        if (host == null) {
            return null;
        }
        for (int i = 0; i < hostPorts.length; i++) {
            if (hostPorts[i] == port) {
                return routesByPort[i].get(hostName(host));
            }
        }
        return null;
    }

    /**
     * The TLS_PASSTHROUGH listener a connection is for: by the server name of its ClientHello (the service's custom
     * domain, exactly, ignoring case) and the listener port it arrived on; null when none is reachable. The
     * generated name is not accepted (facts §3 "TLS_PASSTHROUGH listeners").
     */
    public ServiceRoute findPassthrough(String serverName, int port) {
        if (serverName == null || serverName.isEmpty()) {
            return null;
        }
        return passthroughRoutes.get(serverName.toLowerCase(Locale.ROOT) + "|" + port);
    }

    /** The listener ports of every reachable service: the ports a gateway listens on. */
    public Set<Integer> ports() {
        return ports;
    }

    static String hostName(String host) {
        String name = host.trim();
        if (name.startsWith("[")) {
            int end = name.indexOf(']');
            name = end < 0 ? name : name.substring(0, end + 1);
        } else {
            int colon = name.lastIndexOf(':');
            if (colon >= 0) {
                name = name.substring(0, colon);
            }
        }
        if (name.endsWith(".")) {
            name = name.substring(0, name.length() - 1);
        }
        return name.toLowerCase(Locale.ROOT);
    }

    private static String key(String host, int port) {
        return hostName(host) + "|" + port;
    }
}
