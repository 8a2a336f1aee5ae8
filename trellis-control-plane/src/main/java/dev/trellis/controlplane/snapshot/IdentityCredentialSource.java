package dev.trellis.controlplane.snapshot;

import com.fasterxml.jackson.databind.JsonNode;
import dev.trellis.auth.Principal;
import dev.trellis.auth.sigv4.DerivedSigningKey;
import dev.trellis.auth.sigv4.SigV4KeyDerivation;
import dev.trellis.controlplane.ControlPlaneConfig;
import dev.trellis.controlplane.identity.IamEntities;
import dev.trellis.controlplane.identity.IdentityDirectory;
import dev.trellis.controlplane.store.StoreTransaction;
import dev.trellis.controlplane.store.StoredResource;
import dev.trellis.model.snapshot.CallerCredential;
import java.math.BigInteger;
import java.security.interfaces.ECPublicKey;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The callers gateways authenticate, from the identity store: every active access key of an IAM user and every
 * unexpired STS session, as {@link CallerCredential}s with SigV4 signing keys for {@code vpc-lattice-svcs} in the
 * control plane's region for the UTC days before, of and after {@code now} (a gateway accepts requests signed up to
 * 5 minutes off either side of midnight, and a snapshot stays usable for a day without the control plane), the
 * SigV4A public key, who the caller is and its identity-based policies (a user's inline and attached managed
 * policies; for a role session its role's). No secret leaves this class: the derived keys are one-way functions of
 * it, scoped to one day, region and service.
 *
 * <p>Derivation is cached per access key (the SigV4A public key costs an EC operation; snapshots of many VPCs share
 * the same keys); the cache forgets keys that are no longer listed.
 */
public final class IdentityCredentialSource implements CredentialSource {

    /** The data plane's signing name (facts §6). */
    public static final String SERVICE = "vpc-lattice-svcs";
    private static final DateTimeFormatter SCOPE_DATE = DateTimeFormatter.BASIC_ISO_DATE;
    private static final int PAGE = 1000;

    private final ControlPlaneConfig config;
    private final IdentityDirectory identities;
    /** Access key id → derived material, valid as long as the secret is the same. */
    private final Map<String, Derived> cache = new ConcurrentHashMap<>();

    private record Derived(int secretHash, String sigV4aPublicKey, Map<String, CallerCredential.DerivedKey> byScope) {
    }

    public IdentityCredentialSource(ControlPlaneConfig config, IdentityDirectory identities) {
        this.config = config;
        this.identities = identities;
    }

    @Override
    public List<CallerCredential> credentials(StoreTransaction tx, String region, Instant now) {
        LocalDate today = LocalDate.ofInstant(now, ZoneOffset.UTC);
        List<String> dates = List.of(today.minusDays(1).format(SCOPE_DATE), today.format(SCOPE_DATE),
                today.plusDays(1).format(SCOPE_DATE));
        List<CallerCredential> credentials = new ArrayList<>();
        List<String> listed = new ArrayList<>();
        for (StoredResource key : all(tx, IamEntities.ACCESS_KEY)) {
            JsonNode doc = key.document();
            if (!"Active".equals(doc.path("Status").asText())) {
                continue;
            }
            Optional<StoredResource> user = tx.get(IamEntities.USER, key.parentId());
            if (user.isEmpty()) {
                continue;
            }
            Principal principal = IamEntities.userPrincipal(config, user.get().accountId(), user.get().document());
            credentials.add(credential(key.id(), doc.path("SecretAccessKey").asText(), principal, null, null,
                    identities.identityPolicies(tx, principal), region, dates));
            listed.add(key.id());
        }
        for (StoredResource session : all(tx, IamEntities.SESSION)) {
            JsonNode doc = session.document();
            Instant expiresAt;
            try {
                expiresAt = Instant.parse(doc.path("Expiration").asText());
            } catch (DateTimeParseException e) {
                continue;
            }
            if (!expiresAt.isAfter(now)) {
                continue; // expired: gateways would refuse it anyway
            }
            Principal principal = IamEntities.sessionPrincipal(config, session.accountId(), doc);
            credentials.add(credential(session.id(), doc.path("SecretAccessKey").asText(), principal,
                    doc.path("SessionToken").asText(), expiresAt, identities.identityPolicies(tx, principal),
                    region, dates));
            listed.add(session.id());
        }
        cache.keySet().retainAll(listed);
        return credentials;
    }

    private CallerCredential credential(String accessKeyId, String secret, Principal principal, String sessionToken,
                                        Instant expiresAt, List<String> policies, String region, List<String> dates) {
        Derived derived = cache.compute(accessKeyId, (id, old) ->
                old != null && old.secretHash() == secret.hashCode() ? old
                        : new Derived(secret.hashCode(), sigV4aPublicKey(id, secret), new ConcurrentHashMap<>()));
        List<CallerCredential.DerivedKey> keys = new ArrayList<>();
        for (String date : dates) {
            keys.add(derived.byScope().computeIfAbsent(date + "/" + region, scope -> {
                DerivedSigningKey key = SigV4KeyDerivation.deriveSigningKey(secret, date, region, SERVICE);
                return new CallerCredential.DerivedKey(date, region, SERVICE, HexFormat.of().formatHex(key.key()));
            }));
        }
        // Keys for days no longer around now are dropped so the cache stays three days deep.
        derived.byScope().keySet().removeIf(scope -> !dates.contains(scope.substring(0, scope.indexOf('/'))));
        return new CallerCredential(accessKeyId, principal.type().name(), principal.arn(), principal.principalArn(),
                principal.accountId(), principal.userId(), principal.userName().orElse(null),
                principal.sessionName().orElse(null), principal.tags(), sessionToken, expiresAt, keys,
                derived.sigV4aPublicKey(), policies.stream().filter(p -> p != null).toList());
    }

    /** {@code 04 || X || Y} in hex: the form {@link CallerCredential#sigV4aPublicKey()} carries. */
    private static String sigV4aPublicKey(String accessKeyId, String secret) {
        ECPublicKey key = SigV4KeyDerivation.deriveSigV4aPublicKey(accessKeyId, secret);
        return "04" + hex32(key.getW().getAffineX()) + hex32(key.getW().getAffineY());
    }

    private static String hex32(BigInteger value) {
        String hex = value.toString(16);
        return "0".repeat(64 - hex.length()) + hex;
    }

    private static List<StoredResource> all(StoreTransaction tx, String kind) {
        List<StoredResource> result = new ArrayList<>();
        long after = -1;
        while (true) {
            List<StoredResource> page = tx.list(kind, null, after, PAGE);
            result.addAll(page);
            if (page.size() < PAGE) {
                return result;
            }
            after = page.get(page.size() - 1).seq();
        }
    }
}
