package dev.trellis.controlplane.iam;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.iam.model.IamException;
import software.amazon.awssdk.services.iam.model.ListRoleTagsResponse;
import software.amazon.awssdk.services.iam.model.Policy;
import software.amazon.awssdk.services.iam.model.PolicyVersion;
import software.amazon.awssdk.services.iam.model.Role;
import software.amazon.awssdk.services.iam.model.Tag;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;

class RoleAndPolicyApiTest extends IamApiTestBase {

    private static final String INVOKE = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
            + "\"Action\":\"vpc-lattice-svcs:Invoke\",\"Resource\":\"*\"}]}";

    private static IamException error(Runnable call) {
        return catchThrowableOfType(IamException.class, call::run);
    }

    private static void assertError(IamException e, int status, String code, String message) {
        assertThat(e).as("expected %s", code).isNotNull();
        assertThat(e.statusCode()).isEqualTo(status);
        assertThat(e.awsErrorDetails().errorCode()).isEqualTo(code);
        if (message != null) {
            assertThat(e.awsErrorDetails().errorMessage()).isEqualTo(message);
        }
    }

    private static String decode(String urlEncoded) {
        return URLDecoder.decode(urlEncoded, StandardCharsets.UTF_8);
    }

    @Test
    void createsARoleWithItsTrustPolicyAndReturnsTheDocumentUrlEncoded() {
        Role role = iam.createRole(r -> r.roleName("aws-sigv4-client").assumeRolePolicyDocument(TRUST_ACCOUNT)
                .description("IRSA role").maxSessionDuration(7200).tags(Tag.builder().key("app").value("frontend")
                        .build())).role();

        assertThat(role.arn()).isEqualTo("arn:aws:iam::" + ACCOUNT + ":role/aws-sigv4-client");
        assertThat(role.roleId()).matches("AROA[A-Z0-9]{17}");
        assertThat(role.path()).isEqualTo("/");
        assertThat(role.maxSessionDuration()).isEqualTo(7200);
        assertThat(role.assumeRolePolicyDocument()).startsWith("%7B%22Version%22");
        assertThat(decode(role.assumeRolePolicyDocument())).isEqualTo(TRUST_ACCOUNT);

        Role got = iam.getRole(r -> r.roleName("aws-sigv4-client")).role();
        assertThat(got.description()).isEqualTo("IRSA role");
        assertThat(got.tags()).extracting(Tag::key).containsExactly("app");
        assertThat(decode(got.assumeRolePolicyDocument())).isEqualTo(TRUST_ACCOUNT);
        assertThat(iam.listRoles().roles()).extracting(Role::roleName).containsExactly("aws-sigv4-client");
        assertThat(iam.listRoles().roles().get(0).tags()).isEmpty();
    }

