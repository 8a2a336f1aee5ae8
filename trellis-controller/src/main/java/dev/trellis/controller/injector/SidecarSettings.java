package dev.trellis.controller.injector;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What the annotations of a pod (or the labels of its namespace) ask of the injector, parsed once: either "inject a
 * sidecar with these settings", "leave the pod alone, because ...", or "refuse the pod, because an annotation is
 * malformed". The keys are those of aws-sigv4-proxy-admission-controller (controller-facts §6), so its users' manifests
 * apply unchanged.
 */
public final class SidecarSettings {

    /** The annotation prefix of aws-sigv4-proxy-admission-controller. */
    public static final String PREFIX = "sidecar.aws.signing-proxy/";
    public static final String INJECT = PREFIX + "inject";
    public static final String HOST = PREFIX + "host";
    public static final String NAME = PREFIX + "name";
    public static final String REGION = PREFIX + "region";
    public static final String ROLE_ARN = PREFIX + "role-arn";
    public static final String UNSIGNED_PAYLOAD = PREFIX + "unsigned-payload";
    public static final String UPSTREAM_URL_SCHEME = PREFIX + "upstream-url-scheme";
    /** Written on injected pods; a pod carrying it is never injected again. */
    public static final String STATUS = PREFIX + "status";
    public static final String STATUS_INJECTED = "injected";

    /** Namespace labels, the equivalents of the annotations for every pod of a namespace. */
    public static final String LABEL_INJECT = "sidecar-inject";
    public static final String LABEL_HOST = "sidecar-host";
    public static final String LABEL_NAME = "sidecar-name";
    public static final String LABEL_REGION = "sidecar-region";
    public static final String LABEL_ROLE_ARN = "sidecar-role-arn";
    public static final String LABEL_UNSIGNED_PAYLOAD = "sidecar-unsigned-payload";
    public static final String LABEL_UPSTREAM_URL_SCHEME = "sidecar-upstream-url-scheme";

    /** The outcome of reading a pod: exactly one of {@link #inject}, a skip reason or a refusal is set. */
    public record Decision(Optional<SidecarSettings> inject, String skipReason, String refusal) {
        static Decision skip(String reason) {
            return new Decision(Optional.empty(), reason, null);
        }

        static Decision refuse(String message) {
            return new Decision(Optional.empty(), null, message);
        }
    }

    private final String host;
    private final String name;
    private final String region;
    private final String roleArn;
    private final boolean unsignedPayload;
    private final String scheme;
    private final String source;

    private SidecarSettings(String host, String name, String region, String roleArn, boolean unsignedPayload,
            String scheme, String source) {
        this.host = host;
        this.name = name;
        this.region = region;
        this.roleArn = roleArn;
        this.unsignedPayload = unsignedPayload;
        this.scheme = scheme;
        this.source = source;
    }

