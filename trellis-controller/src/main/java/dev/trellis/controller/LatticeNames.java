package dev.trellis.controller;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** How Kubernetes objects name Lattice resources; the AWS controller's scheme (controller-facts §2). */
public final class LatticeNames {

    /** Route annotation that replaces the derived service name (the AWS controller's, PR #849). */
    public static final String SERVICE_NAME_OVERRIDE = "application-networking.k8s.aws/service-name-override";

    private LatticeNames() {
    }

    /**
     * {@code <first 20 of route name>-<first 18 of namespace>}, each part trimmed of '-', unless the route carries
     * the override annotation (then the annotation is the whole name; Lattice checks it, 3-40 characters).
     */
    public static String serviceName(String routeName, String namespace, String override) {
        if (override != null && !override.isBlank()) {
            return override.trim();
        }
        return trimDashes(prefix(routeName, 20)) + "-" + trimDashes(prefix(namespace, 18));
    }

    /** {@code <service name>-<port>-<protocol lower case>}, one per matched Gateway listener. */
    public static String listenerName(String serviceName, int port, String protocol) {
        return serviceName + "-" + port + "-" + protocol.toLowerCase(java.util.Locale.ROOT);
    }

    /** {@code k8s-rule-<priority>}: stable, so a re-run finds the rule it made (the AWS controller adds a timestamp). */
    public static String ruleName(int priority) {
        return "k8s-rule-" + priority;
    }

    /**
     * {@code k8s-<namespace≤55>-<service≤55>-<10 letters>}. The AWS controller draws the 10 letters at random and finds its
     * groups again by tags; here they are derived from the route, the backend and the cluster, so the name itself is
     * stable and two routes (or two clusters) using one Service never share a target group.
     */
    public static String targetGroupName(String clusterName, String vpcId, String routeNamespace, String routeName,
            String serviceNamespace, String serviceName, int servicePort) {
        return targetGroupName(clusterName, vpcId, routeNamespace, routeName, serviceNamespace, serviceName, servicePort,
                null);
    }

    /**
     * As above for a group whose protocol version is not the route kind's default ({@code protocolVersion} non-null,
     * from the port's appProtocol): the version is part of the identity, so the group of another version has another
     * name — Lattice cannot change a group's version, the new group replaces the old one. Null gives the name above,
     * so groups made before appProtocol was read keep their names.
     */
    public static String targetGroupName(String clusterName, String vpcId, String routeNamespace, String routeName,
            String serviceNamespace, String serviceName, int servicePort, String protocolVersion) {
        String identity = String.join("/", clusterName, vpcId, routeNamespace, routeName, serviceNamespace, serviceName,
                Integer.toString(servicePort)) + (protocolVersion == null ? "" : "/" + protocolVersion);
        return "k8s-" + trimDashes(prefix(serviceNamespace, 55)) + "-" + trimDashes(prefix(serviceName, 55)) + "-"
                + letters(identity, 10);
    }

    private static String letters(String identity, int count) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(identity.getBytes(StandardCharsets.UTF_8));
            StringBuilder out = new StringBuilder(count);
            for (int i = 0; i < count; i++) {
                out.append((char) ('a' + Math.floorMod(digest[i], 26)));
            }
            return out.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    private static String prefix(String value, int length) {
        return value.length() <= length ? value : value.substring(0, length);
    }

    private static String trimDashes(String value) {
        int start = 0;
        int end = value.length();
        while (start < end && value.charAt(start) == '-') {
            start++;
        }
        while (end > start && value.charAt(end - 1) == '-') {
            end--;
        }
        return value.substring(start, end);
    }
}
