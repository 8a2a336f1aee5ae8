package dev.trellis.auth.policy;

import dev.trellis.auth.Principal;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The request facts that policy conditions and variables read: who is calling, and the condition keys of one
 * request.
 *
 * <p>It is built per request by the data plane, so building is cheap: the builder stores references and nothing
 * is copied, formatted or parsed until a policy asks for that key ({@code aws:CurrentTime} is formatted only if a
 * condition reads it; headers are looked up through {@link HeaderLookup} only for the header names policies name).
 * A context is used by one thread (the event loop handling the request); it is not thread-safe because of that
 * laziness.
 *
 * <p>The keys answered from typed fields are listed in {@code docs/policies.md}; any other key can be supplied with
 * {@link Builder#put}. Key names are case-insensitive, as in IAM.
 */
public final class RequestContext {

    /** Reads request header values by lower-case name; returns null or an empty list when the header is absent. */
    @FunctionalInterface
    public interface HeaderLookup {
        List<String> values(String lowerCaseName);
    }

    private static final HeaderLookup NO_HEADERS = name -> null;

    private final Principal principal;
    private final int port;
    private final String method;
    private final String path;
    private final HeaderLookup headers;
    private final Map<String, ? extends List<String>> query;
    private final String serviceArn;
    private final String serviceNetworkArn;
    private final String sourceVpc;
    private final String sourceVpcOwnerAccount;
    private final String sourceIp;
    private final long requestTimeMillis;
    private final Boolean secureTransport;
    private final Map<String, String> resourceTags;
    private final Map<String, Object> other;

    // Computed on first use only.
    private String portText;
    private String currentTimeText;
    private String epochTimeText;

    private RequestContext(Builder b) {
        this.principal = b.principal;
        this.port = b.port;
        this.method = b.method;
        this.path = b.path;
        this.headers = b.headerMap != null ? mapLookup(b.headerMap) : b.headers;
        this.query = b.query;
        this.serviceArn = b.serviceArn;
        this.serviceNetworkArn = b.serviceNetworkArn;
        this.sourceVpc = b.sourceVpc;
        this.sourceVpcOwnerAccount = b.sourceVpcOwnerAccount;
        this.sourceIp = b.sourceIp;
        this.requestTimeMillis = b.requestTimeMillis != Long.MIN_VALUE ? b.requestTimeMillis
                : System.currentTimeMillis();
        this.secureTransport = b.secureTransport;
        this.resourceTags = b.resourceTags;
        this.other = b.other;
    }

    private static HeaderLookup mapLookup(Map<String, List<String>> map) {
        return map::get;
    }

    /** Starts a context for a request made by {@code principal} ({@link Principal#anonymous()} if unsigned). */
    public static Builder builder(Principal principal) {
        return new Builder(principal);
    }

    public Principal principal() {
        return principal;
    }

    long requestTimeMillis() {
        return requestTimeMillis;
    }

    /** The port, or -1 when not set. */
    int port() {
        return port;
    }

    /**
     * The value(s) of {@code key}: null when absent, a {@code String} when single-valued, a {@code List<String>}
     * when multi-valued (possibly empty, which counts as absent).
     */
    Object lookup(ConditionKey key) {
        Object value = known(key);
        if (value == null && other != null) {
            value = other.get(key.canonical);
        }
        return value;
    }

    private Object known(ConditionKey key) {
        switch (key.known) {
            case PORT:
                if (port < 0) {
                    return null;
                }
                if (portText == null) {
                    portText = Integer.toString(port);
                }
                return portText;
            case REQUEST_METHOD:
                return method;
            case REQUEST_PATH:
                return path;
            case REQUEST_HEADER:
                return headers.values(key.suffix);
            case REQUEST_QUERY_STRING:
                return query == null ? null : ignoreCaseGet(query, key.suffix);
            case SERVICE_ARN:
                return serviceArn;
            case SERVICE_NETWORK_ARN:
                return serviceNetworkArn;
            case SOURCE_VPC:
                return sourceVpc;
            case SOURCE_VPC_OWNER_ACCOUNT:
                return sourceVpcOwnerAccount;
            case PRINCIPAL_ARN:
                return principal.isAnonymous() ? null : principal.principalArn();
            case PRINCIPAL_ACCOUNT:
                return principal.isAnonymous() || principal.accountId().isEmpty() ? null : principal.accountId();
            case PRINCIPAL_TYPE:
                return principal.type().name();
            case PRINCIPAL_ORG_ID:
                return principal.orgId().orElse(null);
            case PRINCIPAL_TAG:
                return ignoreCaseGet(principal.tags(), key.suffix);
            case RESOURCE_TAG:
                return resourceTags == null ? null : ignoreCaseGet(resourceTags, key.suffix);
            case SOURCE_IP:
                return sourceIp;
            case CURRENT_TIME:
                if (currentTimeText == null) {
                    currentTimeText = Instant.ofEpochMilli(requestTimeMillis).truncatedTo(ChronoUnit.SECONDS)
                            .toString();
                }
                return currentTimeText;
            case EPOCH_TIME:
                if (epochTimeText == null) {
                    epochTimeText = Long.toString(Math.floorDiv(requestTimeMillis, 1000L));
                }
                return epochTimeText;
            case SECURE_TRANSPORT:
                return secureTransport == null ? null : secureTransport ? "true" : "false";
            case USER_ID:
                return principal.userId().isEmpty() ? null : principal.userId();
            case USER_NAME:
                return principal.userName().orElse(null);
            default:
                return null;
        }
    }

    /** Case-insensitive lookup without allocating; merges values when several keys differ only in case. */
    private static Object ignoreCaseGet(Map<String, ?> map, String lowerCaseKey) {
        Object found = null;
        List<String> merged = null;
        for (Map.Entry<String, ?> e : map.entrySet()) {
            if (e.getKey().equalsIgnoreCase(lowerCaseKey)) {
                if (found == null) {
                    found = e.getValue();
                } else {
                    if (merged == null) {
                        merged = new ArrayList<>();
                        addAll(merged, found);
                    }
                    addAll(merged, e.getValue());
                }
            }
        }
        return merged != null ? merged : found;
    }

    @SuppressWarnings("unchecked")
    private static void addAll(List<String> into, Object value) {
        if (value instanceof String) {
            into.add((String) value);
        } else if (value instanceof List) {
            into.addAll((List<String>) value);
        }
    }

    /** Number of values {@code value} (a {@link #lookup} result) holds. */
    static int count(Object value) {
        if (value == null) {
            return 0;
        }
        if (value instanceof String) {
            return 1;
        }
        return ((List<?>) value).size();
    }

    /** The {@code i}th value of a {@link #lookup} result. */
    static String at(Object value, int i) {
        if (value instanceof String) {
            return (String) value;
        }
        return (String) ((List<?>) value).get(i);
    }

    /** The single value of {@code key} for a policy variable, or null when absent or multi-valued. */
    String single(ConditionKey key) {
        Object value = lookup(key);
        if (value instanceof String) {
            return (String) value;
        }
        if (value instanceof List && ((List<?>) value).size() == 1) {
            return (String) ((List<?>) value).get(0);
        }
        return null;
    }

    @Override
    public String toString() {
        return "RequestContext{" + principal + ", " + method + " " + path + "}";
    }

    /** Collects request facts; only what is set is present to policies. */
    public static final class Builder {
        private final Principal principal;
        private int port = -1;
        private String method;
        private String path;
        private HeaderLookup headers = NO_HEADERS;
        private Map<String, List<String>> headerMap;
        private Map<String, ? extends List<String>> query;
        private Map<String, List<String>> queryMap;
        private String serviceArn;
        private String serviceNetworkArn;
        private String sourceVpc;
        private String sourceVpcOwnerAccount;
        private String sourceIp;
        private long requestTimeMillis = Long.MIN_VALUE;
        private Boolean secureTransport;
        private Map<String, String> resourceTags;
        private Map<String, Object> other;

        private Builder(Principal principal) {
            this.principal = Objects.requireNonNull(principal, "principal");
        }

        /** {@code vpc-lattice-svcs:Port}: the listener port. */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** {@code vpc-lattice-svcs:RequestMethod}. */
        public Builder method(String method) {
            this.method = method;
            return this;
        }

        /** {@code vpc-lattice-svcs:RequestPath}: the path as received, without the query string. */
        public Builder path(String path) {
            this.path = path;
            return this;
        }

        /**
         * {@code vpc-lattice-svcs:RequestHeader/<name>}: consulted only for header names that conditions use,
         * with the name lower-cased. All values of a repeated header are the key's values.
         */
        public Builder headers(HeaderLookup headers) {
            this.headers = Objects.requireNonNull(headers, "headers");
            this.headerMap = null;
            return this;
        }

        /** Adds one header value (the name is lower-cased); replaces any {@link #headers(HeaderLookup)}. */
        public Builder header(String name, String value) {
            if (headerMap == null) {
                headerMap = new HashMap<>();
            }
            headerMap.computeIfAbsent(name.toLowerCase(java.util.Locale.ROOT), k -> new ArrayList<>()).add(value);
            return this;
        }

        /**
         * {@code vpc-lattice-svcs:RequestQueryString/<key>} (multi-valued): decoded query parameters by key, as the
         * gateway's query decoder produces them. The map is read, not copied; keys match case-insensitively.
         */
        public Builder queryParameters(Map<String, ? extends List<String>> parameters) {
            this.query = parameters;
            this.queryMap = null;
            return this;
        }

        /** Adds one query parameter value; replaces any {@link #queryParameters(Map)}. */
        public Builder queryParameter(String key, String value) {
            if (queryMap == null) {
                queryMap = new HashMap<>();
                query = queryMap;
            }
            queryMap.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
            return this;
        }

        /** {@code vpc-lattice-svcs:ServiceArn}. */
        public Builder serviceArn(String serviceArn) {
            this.serviceArn = serviceArn;
            return this;
        }

        /** {@code vpc-lattice-svcs:ServiceNetworkArn}. */
        public Builder serviceNetworkArn(String serviceNetworkArn) {
            this.serviceNetworkArn = serviceNetworkArn;
            return this;
        }

        /** {@code vpc-lattice-svcs:SourceVpc}: the client's VPC id. */
        public Builder sourceVpc(String sourceVpc) {
            this.sourceVpc = sourceVpc;
            return this;
        }

        /** {@code vpc-lattice-svcs:SourceVpcOwnerAccount}. */
        public Builder sourceVpcOwnerAccount(String account) {
            this.sourceVpcOwnerAccount = account;
            return this;
        }

        /** {@code aws:SourceIp}: the client's address, IPv4 dotted or IPv6 text. */
        public Builder sourceIp(String sourceIp) {
            this.sourceIp = sourceIp;
            return this;
        }

        /** {@code aws:CurrentTime} and {@code aws:EpochTime}; defaults to the time {@link #build()} runs. */
        public Builder requestTime(Instant time) {
            this.requestTimeMillis = time.toEpochMilli();
            return this;
        }

        /** Like {@link #requestTime(Instant)} in epoch milliseconds, without an {@code Instant}. */
        public Builder requestTimeMillis(long epochMillis) {
            this.requestTimeMillis = epochMillis;
            return this;
        }

        /** {@code aws:SecureTransport}: whether the request came over TLS. */
        public Builder secureTransport(boolean secure) {
            this.secureTransport = secure;
            return this;
        }

        /** {@code aws:ResourceTag/<key>}: the tags of the service being called. Read, not copied. */
        public Builder resourceTags(Map<String, String> tags) {
            this.resourceTags = tags;
            return this;
        }

        /** Any other condition key, single-valued. */
        public Builder put(String key, String value) {
            return putValue(key, Objects.requireNonNull(value, "value"));
        }

        /** Any other condition key, multi-valued. */
        public Builder put(String key, List<String> values) {
            return putValue(key, List.copyOf(values));
        }

        private Builder putValue(String key, Object value) {
            if (other == null) {
                other = new HashMap<>();
            }
            other.put(ConditionKey.canonicalName(key), value);
            return this;
        }

        public RequestContext build() {
            return new RequestContext(this);
        }
    }
}