    @Test
    void theGlobalPseudoRegionOfTheJavaSdkIsAccepted() {
        try (IamClient global = IamClient.builder().endpointOverride(controlPlane.endpoint()).region(Region.AWS_GLOBAL)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(
                        controlPlane.firstStartCredentials().get().accessKeyId(),
                        controlPlane.firstStartCredentials().get().secretAccessKey()))).build()) {
            assertThat(global.getUser().user().userName()).isEqualTo("admin");
        }
    }

    @Test
    void trustPoliciesAreValidatedAsTrustPolicies() {
        assertError(error(() -> iam.createRole(r -> r.roleName("r1").assumeRolePolicyDocument(
                "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\"}]}"))),
                400, "MalformedPolicyDocument",
                "Statement[0]: missing Principal or NotPrincipal (required in a resource-based policy)");
        assertError(error(() -> iam.createRole(r -> r.roleName("r1").assumeRolePolicyDocument(
                "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\","
                        + "\"Action\":\"sts:AssumeRole\",\"Resource\":\"*\"}]}"))),
                400, "MalformedPolicyDocument",
                "Statement[0].Resource: not allowed in a role trust policy (the role is the resource)");
        assertError(error(() -> iam.createRole(r -> r.roleName("r1").assumeRolePolicyDocument(
                "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\","
                        + "\"Action\":\"s3:GetObject\"}]}"))), 400, "MalformedPolicyDocument", null);
        String big = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":["
                + String.join(",", java.util.Collections.nCopies(60, "\"arn:aws:iam::" + ACCOUNT + ":user/u\""))
                + "]},\"Action\":\"sts:AssumeRole\"}]}";
        assertError(error(() -> iam.createRole(r -> r.roleName("r1").assumeRolePolicyDocument(big))), 409,
                "LimitExceeded", "Cannot exceed quota for ACLSizePerRole: 2048");
        assertError(error(() -> iam.createRole(r -> r.roleName("r1").assumeRolePolicyDocument(TRUST_ACCOUNT)
                .maxSessionDuration(60))), 400, "ValidationError", null);
    }

    @Test
    void updatesTheTrustPolicyAndTagsOfARole() {
        iam.createRole(r -> r.roleName("app").assumeRolePolicyDocument(TRUST_ACCOUNT));
        String newTrust = TRUST_ACCOUNT.replace(":root", ":user/admin");
        iam.updateAssumeRolePolicy(r -> r.roleName("app").policyDocument(newTrust));
        assertThat(decode(iam.getRole(r -> r.roleName("app")).role().assumeRolePolicyDocument())).isEqualTo(newTrust);
        assertError(error(() -> iam.updateAssumeRolePolicy(r -> r.roleName("app").policyDocument("{}"))), 400,
                "MalformedPolicyDocument", "policy: missing Statement");

        iam.tagRole(r -> r.roleName("app").tags(Tag.builder().key("team").value("blue").build(),
                Tag.builder().key("env").value("dev").build()));
        iam.tagRole(r -> r.roleName("app").tags(Tag.builder().key("TEAM").value("red").build()));
        assertThat(iam.listRoleTags(r -> r.roleName("app")).tags())
                .extracting(Tag::key, Tag::value)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("TEAM", "red"),
                        org.assertj.core.groups.Tuple.tuple("env", "dev"));
        ListRoleTagsResponse page = iam.listRoleTags(r -> r.roleName("app").maxItems(1));
        assertThat(page.isTruncated()).isTrue();
        assertThat(iam.listRoleTags(r -> r.roleName("app").marker(page.marker())).tags()).extracting(Tag::key)
                .containsExactly("env");

        iam.untagRole(r -> r.roleName("app").tagKeys("team", "absent"));
        assertThat(iam.listRoleTags(r -> r.roleName("app")).tags()).extracting(Tag::key).containsExactly("env");
        assertError(error(() -> iam.tagRole(r -> r.roleName("app").tags(Tag.builder().key("a").value("1").build(),
                Tag.builder().key("A").value("2").build()))), 400, "InvalidInput",
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.");
        assertError(error(() -> iam.tagRole(r -> r.roleName("app").tags(Tag.builder().key("aws:x").value("1")
                .build()))), 400, "InvalidInput", null);
    }

    @Test
    void roleNamesAreUniqueAndUnknownRolesAreNoSuchEntity() {
        iam.createRole(r -> r.roleName("App").assumeRolePolicyDocument(TRUST_ACCOUNT));
        assertError(error(() -> iam.createRole(r -> r.roleName("app").assumeRolePolicyDocument(TRUST_ACCOUNT))), 409,
                "EntityAlreadyExists", "Role with name app already exists.");
        List<Runnable> calls = List.of(
                () -> iam.getRole(r -> r.roleName("nobody")),
                () -> iam.deleteRole(r -> r.roleName("nobody")),
                () -> iam.tagRole(r -> r.roleName("nobody").tags(Tag.builder().key("a").value("b").build())),
                () -> iam.listRoleTags(r -> r.roleName("nobody")),
                () -> iam.putRolePolicy(r -> r.roleName("nobody").policyName("p").policyDocument(ALLOW_ALL)),
                () -> iam.attachRolePolicy(r -> r.roleName("nobody")
                        .policyArn("arn:aws:iam::" + ACCOUNT + ":policy/x")));
        for (Runnable call : calls) {
            assertError(error(call), 404, "NoSuchEntity", "The role with name nobody cannot be found.");
        }
    }

    @Test
    void rolesHoldInlineAndAttachedPoliciesAndCannotBeDeletedWithThem() {
        iam.createRole(r -> r.roleName("app").assumeRolePolicyDocument(TRUST_ACCOUNT));
        iam.putRolePolicy(r -> r.roleName("app").policyName("invoke").policyDocument(INVOKE));
        assertThat(decode(iam.getRolePolicy(r -> r.roleName("app").policyName("invoke")).policyDocument()))
                .isEqualTo(INVOKE);
        assertThat(iam.listRolePolicies(r -> r.roleName("app")).policyNames()).containsExactly("invoke");
        assertError(error(() -> iam.deleteRole(r -> r.roleName("app"))), 409, "DeleteConflict",
                "Cannot delete entity, must delete policies first.");
        iam.deleteRolePolicy(r -> r.roleName("app").policyName("invoke"));
        assertError(error(() -> iam.deleteRolePolicy(r -> r.roleName("app").policyName("invoke"))), 404,
                "NoSuchEntity", "The role policy with name invoke cannot be found.");

        String arn = iam.createPolicy(r -> r.policyName("VPCLatticeClientPolicy").policyDocument(INVOKE)).policy()
                .arn();
        iam.attachRolePolicy(r -> r.roleName("app").policyArn(arn));
        iam.attachRolePolicy(r -> r.roleName("app").policyArn(arn));
        assertThat(iam.listAttachedRolePolicies(r -> r.roleName("app")).attachedPolicies()).hasSize(1);
        assertThat(iam.getPolicy(r -> r.policyArn(arn)).policy().attachmentCount()).isEqualTo(1);
        assertError(error(() -> iam.deleteRole(r -> r.roleName("app"))), 409, "DeleteConflict",
                "Cannot delete entity, must detach all policies first.");
        assertError(error(() -> iam.deletePolicy(r -> r.policyArn(arn))), 409, "DeleteConflict",
                "Cannot delete a policy attached to entities.");
        iam.detachRolePolicy(r -> r.roleName("app").policyArn(arn));
        assertThat(iam.getPolicy(r -> r.policyArn(arn)).policy().attachmentCount()).isZero();

        iam.deleteRole(r -> r.roleName("app"));
        iam.deletePolicy(r -> r.policyArn(arn));
        assertThat(iam.listRoles().roles()).isEmpty();
    }

    @Test
    void inlineRolePoliciesAreLimitedTo10240Characters() {
        iam.createRole(r -> r.roleName("app").assumeRolePolicyDocument(TRUST_ACCOUNT));
        String big = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\","
                + "\"Resource\":[\"arn:aws:s3:::" + "b".repeat(6000) + "\"]}]}";
        iam.putRolePolicy(r -> r.roleName("app").policyName("one").policyDocument(big));
        assertError(error(() -> iam.putRolePolicy(r -> r.roleName("app").policyName("two").policyDocument(big))), 409,
                "LimitExceeded", "Maximum policy size of 10240 bytes exceeded for role app");
    }

    @Test
    void managedPoliciesHaveOneDefaultVersionAndAreListedByScopeAndPath() {
        Policy created = iam.createPolicy(r -> r.policyName("VPCLatticeClientPolicy").path("/lattice/")
                .description("invoke Lattice services").policyDocument(INVOKE)).policy();

        assertThat(created.arn()).isEqualTo("arn:aws:iam::" + ACCOUNT + ":policy/lattice/VPCLatticeClientPolicy");
        assertThat(created.policyId()).matches("ANPA[A-Z0-9]{17}");
        assertThat(created.defaultVersionId()).isEqualTo("v1");
        assertThat(created.isAttachable()).isTrue();
        assertThat(created.attachmentCount()).isZero();

        Policy got = iam.getPolicy(r -> r.policyArn(created.arn())).policy();
        assertThat(got.description()).isEqualTo("invoke Lattice services");
        PolicyVersion version = iam.getPolicyVersion(r -> r.policyArn(created.arn()).versionId("v1")).policyVersion();
        assertThat(version.isDefaultVersion()).isTrue();
        assertThat(decode(version.document())).isEqualTo(INVOKE);
        assertError(error(() -> iam.getPolicyVersion(r -> r.policyArn(created.arn()).versionId("v2"))), 404,
                "NoSuchEntity", "Policy " + created.arn() + " version v2 does not exist.");

        assertThat(iam.listPolicies().policies()).extracting(Policy::policyName)
                .containsExactly("VPCLatticeClientPolicy");
        assertThat(iam.listPolicies(r -> r.scope("Local").pathPrefix("/lattice/")).policies()).hasSize(1);
        assertThat(iam.listPolicies(r -> r.scope("AWS")).policies()).isEmpty();
        assertThat(iam.listPolicies(r -> r.onlyAttached(true)).policies()).isEmpty();
        assertThat(iam.listPolicies(r -> r.pathPrefix("/other/")).policies()).isEmpty();

        assertError(error(() -> iam.createPolicy(r -> r.policyName("vpclatticeclientpolicy").policyDocument(INVOKE))),
                409, "EntityAlreadyExists",
                "A policy called vpclatticeclientpolicy already exists. Duplicate names are not allowed.");
        iam.deletePolicy(r -> r.policyArn(created.arn()));
        assertError(error(() -> iam.getPolicy(r -> r.policyArn(created.arn()))), 404, "NoSuchEntity",
                "Policy " + created.arn() + " was not found.");
    }

    @Test
    void managedPolicyDocumentsAreValidatedAndLimitedTo6144Characters() {
        assertError(error(() -> iam.createPolicy(r -> r.policyName("bad").policyDocument(
                "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\"}]}"))),
                400, "MalformedPolicyDocument", "Statement[0]: missing Resource or NotResource");
        assertError(error(() -> iam.createPolicy(r -> r.policyName("bad").policyDocument("not json"))), 400,
                "MalformedPolicyDocument", null);
        String big = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\","
                + "\"Resource\":[\"arn:aws:s3:::" + "b".repeat(6200) + "\"]}]}";
        assertError(error(() -> iam.createPolicy(r -> r.policyName("big").policyDocument(big))), 409,
                "LimitExceeded", "Cannot exceed quota for PolicySize: 6144");
        assertError(error(() -> iam.getPolicy(r -> r.policyArn("arn:aws:iam::" + ACCOUNT + ":policy/none"))), 404,
                "NoSuchEntity", null);
    }
}
