package dev.trellis.controlplane.iam;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trellis.controlplane.identity.IamEntities;
import dev.trellis.controlplane.identity.JwksSource;
import dev.trellis.controlplane.store.StoredResource;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * OpenID Connect identity providers: {@code CreateOpenIDConnectProvider}, {@code GetOpenIDConnectProvider},
 * {@code DeleteOpenIDConnectProvider}, {@code ListOpenIDConnectProviders}. The provider's ARN is
 * {@code arn:aws:iam::<account>:oidc-provider/<host and path of the issuer URL>}. Its signing keys come from the
 * {@link JwksSource#TAG} tag; they are read before the create's transaction ({@link #withSigningKeys}) and kept in the
 * provider's document ({@code jwks}), so verifying a token reads nothing but the store.
 */
final class OidcProviderOperations {

    static final int MAX_PROVIDERS = 100;
    static final int MAX_CLIENT_IDS = 100;
    static final int MAX_THUMBPRINTS = 5;
    /** The input member {@link #withSigningKeys} adds: not part of the model, never read from the wire. */
    static final String SIGNING_KEYS = "trellis-signing-keys-" + UUID.randomUUID();

    private OidcProviderOperations() {
    }

    static void register(Map<String, IamOperation> into) {
        into.put("CreateOpenIDConnectProvider", OidcProviderOperations::create);
        into.put("GetOpenIDConnectProvider", OidcProviderOperations::get);
        into.put("DeleteOpenIDConnectProvider", OidcProviderOperations::delete);
        into.put("ListOpenIDConnectProviders", OidcProviderOperations::list);
    }

    /** The provider name of an issuer URL: host and path, without {@code https://} and a trailing slash. */
    static String providerName(String url) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw IamErrors.invalidInput("Url " + url + " is not a valid URL.");
        }
        if (!"https".equalsIgnoreCase(uri.getScheme()) || uri.getRawAuthority() == null
                || uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
            throw IamErrors.invalidInput("Url " + url + " is not valid: it must begin with https:// and have no"
                    + " user, query or fragment.");
        }
        String name = uri.getRawAuthority() + (uri.getRawPath() == null ? "" : uri.getRawPath());
        return name.endsWith("/") ? name.substring(0, name.length() - 1) : name;
    }

    /** The provider's ARN, for authorizing the create before anything is read. */
    static String arnOf(IamContext ctx, ObjectNode in) {
        return ctx.arn("oidc-provider/", "", providerName(in.get("Url").asText()));
    }

    /**
     * Reads the signing keys the {@link JwksSource#TAG} tag names, outside any transaction, and returns the input
     * with them; the input unchanged when there is no such tag.
     */
    static ObjectNode withSigningKeys(ObjectNode in) {
        for (JsonNode tag : in.path("Tags")) {
            if (tag.path("Key").asText().equals(JwksSource.TAG)) {
                try {
                    String keys = JwksSource.load(tag.path("Value").asText());
                    ObjectNode copy = in.deepCopy();
                    copy.put(SIGNING_KEYS, keys);
                    return copy;
                } catch (JwksSource.InvalidSourceException e) {
                    throw IamErrors.invalidInput("Cannot register the provider's signing keys: " + e.getMessage());
                } catch (JwksSource.UnreachableSourceException e) {
                    throw IamErrors.openIdIdpCommunicationError("Cannot register the provider's signing keys: "
                            + e.getMessage());
                }
            }
        }
        return in;
    }

    private static ObjectNode create(IamContext ctx, ObjectNode in) {
        String url = in.get("Url").asText();
        String name = providerName(url);
        String arn = ctx.arn("oidc-provider/", "", name);
        ctx.authorize("CreateOpenIDConnectProvider", arn);
        IamTags.validate(in.get("Tags"));
        JsonNode clientIds = in.path("ClientIDList");
        if (clientIds.size() > MAX_CLIENT_IDS) {
            throw IamErrors.quota("ClientIdsPerOpenIdConnectProvider", MAX_CLIENT_IDS);
        }
        JsonNode thumbprints = in.path("ThumbprintList");
        if (thumbprints.size() > MAX_THUMBPRINTS) {
            throw IamErrors.quota("ThumbprintsPerOpenIdConnectProvider", MAX_THUMBPRINTS);
        }
        for (JsonNode thumbprint : thumbprints) {
            if (!thumbprint.asText().matches("[0-9A-Fa-f]{40}")) {
                throw IamErrors.invalidInput("Thumbprint " + thumbprint.asText() + " is not 40 hexadecimal"
                        + " digits.");
            }
        }
        if (ctx.tx().getByArn(arn).isPresent()) {
            throw IamErrors.alreadyExists("Provider with url " + url + " already exists.");
        }
        if (ctx.tx().count(IamEntities.OIDC_PROVIDER, null) >= MAX_PROVIDERS) {
            throw IamErrors.quota("OpenIdConnectProvidersPerAccount", MAX_PROVIDERS);
        }
        ObjectNode provider = JsonNodeFactory.instance.objectNode().put("Url", name);
        provider.set("ClientIDList", distinct(clientIds));
        provider.set("ThumbprintList", distinct(thumbprints));
        provider.put("CreateDate", IamEntities.timestamp(ctx.clock().instant()));
        IamTags.apply(provider, in.get("Tags"), "TagsPerOpenIdConnectProvider");
        provider.put("Arn", arn);
        if (in.hasNonNull(SIGNING_KEYS)) {
            provider.put("jwks", in.get(SIGNING_KEYS).asText());
        }
        ctx.tx().insert(StoredResource.create(IamEntities.OIDC_PROVIDER, "OIDC" + UUID.randomUUID(), arn,
                ctx.accountId(), null, name, provider));
        ObjectNode out = JsonNodeFactory.instance.objectNode().put("OpenIDConnectProviderArn", arn);
        if (provider.has("Tags")) {
            out.set("Tags", provider.get("Tags"));
        }
        return out;
    }

    private static ObjectNode get(IamContext ctx, ObjectNode in) {
        return require(ctx, "GetOpenIDConnectProvider", in.get("OpenIDConnectProviderArn").asText()).document()
                .deepCopy();
    }

    private static ObjectNode delete(IamContext ctx, ObjectNode in) {
        StoredResource provider = require(ctx, "DeleteOpenIDConnectProvider",
                in.get("OpenIDConnectProviderArn").asText());
        ctx.tx().delete(IamEntities.OIDC_PROVIDER, provider.id());
        return null;
    }

    private static ObjectNode list(IamContext ctx, ObjectNode in) {
        ctx.authorize("ListOpenIDConnectProviders", ctx.arn("oidc-provider/", "", "*"));
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        ArrayNode list = out.putArray("OpenIDConnectProviderList");
        long after = -1;
        while (true) {
            var chunk = ctx.tx().list(IamEntities.OIDC_PROVIDER, null, after, 200);
            chunk.forEach(p -> list.addObject().put("Arn", p.arn()));
            if (chunk.size() < 200) {
                return out;
            }
            after = chunk.get(chunk.size() - 1).seq();
        }
    }

    private static StoredResource require(IamContext ctx, String operation, String arn) {
        ManagedPolicyOperations.requireArnSyntax(arn);
        ctx.authorize(operation, arn);
        return ctx.tx().getByArn(arn).filter(p -> p.kind().equals(IamEntities.OIDC_PROVIDER))
                .orElseThrow(() -> IamErrors.noSuchEntity("OpenIDConnect Provider not found for arn " + arn));
    }

    private static ArrayNode distinct(JsonNode values) {
        ArrayNode out = JsonNodeFactory.instance.arrayNode();
        Set<String> seen = new HashSet<>();
        values.forEach(v -> {
            if (seen.add(v.asText())) {
                out.add(v.asText());
            }
        });
        return out;
    }
}
