package dev.trellis.controlplane.iam;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.iam.model.AccessKey;
import software.amazon.awssdk.services.iam.model.AccessKeyMetadata;
import software.amazon.awssdk.services.iam.model.IamException;
import software.amazon.awssdk.services.iam.model.ListUsersResponse;
import software.amazon.awssdk.services.iam.model.User;
import software.amazon.awssdk.services.vpclattice.VpcLatticeClient;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.vpclattice.model.VpcLatticeException;

class UserApiTest extends IamApiTestBase {

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

    @Test
    void createsGetsListsAndDeletesUsersWithTagsAndPaths() {
        User created = iam.createUser(r -> r.userName("alice").path("/engineering/")
                .tags(t -> t.key("team").value("blue"))).user();

        assertThat(created.userName()).isEqualTo("alice");
        assertThat(created.path()).isEqualTo("/engineering/");
        assertThat(created.arn()).isEqualTo("arn:aws:iam::" + ACCOUNT + ":user/engineering/alice");
        assertThat(created.userId()).matches("AIDA[A-Z0-9]{17}");
        assertThat(created.createDate()).isNotNull();
        assertThat(created.tags()).singleElement().satisfies(t -> assertThat(t.value()).isEqualTo("blue"));

        User got = iam.getUser(r -> r.userName("alice")).user();
        assertThat(got.arn()).isEqualTo(created.arn());
        assertThat(got.tags()).hasSize(1);

        assertThat(iam.listUsers().users()).extracting(User::userName).containsExactly("admin", "alice");
        assertThat(iam.listUsers(r -> r.pathPrefix("/engineering/")).users()).extracting(User::userName)
                .containsExactly("alice");

        iam.deleteUser(r -> r.userName("alice"));
        assertError(error(() -> iam.getUser(r -> r.userName("alice"))), 404, "NoSuchEntity",
                "The user with name alice cannot be found.");
    }

    @Test
    void getUserWithoutANameDescribesTheCaller() {
        assertThat(iam.getUser().user().userName()).isEqualTo("admin");
    }

    @Test
    void userNamesAreUniqueRegardlessOfCase() {
        iam.createUser(r -> r.userName("Bob"));

        assertError(error(() -> iam.createUser(r -> r.userName("bob"))), 409, "EntityAlreadyExists",
                "User with name bob already exists.");
        assertThat(iam.getUser(r -> r.userName("BOB")).user().userName()).isEqualTo("Bob");
    }

    @Test
    void namesThatBreakIamsRulesAreValidationErrors() {
        IamException e = error(() -> iam.createUser(r -> r.userName("no spaces allowed")));
        assertError(e, 400, "ValidationError", null);
        assertThat(e.awsErrorDetails().errorMessage()).contains("UserName").contains("pattern");

        assertError(error(() -> iam.createUser(r -> r.userName("x".repeat(65)))), 400, "ValidationError",
                "1 validation error detected: UserName: length must be 1-64 characters, not 65");
        assertError(error(() -> iam.createUser(r -> r.userName("carol").path("no-slashes"))), 400,
                "ValidationError", null);
    }

    @Test
    void listsUsersPageByPage() {
        for (int i = 0; i < 5; i++) {
            String name = "user-" + i;
            iam.createUser(r -> r.userName(name));
        }

        ListUsersResponse first = iam.listUsers(r -> r.maxItems(4));
        assertThat(first.users()).hasSize(4);
        assertThat(first.isTruncated()).isTrue();
        ListUsersResponse second = iam.listUsers(r -> r.maxItems(4).marker(first.marker()));
        assertThat(second.users()).extracting(User::userName).containsExactly("user-3", "user-4");
        assertThat(second.isTruncated()).isFalse();
        assertThat(iam.listUsersPaginator().users().stream().count()).isEqualTo(6);
        assertError(error(() -> iam.listUsers(r -> r.marker("not-a-marker"))), 400, "ValidationError", null);
    }

