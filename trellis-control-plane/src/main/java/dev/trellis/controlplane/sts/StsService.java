package dev.trellis.controlplane.sts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.jwk.JWKSet;
import dev.trellis.auth.Principal;
import dev.trellis.auth.policy.Decision;
import dev.trellis.auth.policy.Policy;
import dev.trellis.auth.policy.PolicyParseException;
import dev.trellis.auth.policy.RequestContext;
import dev.trellis.auth.policy.TrustDecision;
import dev.trellis.controlplane.ControlPlaneConfig;
import dev.trellis.controlplane.api.AwsService;
import dev.trellis.controlplane.api.Caller;
import dev.trellis.controlplane.identity.IamEntities;
import dev.trellis.controlplane.identity.IamIds;
import dev.trellis.controlplane.identity.IdentityDirectory;
import dev.trellis.controlplane.identity.IdentityPolicyAuthorizer;
import dev.trellis.controlplane.identity.JwksSource;
import dev.trellis.controlplane.protocol.ApiException;
import dev.trellis.controlplane.protocol.ApiRequest;
import dev.trellis.controlplane.protocol.ApiResponse;
import dev.trellis.controlplane.protocol.QueryBinding;
import dev.trellis.controlplane.snapshot.GatewayPropagation;
import dev.trellis.controlplane.store.Store;
import dev.trellis.controlplane.store.StoreException;
import dev.trellis.controlplane.store.StoreTransaction;
import dev.trellis.controlplane.store.StoredResource;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The STS API (query protocol, signing name {@code sts}): {@code GetCallerIdentity}, {@code AssumeRole} and
 * {@code AssumeRoleWithWebIdentity} (docs/api-iam-sts.md). Temporary credentials are kept in the store
 * ({@link IamEntities#SESSION}) until a while after they expire, so every API Trellis serves accepts them until
 * their expiry and then answers {@code ExpiredToken}. {@code AssumeRoleWithWebIdentity} is served unsigned, as AWS
 * serves it: the web identity token is the credential.
 */
public final class StsService implements AwsService {

    private static final Logger log = LoggerFactory.getLogger(StsService.class);
    public static final String MODEL = "sts-2011-06-15";

    static final int DEFAULT_DURATION_SECONDS = 3_600;
    /** Role chaining (a role session assuming a role) is limited to one hour, as in AWS. */
    static final int ROLE_CHAINING_MAX_SECONDS = 3_600;
    /** Sessions stay in the store this long after they expire, so late callers get ExpiredToken. */
    static final Duration EXPIRED_SESSION_RETENTION = Duration.ofDays(1);
    /** The budget session tags are packed into ({@code PackedPolicySize} is a percentage of it). */
    static final int PACKED_POLICY_BYTES = 2_048;
    /** How often a provider's keys may be read again for a token signed with a key Trellis does not have. */
    static final Duration KEY_REFRESH_INTERVAL = Duration.ofMinutes(1);
    private static final Set<String> UNSIGNED = Set.of("AssumeRoleWithWebIdentity", "AssumeRoleWithSAML");
    private static final Set<String> SERVED = Set.of("GetCallerIdentity", "AssumeRole", "AssumeRoleWithWebIdentity");

    private final QueryBinding binding;
    private final Store store;
    private final ControlPlaneConfig config;
    private final Clock clock;
    private final IdentityDirectory identities;
    private final IdentityPolicyAuthorizer authorizer;
    private final Map<String, Instant> lastKeyRefresh = new ConcurrentHashMap<>();
    private final GatewayPropagation propagation;

    /** How long an AssumeRole* answer waits for the gateways to serve the new session's key. */
    static final Duration PROPAGATION_WAIT = Duration.ofSeconds(3);

    /**
     * @param propagation what the answers wait for before new credentials are handed out ({@link #awaitGateways})
     */
    public StsService(Store store, ControlPlaneConfig config, Clock clock, IdentityDirectory identities,
                      IdentityPolicyAuthorizer authorizer, GatewayPropagation propagation) {
        this.propagation = propagation;
        this.binding = QueryBinding.load(MODEL);
        this.store = store;
        this.config = config;
        this.clock = clock;
        this.identities = identities;
        this.authorizer = authorizer;
    }

    public QueryBinding binding() {
        return binding;
    }

    @Override
    public String signingName() {
        return binding.model().signingName();
    }

    /**
     * Real SDKs sign STS for {@code us-east-1}; the AWS SDK for Java v2 with an endpoint override and
     * {@code Region.AWS_GLOBAL} signs for the pseudo-region {@code aws-global}.
     */
    @Override
    public List<String> additionalSigningRegions() {
        return List.of("us-east-1", "aws-global");
    }

    @Override
    public boolean recognizes(ApiRequest request) {
        return binding.names(request);
    }

    @Override
    public boolean allowsUnsigned(ApiRequest request) {
        return UNSIGNED.contains(QueryBinding.action(request));
    }

    @Override
    public ApiResponse handle(ApiRequest request, Caller caller) {
        try {
            QueryBinding.Call call = binding.read(request);
            String name = call.operation().name();
            if (caller.principal().isAnonymous() && !UNSIGNED.contains(name)) {
                throw new ApiException("MissingAuthenticationToken", 403, "Request is missing Authentication Token");
            }
            if (!SERVED.contains(name)) {
                throw new ApiException("InvalidAction", 400, name + " is not supported by Trellis"
                        + " (see docs/api-iam-sts.md)");
            }
            ObjectNode output = switch (name) {
                case "GetCallerIdentity" -> getCallerIdentity(caller);
                case "AssumeRole" -> assumeRole(caller, call.input());
                default -> assumeRoleWithWebIdentity(call.input());
            };
            if (!name.equals("GetCallerIdentity")) {
                awaitGateways(caller);
            }
            return binding.output(call.operation(), output, caller.requestId());
        } catch (ApiException e) {
            return binding.error(e, caller.requestId());
        } catch (StoreException e) {
            log.error("request {}: store failure", caller.requestId(), e);
            return binding.error(new ApiException("InternalFailure", 500,
                    "The store is unavailable; retry the call (request id " + caller.requestId() + ")"),
                    caller.requestId());
        }
    }

    /**
     * AWS session credentials work as soon as STS returns them; here the gateways learn the new key from their next
     * snapshot, so the answer waits until they serve it (at most {@link #PROPAGATION_WAIT}; a gateway that is slower
     * gets the key moments later, and a request signed with it before then gets 403).
     */
    private void awaitGateways(Caller caller) {
        try {
            if (!propagation.awaitServed(PROPAGATION_WAIT)) {
                log.warn("request {}: not every gateway serves the new session's key after {} ms; answering anyway",
                        caller.requestId(), PROPAGATION_WAIT.toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // stopping: answer now
        }
    }

    @Override
    public ApiResponse error(ApiException error) {
        return binding.error(error, UUID.randomUUID().toString());
    }

    @Override
    public ApiResponse error(ApiException error, String requestId) {
        return binding.error(error, requestId);
    }

    /** Who the caller is; never refused, as in AWS (no permission is needed, and an explicit deny is ignored). */
    private ObjectNode getCallerIdentity(Caller caller) {
        Principal p = caller.principal();
        return JsonNodeFactory.instance.objectNode()
                .put("UserId", p.userId())
                .put("Account", p.accountId())
                .put("Arn", p.arn());
    }

    private ObjectNode assumeRole(Caller caller, ObjectNode in) {
        rejectSessionPolicies(in);
        if (in.hasNonNull("SerialNumber") || in.hasNonNull("TokenCode")) {
            throw validation("MFA (SerialNumber, TokenCode) is not supported by Trellis.");
        }
        if (in.hasNonNull("ProvidedContexts")) {
            throw validation("ProvidedContexts is not supported by Trellis.");
        }
        String roleArn = in.get("RoleArn").asText();
        String sessionName = in.get("RoleSessionName").asText();
        Map<String, String> sessionTags = sessionTags(in);
        Principal principal = caller.principal();
        return store.write(tx -> {
            purgeExpiredSessions(tx);
            ApiException denied = new ApiException("AccessDenied", 403, "User: " + principal.arn()
                    + " is not authorized to perform: sts:AssumeRole on resource: " + roleArn);
            StoredResource role = role(tx, roleArn).orElseThrow(() -> denied);
            Policy trust = trustPolicy(role).orElseThrow(() -> denied);
            RequestContext.Builder context = RequestContext.builder(principal)
                    .requestTime(clock.instant())
                    .put("sts:RoleSessionName", sessionName);
            if (in.hasNonNull("ExternalId")) {
                context.put("sts:ExternalId", in.get("ExternalId").asText());
            }
            if (in.hasNonNull("SourceIdentity")) {
                context.put("sts:SourceIdentity", in.get("SourceIdentity").asText());
            }
            putRequestTags(context, sessionTags);
            RequestContext ctx = context.build();
            List<String> identityPolicies = identities.identityPolicies(tx, principal);
            if (!allowed(trust, principal, identityPolicies, "sts:AssumeRole", roleArn, ctx)) {
                throw denied;
            }
            if (!sessionTags.isEmpty()
                    && !allowed(trust, principal, identityPolicies, "sts:TagSession", roleArn, ctx)) {
                throw new ApiException("AccessDenied", 403, "User: " + principal.arn()
                        + " is not authorized to perform: sts:TagSession on resource: " + roleArn);
            }
            int duration = duration(in, role);
            if (principal.type() == Principal.Type.AssumedRole && duration > ROLE_CHAINING_MAX_SECONDS) {
                throw validation("The requested DurationSeconds exceeds the 1 hour session limit for roles"
                        + " assumed by role chaining.");
            }
            ObjectNode out = issue(tx, role, sessionName, sessionTags, duration,
                    in.path("SourceIdentity").asText(null), principal.arn());
            if (!sessionTags.isEmpty()) {
                out.put("PackedPolicySize", packedSize(sessionTags));
            }
            return out;
        });
    }

    private ObjectNode assumeRoleWithWebIdentity(ObjectNode in) {
        rejectSessionPolicies(in);
        if (in.hasNonNull("ProviderId")) {
            throw validation("ProviderId names an OAuth 2.0 provider (Login with Amazon, Facebook); Trellis"
                    + " verifies OpenID Connect ID tokens only, which need no ProviderId.");
        }
        String roleArn = in.get("RoleArn").asText();
        String sessionName = in.get("RoleSessionName").asText();
        WebIdentityTokens.ParsedToken token = WebIdentityTokens.parse(in.get("WebIdentityToken").asText());
        String issuer = token.issuer();
        if (!issuer.startsWith("https://")) {
            throw WebIdentityTokens.invalid("No OpenIDConnect provider found in your account for " + issuer);
        }
        String providerName = issuer.substring("https://".length()).replaceAll("/+$", "");
        String providerArn = "arn:" + config.partition() + ":iam::" + config.accountId() + ":oidc-provider/"
                + providerName;
        StoredResource provider = store.read(tx -> tx.getByArn(providerArn))
                .filter(p -> p.kind().equals(IamEntities.OIDC_PROVIDER))
                .orElseThrow(() -> WebIdentityTokens.invalid("No OpenIDConnect provider found in your account for "
                        + issuer));
        JWKSet keys = signingKeys(provider, token);
        List<String> clientIds = new ArrayList<>();
        provider.document().path("ClientIDList").forEach(c -> clientIds.add(c.asText()));
        WebIdentityTokens.VerifiedToken verified = WebIdentityTokens.verify(token, keys, clientIds, clock.instant());

        return store.write(tx -> {
            purgeExpiredSessions(tx);
            ApiException denied = new ApiException("AccessDenied", 403,
                    "Not authorized to perform sts:AssumeRoleWithWebIdentity");
            StoredResource role = role(tx, roleArn).orElseThrow(() -> denied);
            Policy trust = trustPolicy(role).orElseThrow(() -> denied);
            Principal holder = Principal.webIdentity(providerArn, config.accountId(), verified.subject());
            RequestContext ctx = RequestContext.builder(holder)
                    .requestTime(clock.instant())
                    .put(providerName + ":sub", verified.subject())
                    .put(providerName + ":aud", verified.audience())
                    .put("aws:FederatedProvider", providerArn)
                    .put("sts:RoleSessionName", sessionName)
                    .build();
            TrustDecision decision = trust.evaluateTrust("sts:AssumeRoleWithWebIdentity", roleArn, ctx);
            // A token holder has no identity-based policies: only a statement naming its provider lets it in.
            if (!decision.allows(Decision.NOT_APPLICABLE)) {
                throw denied;
            }
            ObjectNode out = issue(tx, role, sessionName, Map.of(), duration(in, role), null,
                    providerArn + ":" + verified.subject());
            out.put("SubjectFromWebIdentityToken", verified.subject());
            out.put("Provider", verified.issuer());
            out.put("Audience", verified.audience());
            return out;
        });
    }

    /**
     * The provider's signing keys; when none fits the token and the provider's keys came from a
     * {@link JwksSource#TAG} source, the source is read again (at most once a minute per provider) and the store
     * updated, so rotated keys are picked up.
     */
    private JWKSet signingKeys(StoredResource provider, WebIdentityTokens.ParsedToken token) {
        JWKSet keys = parseKeys(provider.document().path("jwks").asText(null));
        if (keys != null && WebIdentityTokens.hasKeyFor(token, keys)) {
            return keys;
        }
        String uri = IamEntities.tags(provider.document()).get(JwksSource.TAG);
        Instant now = clock.instant();
        Instant last = lastKeyRefresh.get(provider.arn());
        if (uri == null || last != null && now.isBefore(last.plus(KEY_REFRESH_INTERVAL))) {
            return noKeys(keys, uri);
        }
        lastKeyRefresh.put(provider.arn(), now);
        String json;
        try {
            json = JwksSource.load(uri);
        } catch (JwksSource.InvalidSourceException | JwksSource.UnreachableSourceException e) {
            log.info("cannot refresh the signing keys of {}: {}", provider.arn(), e.getMessage());
            return noKeys(keys, uri);
        }
        store.write(tx -> {
            tx.getByArn(provider.arn()).ifPresent(p -> {
                ObjectNode document = p.document().deepCopy();
                document.put("jwks", json);
                tx.update(p.withDocument(document));
            });
            return null;
        });
        return parseKeys(json);
    }

    private static JWKSet noKeys(JWKSet keys, String uri) {
        if (keys != null) {
            return keys; // the verifier reports the missing key
        }
        throw WebIdentityTokens.invalid(WebIdentityTokens.NO_KEY + (uri == null
                ? " (Trellis: register the provider's JWK set with the tag " + JwksSource.TAG + ")" : ""));
    }

    private static JWKSet parseKeys(String json) {
        if (json == null) {
            return null;
        }
        try {
            return JWKSet.parse(json);
        } catch (ParseException e) {
            return null;
        }
    }

    /**
     * The trust policy decides, and for a trust policy that only trusts the caller's account, the caller's
     * identity-based policies must allow the action too (docs/api-iam-sts.md).
     */
    private boolean allowed(Policy trust, Principal principal, List<String> identityPolicies, String action,
                            String roleArn, RequestContext ctx) {
        TrustDecision decision = trust.evaluateTrust(action, roleArn, ctx);
        Decision identity = principal.type() == Principal.Type.Account
                ? Decision.ALLOW
                : authorizer.decide(identityPolicies, action, roleArn, ctx);
        return decision.allows(identity);
    }

    /** The role with this ARN in this control plane's account. */
    private Optional<StoredResource> role(StoreTransaction tx, String roleArn) {
        return tx.getByArn(roleArn).filter(r -> r.kind().equals(IamEntities.ROLE));
    }

    private static Optional<Policy> trustPolicy(StoredResource role) {
        try {
            return Optional.of(Policy.parseTrustPolicy(role.document().path("AssumeRolePolicyDocument").asText()));
        } catch (PolicyParseException e) {
            log.warn("role {} has a trust policy Trellis cannot read: {}", role.arn(), e.getMessage());
            return Optional.empty();
        }
    }

    private int duration(ObjectNode in, StoredResource role) {
        int duration = in.path("DurationSeconds").asInt(DEFAULT_DURATION_SECONDS);
        int max = role.document().path("MaxSessionDuration").asInt(DEFAULT_DURATION_SECONDS);
        if (duration > max) {
            throw validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");
        }
        return duration;
    }

    /** Stores a new session of {@code role} and returns the output with its credentials and assumed-role user. */
    private ObjectNode issue(StoreTransaction tx, StoredResource role, String sessionName,
                             Map<String, String> sessionTags, int durationSeconds, String sourceIdentity,
                             String issuedTo) {
        JsonNode r = role.document();
        Instant now = clock.instant();
        String accessKeyId = IamIds.temporaryAccessKeyId();
        String expiration = IamEntities.timestamp(now.plusSeconds(durationSeconds));
        Map<String, String> principalTags = new LinkedHashMap<>(IamEntities.tags(r));
        sessionTags.forEach((k, v) -> {
            principalTags.keySet().removeIf(existing -> existing.equalsIgnoreCase(k));
            principalTags.put(k, v);
        });
        ObjectNode session = JsonNodeFactory.instance.objectNode()
                .put("AccessKeyId", accessKeyId)
                .put("SecretAccessKey", IamIds.secretAccessKey())
                .put("SessionToken", IamIds.sessionToken())
                .put("Expiration", expiration)
                .put("RoleId", role.id())
                .put("RoleName", r.path("RoleName").asText())
                .put("RolePath", r.path("Path").asText("/"))
                .put("RoleArn", role.arn())
                .put("RoleSessionName", sessionName)
                .put("CreateDate", IamEntities.timestamp(now))
                .put("issuedTo", issuedTo);
        ObjectNode tags = session.putObject("principalTags");
        principalTags.forEach(tags::put);
        if (sourceIdentity != null) {
            session.put("SourceIdentity", sourceIdentity);
        }
        tx.insert(StoredResource.create(IamEntities.SESSION, accessKeyId, "arn:" + config.partition() + ":sts::"
                + config.accountId() + ":access-key/" + accessKeyId, config.accountId(), role.id(), null, session));
        Principal sessionPrincipal = IamEntities.sessionPrincipal(config, config.accountId(), session);
        log.info("issued {} for {} to {}, expiring {}", accessKeyId, sessionPrincipal.arn(), issuedTo, expiration);

        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.putObject("Credentials")
                .put("AccessKeyId", accessKeyId)
                .put("SecretAccessKey", session.get("SecretAccessKey").asText())
                .put("SessionToken", session.get("SessionToken").asText())
                .put("Expiration", expiration);
        out.putObject("AssumedRoleUser")
                .put("AssumedRoleId", sessionPrincipal.userId())
                .put("Arn", sessionPrincipal.arn());
        if (sourceIdentity != null) {
            out.put("SourceIdentity", sourceIdentity);
        }
        return out;
    }

    /** Deletes a few sessions that expired more than a day ago (the oldest first), so the store does not grow. */
    private void purgeExpiredSessions(StoreTransaction tx) {
        Instant cutoff = clock.instant().minus(EXPIRED_SESSION_RETENTION);
        for (StoredResource session : tx.list(IamEntities.SESSION, null, -1, 50)) {
            try {
                if (Instant.parse(session.document().path("Expiration").asText()).isBefore(cutoff)) {
                    tx.delete(IamEntities.SESSION, session.id());
                }
            } catch (java.time.format.DateTimeParseException e) {
                tx.delete(IamEntities.SESSION, session.id());
            }
        }
    }

    /** The session tags of a call: at most 50, keys unique regardless of case, no {@code aws:} keys. */
    private static Map<String, String> sessionTags(ObjectNode in) {
        Map<String, String> tags = new LinkedHashMap<>();
        Set<String> lowerKeys = new HashSet<>();
        for (JsonNode tag : in.path("Tags")) {
            String key = tag.path("Key").asText();
            if (!lowerKeys.add(key.toLowerCase(Locale.ROOT))) {
                throw validation("Duplicate tag keys found. Please note that Tag keys are case insensitive.");
            }
            if (key.toLowerCase(Locale.ROOT).startsWith("aws:")) {
                throw validation("Session tag keys may not start with 'aws:', which is reserved for AWS use.");
            }
            tags.put(key, tag.path("Value").asText());
        }
        for (JsonNode key : in.path("TransitiveTagKeys")) {
            if (!lowerKeys.contains(key.asText().toLowerCase(Locale.ROOT))) {
                throw validation("TransitiveTagKeys must name keys of Tags; '" + key.asText() + "' is not one.");
            }
        }
        if (packedSize(tags) > 100) {
            throw new ApiException("PackedPolicyTooLarge", 400, "Packed size of the session tags exceeds the"
                    + " limit: " + packedSize(tags) + "% of " + PACKED_POLICY_BYTES + " bytes.");
        }
        return tags;
    }

    private static void putRequestTags(RequestContext.Builder context, Map<String, String> tags) {
        if (tags.isEmpty()) {
            return;
        }
        tags.forEach((k, v) -> context.put("aws:RequestTag/" + k, v));
        context.put("aws:TagKeys", new ArrayList<>(tags.keySet()));
    }

    /** The share of {@link #PACKED_POLICY_BYTES} the session tags take, in percent (rounded up). */
    private static int packedSize(Map<String, String> tags) {
        int bytes = 0;
        for (Map.Entry<String, String> e : tags.entrySet()) {
            bytes += e.getKey().getBytes(StandardCharsets.UTF_8).length
                    + e.getValue().getBytes(StandardCharsets.UTF_8).length;
        }
        return (bytes * 100 + PACKED_POLICY_BYTES - 1) / PACKED_POLICY_BYTES;
    }

    /** Session policies would narrow the session's permissions; refusing is safer than ignoring them. */
    private static void rejectSessionPolicies(ObjectNode in) {
        if (in.hasNonNull("Policy") || in.hasNonNull("PolicyArns")) {
            throw validation("Session policies (Policy, PolicyArns) are not supported by Trellis"
                    + " (see docs/api-iam-sts.md).");
        }
    }

    private static ApiException validation(String message) {
        return new ApiException("ValidationError", 400, message);
    }
}
