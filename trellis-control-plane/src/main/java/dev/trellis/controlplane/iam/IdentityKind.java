package dev.trellis.controlplane.iam;

import dev.trellis.controlplane.identity.IamEntities;
import dev.trellis.controlplane.store.StoredResource;
import java.util.Optional;

/**
 * The two kinds of IAM identities that hold policies — users and roles — with what differs between them: the store
 * kind, the ARN type, the name member, and IAM's limits on their policies.
 */
enum IdentityKind {
    USER(IamEntities.USER, "user", "UserName", 2_048, "PoliciesPerUser"),
    ROLE(IamEntities.ROLE, "role", "RoleName", 10_240, "PoliciesPerRole");

    /** IAM's default quota of managed policies attached to one user or role. */
    static final int MAX_ATTACHED_POLICIES = 10;

    final String storeKind;
    final String arnType;
    final String nameMember;
    /** The combined size of the inline policies, in characters without white space (IAM's quota). */
    final int inlinePolicySizeLimit;
    final String attachedQuotaName;

    IdentityKind(String storeKind, String arnType, String nameMember, int inlinePolicySizeLimit,
                 String attachedQuotaName) {
        this.storeKind = storeKind;
        this.arnType = arnType;
        this.nameMember = nameMember;
        this.inlinePolicySizeLimit = inlinePolicySizeLimit;
        this.attachedQuotaName = attachedQuotaName;
    }

    Optional<StoredResource> find(IamContext ctx, String name) {
        return ctx.tx().getByName(storeKind, ctx.accountId(), null, IamEntities.nameKey(name));
    }

    /**
     * The identity named {@code name}, after checking that the caller may run {@code operation} on it (on the ARN
     * it would have at path {@code /} when it does not exist, so that a refused caller learns nothing).
     *
     * @throws dev.trellis.controlplane.protocol.ApiException AccessDenied, or NoSuchEntity
     */
    StoredResource require(IamContext ctx, String operation, String name) {
        Optional<StoredResource> found = find(ctx, name);
        ctx.authorize(operation, found.map(StoredResource::arn).orElse(ctx.arn(arnType, "/", name)));
        return found.orElseThrow(() -> IamErrors.noSuchEntity("The " + arnType + " with name " + name
                + " cannot be found."));
    }
}
