package dev.trellis.sigv4proxy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;

/**
 * The resolved settings of one SigV4 proxy: where it listens, where it forwards, how it signs. Immutable; built with
 * {@link #builder()}, which checks every value once (flags follow {@code aws-sigv4-proxy},
 * {@code reference/notes/controller-facts.md §6}).
 */
public final class Sigv4ProxyConfig {

    /** The port the admission controller's sidecar listens on, and so the port apps call. */
    public static final int DEFAULT_PORT = 8005;
    /** Without {@code --unsigned-payload} a body is held in memory to be hashed; larger ones are refused (413). */
    public static final long DEFAULT_MAX_SIGNED_BODY = 10L * 1024 * 1024;
    /** aws-sigv4-proxy's {@code --transport.idle-conn-timeout} default; below the gateway's 60-second idle timeout. */
    public static final java.time.Duration DEFAULT_IDLE_CONN_TIMEOUT = java.time.Duration.ofSeconds(40);

    final String bindAddress;
    final int port;
    final String host;
    final String signHost;
    final String scheme;
    final String signingName;
    final String region;
    final boolean unsignedPayload;
    final Set<String> strip;
    final Map<String, String> customHeaders;
    final List<String> duplicateHeaders;
    final boolean verifySsl;
    final boolean verbose;
    final long maxSignedBody;
    final int connectTimeoutMillis;
    /** How long an upstream connection waits, unused, for the next request before it is closed. */
    final java.time.Duration idleConnTimeout;
    final AwsCredentialsProvider credentials;

    private Sigv4ProxyConfig(Builder b) {
        this.bindAddress = b.bindAddress;
        this.port = b.port;
        this.host = b.host;
        this.signHost = b.signHost;
        this.scheme = b.scheme;
        this.signingName = b.signingName;
        this.region = b.region;
        this.unsignedPayload = b.unsignedPayload;
        TreeSet<String> stripped = new TreeSet<>();
        b.strip.forEach(h -> stripped.add(h.toLowerCase(Locale.ROOT)));
        this.strip = Set.copyOf(stripped);
        this.customHeaders = Map.copyOf(b.customHeaders);
        this.duplicateHeaders = List.copyOf(b.duplicateHeaders);
        this.verifySsl = b.verifySsl;
        this.verbose = b.verbose;
        this.maxSignedBody = b.maxSignedBody;
        this.connectTimeoutMillis = b.connectTimeoutMillis;
        this.idleConnTimeout = b.idleConnTimeout;
        this.credentials = b.credentials;
    }

    public static Builder builder() {
        return new Builder();
    }

    public String bindAddress() {
        return bindAddress;
    }

    public int port() {
        return port;
    }

    /** The upstream {@code host[:port]}, or null to forward to each request's own Host. */
    public String host() {
        return host;
    }

    public String scheme() {
        return scheme;
    }

    public String signingName() {
        return signingName;
    }

    public String region() {
        return region;
    }

    public boolean unsignedPayload() {
        return unsignedPayload;
    }

    @Override
    public String toString() {
        return "Sigv4ProxyConfig{" + bindAddress + ":" + port + " -> " + scheme + "://" + (host == null ? "<Host>" : host)
                + (signHost == null ? "" : " as " + signHost) + ", " + signingName + "/" + region
                + (unsignedPayload ? ", unsigned payload" : "") + "}";
    }

    /** Builder; {@link #build()} rejects incomplete or malformed settings with a message naming the flag. */
    public static final class Builder {
        private String bindAddress = "0.0.0.0";
        private int port = DEFAULT_PORT;
        private String host;
        private String signHost;
        private String scheme = "https";
        private String signingName;
        private String region;
        private boolean unsignedPayload;
        private final List<String> strip = new ArrayList<>();
        private final Map<String, String> customHeaders = new LinkedHashMap<>();
        private final List<String> duplicateHeaders = new ArrayList<>();
        private boolean verifySsl = true;
        private boolean verbose;
        private long maxSignedBody = DEFAULT_MAX_SIGNED_BODY;
        private int connectTimeoutMillis = 10_000;
        private java.time.Duration idleConnTimeout = DEFAULT_IDLE_CONN_TIMEOUT;
        private AwsCredentialsProvider credentials;