    @Test
    void accessKeysAreCreatedListedUsedAndDeleted() {
        iam.createUser(r -> r.userName("dave"));
        AccessKey key = iam.createAccessKey(r -> r.userName("dave")).accessKey();

        assertThat(key.accessKeyId()).matches("AKIA[A-Z2-7]{16}");
        assertThat(key.secretAccessKey()).hasSize(40);
        assertThat(key.statusAsString()).isEqualTo("Active");
        assertThat(iam.listAccessKeys(r -> r.userName("dave")).accessKeyMetadata())
                .extracting(AccessKeyMetadata::accessKeyId).containsExactly(key.accessKeyId());

        iam.putUserPolicy(r -> r.userName("dave").policyName("read-users").policyDocument(
                "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"iam:GetUser\","
                        + "\"Resource\":\"*\"}]}"));
        try (IamClient dave = iam(AwsBasicCredentials.create(key.accessKeyId(), key.secretAccessKey()))) {
            assertThat(dave.getUser().user().userName()).isEqualTo("dave");
            IamException denied = error(() -> dave.listUsers());
            assertError(denied, 403, "AccessDenied", "User: arn:aws:iam::" + ACCOUNT + ":user/dave is not"
                    + " authorized to perform: iam:ListUsers on resource: arn:aws:iam::" + ACCOUNT + ":user/"
                    + " because no identity-based policy allows the iam:ListUsers action");
        }

        iam.deleteAccessKey(r -> r.userName("dave").accessKeyId(key.accessKeyId()));
        assertThat(iam.listAccessKeys(r -> r.userName("dave")).accessKeyMetadata()).isEmpty();
        try (IamClient dave = iam(AwsBasicCredentials.create(key.accessKeyId(), key.secretAccessKey()))) {
            assertError(error(() -> dave.getUser()), 403, "InvalidClientTokenId",
                    "The security token included in the request is invalid.");
        }
        assertError(error(() -> iam.deleteAccessKey(r -> r.userName("dave").accessKeyId(key.accessKeyId()))), 404,
                "NoSuchEntity", "The Access Key with id " + key.accessKeyId() + " cannot be found.");
    }

    @Test
    void aUserHasAtMostTwoAccessKeys() {
        iam.createUser(r -> r.userName("erin"));
        iam.createAccessKey(r -> r.userName("erin"));
        iam.createAccessKey(r -> r.userName("erin"));

        assertError(error(() -> iam.createAccessKey(r -> r.userName("erin"))), 409, "LimitExceeded",
                "Cannot exceed quota for AccessKeysPerUser: 2");
    }

    @Test
    void aUserWithKeysOrPoliciesCannotBeDeleted() {
        iam.createUser(r -> r.userName("frank"));
        String keyId = iam.createAccessKey(r -> r.userName("frank")).accessKey().accessKeyId();
        assertError(error(() -> iam.deleteUser(r -> r.userName("frank"))), 409, "DeleteConflict",
                "Cannot delete entity, must delete access keys first.");
        iam.deleteAccessKey(r -> r.userName("frank").accessKeyId(keyId));

        iam.putUserPolicy(r -> r.userName("frank").policyName("p").policyDocument(ALLOW_ALL));
        assertError(error(() -> iam.deleteUser(r -> r.userName("frank"))), 409, "DeleteConflict",
                "Cannot delete entity, must delete policies first.");
        iam.deleteUserPolicy(r -> r.userName("frank").policyName("p"));

        String policyArn = iam.createPolicy(r -> r.policyName("everything").policyDocument(ALLOW_ALL)).policy().arn();
        iam.attachUserPolicy(r -> r.userName("frank").policyArn(policyArn));
        assertError(error(() -> iam.deleteUser(r -> r.userName("frank"))), 409, "DeleteConflict",
                "Cannot delete entity, must detach all policies first.");
        iam.detachUserPolicy(r -> r.userName("frank").policyArn(policyArn));

        iam.deleteUser(r -> r.userName("frank"));
        assertError(error(() -> iam.deleteUser(r -> r.userName("frank"))), 404, "NoSuchEntity",
                "The user with name frank cannot be found.");
    }

    @Test
    void inlineUserPoliciesArePutReadListedAndDeletedAndReturnedUrlEncoded() {
        iam.createUser(r -> r.userName("grace"));
        String document = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\","
                + " \"Action\": \"vpc-lattice:List*\", \"Resource\": \"*\"}]\n}";
        iam.putUserPolicy(r -> r.userName("grace").policyName("lister").policyDocument(document));

        String returned = iam.getUserPolicy(r -> r.userName("grace").policyName("lister")).policyDocument();
        assertThat(returned).startsWith("%7B%0A%20%20%22Version%22").doesNotContain("+");
        assertThat(URLDecoder.decode(returned, StandardCharsets.UTF_8)).isEqualTo(document);
        assertThat(iam.listUserPolicies(r -> r.userName("grace")).policyNames()).containsExactly("lister");

        iam.deleteUserPolicy(r -> r.userName("grace").policyName("lister"));
        assertThat(iam.listUserPolicies(r -> r.userName("grace")).policyNames()).isEmpty();
        assertError(error(() -> iam.getUserPolicy(r -> r.userName("grace").policyName("lister"))), 404,
                "NoSuchEntity", "The user policy with name lister cannot be found.");
    }

    @Test
    void malformedPolicyDocumentsAreRefusedWithTheEnginesPreciseMessage() {
        iam.createUser(r -> r.userName("heidi"));

        assertError(error(() -> iam.putUserPolicy(r -> r.userName("heidi").policyName("bad").policyDocument(
                "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"allow\",\"Action\":\"*\","
                        + "\"Resource\":\"*\"}]}"))), 400, "MalformedPolicyDocument",
                "Statement[0].Effect: must be Allow or Deny, not \"allow\"");
        assertError(error(() -> iam.putUserPolicy(r -> r.userName("heidi").policyName("bad").policyDocument(
                "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"*\",\"Resource\":\"*\"}]}"))),
                400, "MalformedPolicyDocument", "Statement[0].Principal: not allowed in an identity-based policy"
                        + " (the principal is the identity it is attached to)");
    }

