package dev.trellis.controller.injector;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The settings of {@code trellis injector}, checked once.
 *
 * @param bindAddress where the HTTPS server listens (null: every address)
 * @param port its port; 0 picks a free one
 * @param certificateFile PEM certificate chain the webhook presents (a Secret's {@code tls.crt})
 * @param keyFile PEM private key, PKCS#8, PKCS#1 RSA or SEC1 EC (a Secret's {@code tls.key})
 * @param image the injected container's image
 * @param imagePullPolicy Always, IfNotPresent or Never
 * @param subcommand arguments put before the proxy's flags: {@code [sigv4-proxy]} for the Trellis image, empty for
 *     aws-sigv4-proxy's image (whose entrypoint is the proxy)
 * @param extraArguments arguments appended to every sidecar (e.g. {@code --sts-endpoint}, {@code --ca-certificate})
 * @param maxReviewBytes the largest AdmissionReview accepted
 * @param caConfigMap a ConfigMap (in the pod's namespace) whose {@code ca.pem} the sidecar trusts for https upstreams,
 *     mounted into it and passed as {@code --ca-certificate}; null for none (the image's default trust, right for AWS)
 */
public record InjectorConfig(String bindAddress, int port, Path certificateFile, Path keyFile, String image,
        String imagePullPolicy, List<String> subcommand, List<String> extraArguments, int maxReviewBytes, String caConfigMap) {

    public static final int DEFAULT_PORT = 8443;
    public static final String DEFAULT_IMAGE = "trellis:latest";
    public static final String DEFAULT_PULL_POLICY = "IfNotPresent";
    /**
     * 3 MiB: the API server stores objects of up to 1.5 MiB (etcd's request limit), and a review carries the object
     * (and, for updates, its old version) plus a little envelope.
     */
    public static final int DEFAULT_MAX_REVIEW_BYTES = 3 * 1024 * 1024;

    public InjectorConfig {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0-65535, not " + port);
        }
        Objects.requireNonNull(certificateFile, "certificate file");
        Objects.requireNonNull(keyFile, "key file");
        if (image == null || image.isBlank() || image.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("the sidecar image must be an image reference without spaces, not '"
                    + image + "'");
        }
        if (!Set.of("Always", "IfNotPresent", "Never").contains(imagePullPolicy)) {
            throw new IllegalArgumentException("the sidecar image pull policy must be Always, IfNotPresent or Never,"
                    + " not '" + imagePullPolicy + "'");
        }
        subcommand = List.copyOf(subcommand);
        extraArguments = List.copyOf(extraArguments);
        if (caConfigMap != null && !caConfigMap.matches("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")) {
            throw new IllegalArgumentException("the CA ConfigMap name must be a DNS subdomain (lower case), not '"
                    + caConfigMap + "'");
        }
        if (maxReviewBytes < 1024) {
            throw new IllegalArgumentException("the largest review must be at least 1024 bytes, not " + maxReviewBytes);
        }
    }

    /** The defaults, serving the given certificate and key on {@link #DEFAULT_PORT}. */
    public static InjectorConfig defaults(Path certificateFile, Path keyFile) {
        return new InjectorConfig(null, DEFAULT_PORT, certificateFile, keyFile, DEFAULT_IMAGE, DEFAULT_PULL_POLICY,
                List.of("sigv4-proxy"), List.of(), DEFAULT_MAX_REVIEW_BYTES, null);
    }

    public InjectorConfig withListen(String bindAddress, int port) {
        return new InjectorConfig(bindAddress, port, certificateFile, keyFile, image, imagePullPolicy, subcommand,
                extraArguments, maxReviewBytes, caConfigMap);
    }

    public InjectorConfig withExtraArguments(List<String> extraArguments) {
        return new InjectorConfig(bindAddress, port, certificateFile, keyFile, image, imagePullPolicy, subcommand,
                extraArguments, maxReviewBytes, caConfigMap);
    }

    public InjectorConfig withCaConfigMap(String caConfigMap) {
        return new InjectorConfig(bindAddress, port, certificateFile, keyFile, image, imagePullPolicy, subcommand,
                extraArguments, maxReviewBytes, caConfigMap);
    }
}