        private Builder() {
        }

        public Builder bindAddress(String bindAddress) {
            this.bindAddress = Objects.requireNonNull(bindAddress, "bindAddress");
            return this;
        }

        /** 0 picks a free port ({@link Sigv4ProxyServer#port()} tells which). */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        public Builder host(String host) {
            this.host = host;
            return this;
        }

        public Builder signHost(String signHost) {
            this.signHost = signHost;
            return this;
        }

        /** {@code http} or {@code https}, any case (the walkthrough's annotation says "HTTPS"). */
        public Builder scheme(String scheme) {
            this.scheme = scheme == null ? null : scheme.toLowerCase(Locale.ROOT);
            return this;
        }

        public Builder signingName(String signingName) {
            this.signingName = signingName;
            return this;
        }

        public Builder region(String region) {
            this.region = region;
            return this;
        }

        public Builder unsignedPayload(boolean unsignedPayload) {
            this.unsignedPayload = unsignedPayload;
            return this;
        }

        public Builder strip(String header) {
            this.strip.add(Objects.requireNonNull(header, "header"));
            return this;
        }

        public Builder customHeader(String name, String value) {
            this.customHeaders.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /** {@code k=v,k2=v2}, as {@code --custom-headers} takes them. */
        public Builder customHeaders(String list) {
            for (String pair : list.split(",")) {
                if (pair.isBlank()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("--custom-headers must be name=value pairs separated by commas,"
                            + " not '" + pair + "'");
                }
                customHeader(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
            }
            return this;
        }

        public Builder duplicateHeader(String header) {
            this.duplicateHeaders.add(Objects.requireNonNull(header, "header"));
            return this;
        }

        public Builder verifySsl(boolean verifySsl) {
            this.verifySsl = verifySsl;
            return this;
        }

        public Builder verbose(boolean verbose) {
            this.verbose = verbose;
            return this;
        }

        public Builder maxSignedBody(long bytes) {
            this.maxSignedBody = bytes;
            return this;
        }

        public Builder connectTimeoutMillis(int millis) {
            this.connectTimeoutMillis = millis;
            return this;
        }

        /** How long an unused upstream connection is kept for the next request; zero closes it after each one. */
        public Builder idleConnTimeout(java.time.Duration timeout) {
            this.idleConnTimeout = timeout;
            return this;
        }

        /** Where signing credentials come from; see {@link ProxyCredentials} for the usual chain. */
        public Builder credentials(AwsCredentialsProvider credentials) {
            this.credentials = credentials;
            return this;
        }

        public Sigv4ProxyConfig build() {
            if (signingName == null || signingName.isBlank()) {
                throw new IllegalArgumentException("--name (the signing name, vpc-lattice-svcs for VPC Lattice) is"
                        + " required");
            }
            if (region == null || region.isBlank()) {
                throw new IllegalArgumentException("--region (the signing region) is required");
            }
            if (!"http".equals(scheme) && !"https".equals(scheme)) {
                throw new IllegalArgumentException("--upstream-url-scheme must be http or https, not '" + scheme + "'");
            }
            if (idleConnTimeout == null || idleConnTimeout.isNegative()) {
                throw new IllegalArgumentException("--transport.idle-conn-timeout must not be negative");
            }
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("--port must be 0-65535, not " + port);
            }
            if (host != null && (host.isBlank() || host.contains("/"))) {
                throw new IllegalArgumentException("--host must be host or host:port, not '" + host + "'");
            }
            if (maxSignedBody < 0) {
                throw new IllegalArgumentException("--max-signed-body must not be negative");
            }
            Objects.requireNonNull(credentials, "credentials");
            return new Sigv4ProxyConfig(this);
        }
    }
}
