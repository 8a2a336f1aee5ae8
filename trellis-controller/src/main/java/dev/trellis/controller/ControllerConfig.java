package dev.trellis.controller;

import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The controller's settings, named after the AWS Gateway API controller's environment variables
 * ({@code reference/notes/controller-facts.md §5}) so a deployment written for it carries over.
 *
 * @param controllerName          GatewayClasses with this {@code spec.controllerName} are ours
 * @param clusterName             {@code CLUSTER_NAME}: part of the {@code ManagedBy} tag and the target-group tags
 * @param clusterVpcId            {@code CLUSTER_VPC_ID}: the VPC of the pods (target groups, VPC associations)
 * @param accountId               {@code AWS_ACCOUNT_ID}: part of the {@code ManagedBy} tag
 * @param region                  {@code REGION}: the Lattice region the SDK client signs for
 * @param latticeEndpoint         {@code LATTICE_ENDPOINT}: the Lattice API endpoint (Trellis's control plane), or
 *                                null for the SDK's default AWS endpoint
 * @param defaultServiceNetwork   {@code DEFAULT_SERVICE_NETWORK}: the network every Gateway maps to when
 *                                {@code serviceNetworkOverride} is on
 * @param serviceNetworkOverride  {@code ENABLE_SERVICE_NETWORK_OVERRIDE}
 * @param createServiceNetworks   Trellis's {@code CREATE_SERVICE_NETWORKS} (default true): a Gateway whose network does not
 *                                exist creates it and associates the cluster VPC, as the walkthrough describes; false is
 *                                the AWS controller's v1+ look-up-only behaviour
 * @param gatewayApiVersions      which served versions to watch ({@code GATEWAY_API_VERSIONS}, default {@code v1}); see
 *                                docs/controller.md: a real API server converts, so watching both would see every
 *                                object twice
 * @param healthProbeBindAddress  {@code host:port} of {@code /healthz} and {@code /readyz} (":8081" as the AWS controller)
 * @param metricsBindAddress      {@code METRICS_BIND_ADDRESS}: {@code host:port} of {@code /metrics} (":8080" as the AWS
 *                                controller's {@code --metrics-bind-address}); {@code "0"} turns it off
 * @param leaderElection          {@code LEADER_ELECT}: replicas elect one leader through a Lease, the others wait
 * @param leaderElectionNamespace {@code LEADER_ELECTION_NAMESPACE} (else {@code POD_NAMESPACE}): where the Lease lives;
 *                                null lets the controller use its service account's namespace
 * @param resync                  {@code RECONCILE_DEFAULT_RESYNC_SECONDS}: every object is reconciled at least this
 *                                often, which repairs drift made in Lattice outside the cluster; zero turns it off
 */
public record ControllerConfig(
        String controllerName,
        String clusterName,
        String clusterVpcId,
        String accountId,
        String region,
        URI latticeEndpoint,
        String defaultServiceNetwork,
        boolean serviceNetworkOverride,
        boolean createServiceNetworks,
        Set<String> gatewayApiVersions,
        String healthProbeBindAddress,
        String metricsBindAddress,
        boolean leaderElection,
        String leaderElectionNamespace,
        Duration resync) {

    public static final String DEFAULT_CONTROLLER_NAME = "application-networking.k8s.aws/gateway-api-controller";
    /** Trellis's default resync: drift is repaired within five minutes (the AWS controller's default is off). */
    public static final Duration DEFAULT_RESYNC = Duration.ofMinutes(5);

    public ControllerConfig {
        require(controllerName, "controllerName");
        require(clusterName, "CLUSTER_NAME");
        require(clusterVpcId, "CLUSTER_VPC_ID");
        require(accountId, "AWS_ACCOUNT_ID");
        require(region, "REGION");
        if (!clusterVpcId.matches("vpc-[0-9a-z]+")) {
            throw new IllegalArgumentException("CLUSTER_VPC_ID must look like vpc-0123456789abcdef0, got '" + clusterVpcId + "'");
        }
        if (serviceNetworkOverride && (defaultServiceNetwork == null || defaultServiceNetwork.isBlank())) {
            throw new IllegalArgumentException(
                    "ENABLE_SERVICE_NETWORK_OVERRIDE=true needs DEFAULT_SERVICE_NETWORK (the network every Gateway maps to)");
        }
        gatewayApiVersions = Set.copyOf(gatewayApiVersions);
        if (gatewayApiVersions.isEmpty() || !Set.of("v1", "v1beta1").containsAll(gatewayApiVersions)) {
            throw new IllegalArgumentException("GATEWAY_API_VERSIONS must be v1, v1beta1 or v1,v1beta1, got " + gatewayApiVersions);
        }
        if (resync.isNegative()) {
            throw new IllegalArgumentException("RECONCILE_DEFAULT_RESYNC_SECONDS must not be negative");
        }
    }

    /** The {@code ManagedBy} tag value: {@code <account>/<cluster>/<vpc>}, as the AWS controller writes it. */
    public String managedBy() {
        return accountId + "/" + clusterName + "/" + clusterVpcId;
    }

    public boolean watches(String version) {
        return gatewayApiVersions.contains(version);
    }

    /**
     * Reads the AWS controller's environment variables. Unlike the AWS controller, Trellis has no instance metadata
     * service to fall back on, so CLUSTER_NAME, CLUSTER_VPC_ID, AWS_ACCOUNT_ID and REGION are required.
     */
    public static ControllerConfig fromEnvironment(Map<String, String> env) {
        String endpoint = blankToNull(env.get("LATTICE_ENDPOINT"));
        return new ControllerConfig(
                env.getOrDefault("CONTROLLER_NAME", DEFAULT_CONTROLLER_NAME),
                env.get("CLUSTER_NAME"),
                env.get("CLUSTER_VPC_ID"),
                env.get("AWS_ACCOUNT_ID"),
                env.get("REGION"),
                endpoint == null ? null : URI.create(endpoint),
                blankToNull(env.get("DEFAULT_SERVICE_NETWORK")),
                parseBoolean(env.get("ENABLE_SERVICE_NETWORK_OVERRIDE"), false, "ENABLE_SERVICE_NETWORK_OVERRIDE"),
                parseBoolean(env.get("CREATE_SERVICE_NETWORKS"), true, "CREATE_SERVICE_NETWORKS"),
                parseVersions(env.getOrDefault("GATEWAY_API_VERSIONS", "v1")),
                env.getOrDefault("HEALTH_PROBE_BIND_ADDRESS", ":8081"),
                env.getOrDefault("METRICS_BIND_ADDRESS", ":8080"),
                parseBoolean(env.get("LEADER_ELECT"), false, "LEADER_ELECT"),
                blankToNull(env.getOrDefault("LEADER_ELECTION_NAMESPACE", env.get("POD_NAMESPACE"))),
                parseResync(env.get("RECONCILE_DEFAULT_RESYNC_SECONDS")));
    }

    /** The same settings with another resync period (tests use seconds; the environment allows 0 or ≥ 60). */
    ControllerConfig withResync(Duration period) {
        return new ControllerConfig(controllerName, clusterName, clusterVpcId, accountId, region, latticeEndpoint,
                defaultServiceNetwork, serviceNetworkOverride, createServiceNetworks, gatewayApiVersions,
                healthProbeBindAddress, metricsBindAddress, leaderElection, leaderElectionNamespace, period);
    }

    private static Duration parseResync(String value) {
        Duration resync = parseSeconds(value, DEFAULT_RESYNC, "RECONCILE_DEFAULT_RESYNC_SECONDS");
        if (resync.isNegative() || (!resync.isZero() && resync.compareTo(Duration.ofSeconds(60)) < 0)) {
            // the AWS controller's rule: a shorter period would list every Lattice resource of every route too often
            throw new IllegalArgumentException("RECONCILE_DEFAULT_RESYNC_SECONDS must be 0 (off) or at least 60, got '"
                    + value.trim() + "'");
        }
        return resync;
    }

    /** Whether {@code /metrics} is served ({@code METRICS_BIND_ADDRESS} "0" or empty turns it off, as controller-runtime). */
    public boolean servesMetrics() {
        return metricsBindAddress != null && !metricsBindAddress.isBlank() && !"0".equals(metricsBindAddress.trim());
    }

    static Duration parseSeconds(String value, Duration absent, String name) {
        if (value == null || value.isBlank()) {
            return absent;
        }
        try {
            return Duration.ofSeconds(Long.parseLong(value.trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a whole number of seconds, got '" + value + "'", e);
        }
    }

    static Set<String> parseVersions(String value) {
        Set<String> versions = new LinkedHashSet<>();
        for (String part : value.split(",")) {
            if (!part.isBlank()) {
                versions.add(part.trim());
            }
        }
        return versions;
    }

    static boolean parseBoolean(String value, boolean absent, String name) {
        if (value == null || value.isBlank()) {
            return absent;
        }
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException(name + " must be true or false, got '" + value + "'");
        };
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.trim();
    }

    private static void require(String value, String name) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(name + " is required (environment variable or flag)");
        }
    }
}
