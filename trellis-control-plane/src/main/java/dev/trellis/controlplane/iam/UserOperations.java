package dev.trellis.controlplane.iam;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trellis.auth.Principal;
import dev.trellis.controlplane.identity.IamEntities;
import dev.trellis.controlplane.store.StoredResource;
import java.util.Map;
import java.util.Set;

/**
 * Users and their access keys: {@code CreateUser}, {@code GetUser}, {@code DeleteUser}, {@code ListUsers},
 * {@code CreateAccessKey}, {@code DeleteAccessKey}, {@code ListAccessKeys}. Where {@code UserName} is optional, the
 * calling user is meant, as in IAM.
 */
final class UserOperations {

    /** IAM's default quotas. */
    static final int MAX_USERS = 5_000;
    static final int MAX_ACCESS_KEYS = 2;

    /** Members of User that ListUsers leaves out, as IAM does. */
    private static final Set<String> NOT_LISTED = Set.of("Tags", "PermissionsBoundary");

    private UserOperations() {
    }

    static void register(Map<String, IamOperation> into) {
        into.put("CreateUser", UserOperations::create);
        into.put("GetUser", UserOperations::get);
        into.put("DeleteUser", UserOperations::delete);
        into.put("ListUsers", UserOperations::list);
        into.put("CreateAccessKey", UserOperations::createAccessKey);
        into.put("DeleteAccessKey", UserOperations::deleteAccessKey);
        into.put("ListAccessKeys", UserOperations::listAccessKeys);
    }

    private static ObjectNode create(IamContext ctx, ObjectNode in) {
        String name = in.get("UserName").asText();
        String path = in.path("Path").asText("/");
        ctx.authorize("CreateUser", ctx.arn("user", path, name));
        rejectPermissionsBoundary(in);
        IamTags.validate(in.get("Tags"));
        if (IdentityKind.USER.find(ctx, name).isPresent()) {
            throw IamErrors.alreadyExists("User with name " + name + " already exists.");
        }
        if (ctx.tx().count(IamEntities.USER, null) >= MAX_USERS) {
            throw IamErrors.quota("UsersPerAccount", MAX_USERS);
        }
        StoredResource user = ctx.identities().insertUser(ctx.tx(), name, path);
        if (in.has("Tags") && !in.get("Tags").isEmpty()) {
            ObjectNode document = user.document().deepCopy();
            IamTags.apply(document, in.get("Tags"), "TagsPerUser");
            user = ctx.tx().update(user.withDocument(document));
        }
        return userOutput(user.document());
    }

    private static ObjectNode get(IamContext ctx, ObjectNode in) {
        StoredResource user = IdentityKind.USER.require(ctx, "GetUser", userName(ctx, in));
        return userOutput(user.document());
    }

    private static ObjectNode delete(IamContext ctx, ObjectNode in) {
        StoredResource user = IdentityKind.USER.require(ctx, "DeleteUser", in.get("UserName").asText());
        if (ctx.tx().count(IamEntities.ACCESS_KEY, user.id()) > 0) {
            throw IamErrors.deleteConflict("Cannot delete entity, must delete access keys first.");
        }
        if (!IamEntities.inlinePolicyNames(user.document()).isEmpty()) {
            throw IamErrors.deleteConflict("Cannot delete entity, must delete policies first.");
        }
        if (!IamEntities.attachedPolicyArns(user.document()).isEmpty()) {
            throw IamErrors.deleteConflict("Cannot delete entity, must detach all policies first.");
        }
        ctx.tx().delete(IamEntities.USER, user.id());
        return null;
    }

    private static ObjectNode list(IamContext ctx, ObjectNode in) {
        String prefix = in.path("PathPrefix").asText("/");
        ctx.authorize("ListUsers", ctx.arn("user", prefix, ""));
        IamPages.Page<StoredResource> page = IamPages.fromStore(ctx, "ListUsers", in, IamEntities.USER, null,
                u -> u.document().path("Path").asText("/").startsWith(prefix));
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        ArrayNode users = out.putArray("Users");
        for (StoredResource u : page.items()) {
            ObjectNode listed = u.document().deepCopy();
            listed.remove(NOT_LISTED);
            users.add(listed);
        }
        IamPages.finish(out, page);
        return out;
    }

    private static ObjectNode createAccessKey(IamContext ctx, ObjectNode in) {
        StoredResource user = IdentityKind.USER.require(ctx, "CreateAccessKey", userName(ctx, in));
        if (ctx.tx().count(IamEntities.ACCESS_KEY, user.id()) >= MAX_ACCESS_KEYS) {
            throw IamErrors.quota("AccessKeysPerUser", MAX_ACCESS_KEYS);
        }
        String[] key = ctx.identities().insertAccessKey(ctx.tx(), user);
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.set("AccessKey", ctx.tx().get(IamEntities.ACCESS_KEY, key[0]).orElseThrow().document());
        return out;
    }

    private static ObjectNode deleteAccessKey(IamContext ctx, ObjectNode in) {
        StoredResource user = IdentityKind.USER.require(ctx, "DeleteAccessKey", userName(ctx, in));
        String accessKeyId = in.get("AccessKeyId").asText();
        StoredResource key = ctx.tx().get(IamEntities.ACCESS_KEY, accessKeyId)
                .filter(k -> user.id().equals(k.parentId()))
                .orElseThrow(() -> IamErrors.noSuchEntity("The Access Key with id " + accessKeyId
                        + " cannot be found."));
        ctx.tx().delete(IamEntities.ACCESS_KEY, key.id());
        return null;
    }

    private static ObjectNode listAccessKeys(IamContext ctx, ObjectNode in) {
        StoredResource user = IdentityKind.USER.require(ctx, "ListAccessKeys", userName(ctx, in));
        IamPages.Page<StoredResource> page = IamPages.fromStore(ctx, "ListAccessKeys", in, IamEntities.ACCESS_KEY,
                user.id(), k -> true);
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        ArrayNode keys = out.putArray("AccessKeyMetadata");
        for (StoredResource k : page.items()) {
            ObjectNode metadata = k.document().deepCopy();
            metadata.remove("SecretAccessKey");
            keys.add(metadata);
        }
        IamPages.finish(out, page);
        return out;
    }

    /** {@code UserName}, or the calling user's name when it is absent. */
    private static String userName(IamContext ctx, ObjectNode in) {
        if (in.hasNonNull("UserName")) {
            return in.get("UserName").asText();
        }
        Principal caller = ctx.caller().principal();
        if (caller.type() == Principal.Type.User && caller.userName().isPresent()) {
            return caller.userName().get();
        }
        throw IamErrors.validation("Must specify userName when calling with non-User credentials");
    }

    private static ObjectNode userOutput(JsonNode user) {
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.set("User", user);
        return out;
    }

    /** Permissions boundaries are not served: refusing is safer than ignoring a limit the caller asked for. */
    static void rejectPermissionsBoundary(ObjectNode in) {
        if (in.hasNonNull("PermissionsBoundary")) {
            throw IamErrors.invalidInput("PermissionsBoundary is not supported by Trellis"
                    + " (see docs/api-iam-sts.md).");
        }
    }
}