    @Test
    void inlineUserPoliciesAreLimitedTo2048CharactersWithoutWhiteSpace() {
        iam.createUser(r -> r.userName("ivan"));
        String big = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\","
                + "\"Resource\":[\"arn:aws:s3:::" + "b".repeat(1000) + "\"]}]}";
        iam.putUserPolicy(r -> r.userName("ivan").policyName("one").policyDocument(big));

        assertError(error(() -> iam.putUserPolicy(r -> r.userName("ivan").policyName("two").policyDocument(big))),
                409, "LimitExceeded", "Maximum policy size of 2048 bytes exceeded for user ivan");
        iam.putUserPolicy(r -> r.userName("ivan").policyName("one").policyDocument(big + " ".repeat(3000)));
    }

    @Test
    void attachedUserPoliciesGrantTheirPermissions() {
        iam.createUser(r -> r.userName("judy"));
        AccessKey key = iam.createAccessKey(r -> r.userName("judy")).accessKey();
        String policyArn = iam.createPolicy(r -> r.policyName("lattice-readers").path("/lattice/").policyDocument(
                "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"vpc-lattice:List*\","
                        + "\"Resource\":\"*\"}]}")).policy().arn();
        try (VpcLatticeClient lattice = VpcLatticeClient.builder().endpointOverride(controlPlane.endpoint())
                .region(Region.US_WEST_2).credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(key.accessKeyId(), key.secretAccessKey()))).build()) {
            assertThat(catchThrowableOfType(VpcLatticeException.class, () -> lattice.listServiceNetworks(r -> { }))
                    .statusCode()).isEqualTo(403);

            iam.attachUserPolicy(r -> r.userName("judy").policyArn(policyArn));
            assertThat(lattice.listServiceNetworks(r -> { }).items()).isEmpty();
            assertThat(iam.listAttachedUserPolicies(r -> r.userName("judy")).attachedPolicies())
                    .singleElement().satisfies(p -> {
                        assertThat(p.policyName()).isEqualTo("lattice-readers");
                        assertThat(p.policyArn()).isEqualTo(policyArn);
                    });
            assertThat(iam.listAttachedUserPolicies(r -> r.userName("judy").pathPrefix("/other/"))
                    .attachedPolicies()).isEmpty();

            iam.detachUserPolicy(r -> r.userName("judy").policyArn(policyArn));
            assertThat(catchThrowableOfType(VpcLatticeException.class, () -> lattice.listServiceNetworks(r -> { }))
                    .statusCode()).isEqualTo(403);
        }
        assertError(error(() -> iam.detachUserPolicy(r -> r.userName("judy").policyArn(policyArn))), 404,
                "NoSuchEntity", "Policy " + policyArn + " was not found.");
        assertError(error(() -> iam.attachUserPolicy(r -> r.userName("judy")
                .policyArn("arn:aws:iam::aws:policy/AdministratorAccess"))), 404, "NoSuchEntity",
                "Policy arn:aws:iam::aws:policy/AdministratorAccess does not exist or is not attachable.");
        assertError(error(() -> iam.attachUserPolicy(r -> r.userName("judy")
                .policyArn("not-an-arn-at-all-really"))), 400,
                "InvalidInput", "ARN not-an-arn-at-all-really is not valid.");
    }

    @Test
    void aUserHasAtMostTenAttachedPolicies() {
        iam.createUser(r -> r.userName("kim"));
        for (int i = 0; i < 11; i++) {
            String name = "p" + i;
            String arn = iam.createPolicy(r -> r.policyName(name).policyDocument(ALLOW_ALL)).policy().arn();
            if (i < 10) {
                iam.attachUserPolicy(r -> r.userName("kim").policyArn(arn));
            } else {
                assertError(error(() -> iam.attachUserPolicy(r -> r.userName("kim").policyArn(arn))), 409,
                        "LimitExceeded", "Cannot exceed quota for PoliciesPerUser: 10");
            }
        }
        assertThat(iam.listAttachedUserPolicies(r -> r.userName("kim")).attachedPolicies()).hasSize(10);
    }

    @Test
    void unknownUsersAreNoSuchEntityForEveryUserOperation() {
        List<Runnable> calls = List.of(
                () -> iam.deleteUser(r -> r.userName("nobody")),
                () -> iam.createAccessKey(r -> r.userName("nobody")),
                () -> iam.listAccessKeys(r -> r.userName("nobody")),
                () -> iam.putUserPolicy(r -> r.userName("nobody").policyName("p").policyDocument(ALLOW_ALL)),
                () -> iam.listUserPolicies(r -> r.userName("nobody")),
                () -> iam.listAttachedUserPolicies(r -> r.userName("nobody")));
        for (Runnable call : calls) {
            assertError(error(call), 404, "NoSuchEntity", "The user with name nobody cannot be found.");
        }
    }
}