    /**
     * Decides for a pod being created.
     *
     * <p>Injection is asked for by the pod's {@code inject} annotation, or by its namespace's {@code sidecar-inject}
     * label when the pod has no such annotation (a pod opts out of a labelled namespace with {@code inject: "false"}).
     * The host comes from the pod's annotation, else from the namespace label; name, region, role, unsigned-payload
     * and scheme are read from the same place the host came from, as aws-sigv4-proxy-admission-controller does, so a
     * pod never mixes its own host with its namespace's region.
     */
    public static Decision decide(Map<String, String> annotations, Map<String, String> namespaceLabels) {
        Map<String, String> pod = annotations == null ? Map.of() : annotations;
        Map<String, String> namespace = namespaceLabels == null ? Map.of() : namespaceLabels;
        if (STATUS_INJECTED.equals(pod.get(STATUS))) {
            return Decision.skip("already injected (" + STATUS + ": " + STATUS_INJECTED + ")");
        }
        Boolean podWants;
        try {
            podWants = flag(pod.get(INJECT), "annotation " + INJECT);
        } catch (IllegalArgumentException e) {
            return Decision.refuse(e.getMessage());
        }
        if (Boolean.FALSE.equals(podWants)) {
            return Decision.skip("opted out (" + INJECT + ": " + pod.get(INJECT) + ")");
        }
        if (podWants == null) {
            Boolean namespaceWants;
            try {
                namespaceWants = flag(namespace.get(LABEL_INJECT), "namespace label " + LABEL_INJECT);
            } catch (IllegalArgumentException e) {
                return Decision.refuse(e.getMessage());
            }
            if (!Boolean.TRUE.equals(namespaceWants)) {
                return Decision.skip("not asked for (no " + INJECT + " annotation, no " + LABEL_INJECT
                        + "=true namespace label)");
            }
        }
        boolean fromPod = blankToNull(pod.get(HOST)) != null;
        boolean fromNamespace = !fromPod && blankToNull(namespace.get(LABEL_HOST)) != null;
        if (!fromPod && !fromNamespace) {
            return Decision.skip("no host: " + HOST + " (or the namespace label " + LABEL_HOST
                    + ") is required to know where to send signed requests");
        }
        Map<String, String> from = fromPod ? pod : namespace;
        String where = fromPod ? "annotation " : "namespace label ";
        String hostKey = fromPod ? HOST : LABEL_HOST;
        String nameKey = fromPod ? NAME : LABEL_NAME;
        String regionKey = fromPod ? REGION : LABEL_REGION;
        String roleKey = fromPod ? ROLE_ARN : LABEL_ROLE_ARN;
        String unsignedKey = fromPod ? UNSIGNED_PAYLOAD : LABEL_UNSIGNED_PAYLOAD;
        String schemeKey = fromPod ? UPSTREAM_URL_SCHEME : LABEL_UPSTREAM_URL_SCHEME;
        try {
            String host = from.get(hostKey).trim();
            if (!host.matches("[A-Za-z0-9.-]+(:[0-9]{1,5})?") || host.startsWith(".") || host.startsWith("-")) {
                throw new IllegalArgumentException(where + hostKey + " must be a DNS name with an optional :port,"
                        + " not '" + host + "'");
            }
            String hostName = host.contains(":") ? host.substring(0, host.indexOf(':')) : host;
            String[] labels = hostName.split("\\.");
            String name = blankToNull(from.get(nameKey));
            String region = blankToNull(from.get(regionKey));
            int lattice = List.of(labels).indexOf("vpc-lattice-svcs");
            if (lattice >= 0 && lattice + 1 < labels.length) {
                // A VPC Lattice generated name (<service>.<id>.vpc-lattice-svcs.<region>.on.aws) says both.
                name = name == null ? "vpc-lattice-svcs" : name;
                region = region == null ? labels[lattice + 1] : region;
            }
            // aws-sigv4-proxy-admission-controller's defaults: the first and second DNS labels of the host
            // (right for <service>.<region>.amazonaws.com).
            if (name == null && labels.length >= 2) {
                name = labels[0];
            }
            if (region == null && labels.length >= 2) {
                region = labels[1];
            }
            if (name == null || region == null) {
                throw new IllegalArgumentException(where + nameKey + " and " + regionKey + " are needed: they cannot"
                        + " be derived from the host '" + host + "'");
            }
            requireToken(name, where + nameKey);
            requireToken(region, where + regionKey);
            String roleArn = blankToNull(from.get(roleKey));
            if (roleArn != null && !roleArn.matches("arn:aws[a-z-]*:iam::[0-9]{12}:role/\\S+")) {
                throw new IllegalArgumentException(where + roleKey + " must be an IAM role ARN"
                        + " (arn:aws:iam::<account>:role/<name>), not '" + roleArn + "'");
            }
            Boolean unsigned = flag(from.get(unsignedKey), where + unsignedKey);
            String scheme = blankToNull(from.get(schemeKey));
            if (scheme != null) {
                scheme = scheme.toLowerCase(Locale.ROOT);
                if (!scheme.equals("http") && !scheme.equals("https")) {
                    throw new IllegalArgumentException(where + schemeKey + " must be http or https (any case), not '"
                            + from.get(schemeKey) + "'");
                }
            }
            return new Decision(Optional.of(new SidecarSettings(host, name, region, roleArn,
                    Boolean.TRUE.equals(unsigned), scheme, fromPod ? "pod annotations" : "namespace labels")),
                    null, null);
        } catch (IllegalArgumentException e) {
            return Decision.refuse(e.getMessage());
        }
    }

    /**
     * The arguments of {@code trellis sigv4-proxy} (and of aws-sigv4-proxy, whose flags it shares) for these settings,
     * listening on {@code :port}.
     */
    public List<String> proxyArguments(int port) {
        List<String> args = new ArrayList<>(List.of("--name", name, "--region", region, "--host", host,
                "--port", ":" + port));
        if (roleArn != null) {
            args.add("--role-arn");
            args.add(roleArn);
        }
        if (unsignedPayload) {
            args.add("--unsigned-payload");
        }
        if (scheme != null) {
            args.add("--upstream-url-scheme");
            args.add(scheme);
        }
        return args;
    }

    public String host() {
        return host;
    }

    public String name() {
        return name;
    }

    public String region() {
        return region;
    }

    /** "pod annotations" or "namespace labels": where the settings were read, for logs. */
    public String source() {
        return source;
    }

    /**
     * y/yes/true/on and n/no/false/off in any case (aws-sigv4-proxy-admission-controller's words), null when absent.
     */
    static Boolean flag(String value, String what) {
        if (value == null || value.isBlank()) {
            return null;
        }
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "y", "yes", "true", "on" -> true;
            case "n", "no", "false", "off" -> false;
            default -> throw new IllegalArgumentException(what + " must be true or false (also y/yes/on, n/no/off),"
                    + " not '" + value + "'");
        };
    }

    private static void requireToken(String value, String what) {
        if (!value.matches("[A-Za-z0-9._-]+")) {
            throw new IllegalArgumentException(what + " must be letters, digits, '.', '_' or '-', not '" + value + "'");
        }
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.trim();
    }

    @Override
    public String toString() {
        return "sidecar for " + host + " (" + name + ", " + region + ", from " + source + ")";
    }
}
