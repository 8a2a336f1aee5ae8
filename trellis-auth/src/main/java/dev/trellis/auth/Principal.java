package dev.trellis.auth;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Who made a request: the identity that SigV4 verification established, or the anonymous caller.
 *
 * <p>The fields are the ones IAM policies can see: {@code arn} is the caller's own ARN (for an assumed role the
 * session ARN {@code arn:aws:sts::<account>:assumed-role/<role>/<session>}); {@code principalArn} is what
 * {@code aws:PrincipalArn} and a policy's {@code Principal} element match (for an assumed role, the role's ARN
 * {@code arn:aws:iam::<account>:role/<role>}); {@code userId} is {@code aws:userid}; {@code userName} is
 * {@code aws:username} (users only); {@code tags} are {@code aws:PrincipalTag/<key>}.
 */
public record Principal(
        Type type,
        String arn,
        String principalArn,
        String accountId,
        String userId,
        Optional<String> userName,
        Optional<String> sessionName,
        Optional<String> orgId,
        Map<String, String> tags) {

    /** The values of {@code aws:PrincipalType}. */
    public enum Type {
        /** The account root user. */
        Account,
        User,
        FederatedUser,
        AssumedRole,
        /** An unsigned request. */
        Anonymous,
        /**
         * The holder of an OpenID Connect token that STS verified, while a role's trust policy decides whether it
         * may assume the role ({@code sts:AssumeRoleWithWebIdentity}); never the caller of a signed request.
         */
        WebIdentity
    }

    private static final Principal ANONYMOUS = new Principal(
            Type.Anonymous, "anonymous", "anonymous", "", "anonymous",
            Optional.empty(), Optional.empty(), Optional.empty(), Map.of());

    public Principal {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(arn, "arn");
        Objects.requireNonNull(principalArn, "principalArn");
        Objects.requireNonNull(accountId, "accountId");
        Objects.requireNonNull(userId, "userId");
        Objects.requireNonNull(userName, "userName");
        Objects.requireNonNull(sessionName, "sessionName");
        Objects.requireNonNull(orgId, "orgId");
        tags = Map.copyOf(tags);
    }

    /** The caller of an unsigned request. */
    public static Principal anonymous() {
        return ANONYMOUS;
    }

    /** An IAM user {@code arn:aws:iam::<account>:user/<path><name>}. */
    public static Principal user(String partition, String accountId, String path, String name, String userId,
                                 Map<String, String> tags) {
        String arn = "arn:" + partition + ":iam::" + accountId + ":user" + normalisePath(path) + name;
        return new Principal(Type.User, arn, arn, accountId, userId, Optional.of(name), Optional.empty(),
                Optional.empty(), tags);
    }

    /**
     * A session of a role: {@code arn} is the STS session ARN, {@code principalArn} the role's IAM ARN, and
     * {@code aws:userid} is {@code <role id>:<session name>} as IAM defines it.
     */
    public static Principal assumedRole(String partition, String accountId, String rolePath, String roleName,
                                        String roleId, String sessionName, Map<String, String> tags) {
        String sessionArn = "arn:" + partition + ":sts::" + accountId + ":assumed-role/" + roleName + "/" + sessionName;
        String roleArn = "arn:" + partition + ":iam::" + accountId + ":role" + normalisePath(rolePath) + roleName;
        return new Principal(Type.AssumedRole, sessionArn, roleArn, accountId, roleId + ":" + sessionName,
                Optional.empty(), Optional.of(sessionName), Optional.empty(), tags);
    }

    /**
     * The subject of a verified web identity token, as a role trust policy sees it: {@code arn} and
     * {@code principalArn} are the IAM OIDC provider's ARN, which a {@code "Federated"} principal names;
     * {@code aws:userid} is the token's subject.
     */
    public static Principal webIdentity(String providerArn, String accountId, String subject) {
        return new Principal(Type.WebIdentity, providerArn, providerArn, accountId, subject, Optional.empty(),
                Optional.empty(), Optional.empty(), Map.of());
    }

    /** The root user of an account: {@code arn:aws:iam::<account>:root}. */
    public static Principal accountRoot(String partition, String accountId) {
        String arn = "arn:" + partition + ":iam::" + accountId + ":root";
        return new Principal(Type.Account, arn, arn, accountId, accountId, Optional.empty(), Optional.empty(),
                Optional.empty(), Map.of());
    }

    public boolean isAnonymous() {
        return type == Type.Anonymous;
    }

    /** A copy of this principal in an AWS Organizations organisation ({@code aws:PrincipalOrgID}). */
    public Principal withOrgId(String orgId) {
        return new Principal(type, arn, principalArn, accountId, userId, userName, sessionName,
                Optional.of(orgId), tags);
    }

    private static String normalisePath(String path) {
        if (path == null || path.isEmpty()) {
            return "/";
        }
        return path.endsWith("/") ? path : path + "/";
    }

    @Override
    public String toString() {
        return type + " " + arn;
    }
}
