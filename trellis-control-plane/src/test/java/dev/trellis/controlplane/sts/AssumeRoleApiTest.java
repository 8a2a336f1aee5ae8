package dev.trellis.controlplane.sts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.trellis.controlplane.ClockedSigV4;
import dev.trellis.controlplane.iam.IamApiTestBase;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.retry.RetryPolicy;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.iam.model.AccessKey;
import software.amazon.awssdk.services.iam.model.IamException;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.model.AssumeRoleResponse;
import software.amazon.awssdk.services.sts.model.Credentials;
import software.amazon.awssdk.services.sts.model.GetCallerIdentityResponse;
import software.amazon.awssdk.services.sts.model.StsException;
import software.amazon.awssdk.services.sts.model.Tag;
import software.amazon.awssdk.services.vpclattice.VpcLatticeClient;
import software.amazon.awssdk.services.vpclattice.model.VpcLatticeException;

class AssumeRoleApiTest extends IamApiTestBase {

    private static final String ROLE_ARN = "arn:aws:iam::" + ACCOUNT + ":role/app";
    private static final String LIST_NETWORKS = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
            + "\"Action\":\"vpc-lattice:ListServiceNetworks\",\"Resource\":\"*\"}]}";

    private static StsException error(Runnable call) {
        return catchThrowableOfType(StsException.class, call::run);
    }

    private static AwsCredentials session(Credentials c) {
        return AwsSessionCredentials.create(c.accessKeyId(), c.secretAccessKey(), c.sessionToken());
    }

    /** A user with an access key and these inline policies (name, document pairs). */
    private AwsCredentials user(String name, String... policies) {
        iam.createUser(r -> r.userName(name));
        for (int i = 0; i < policies.length; i += 2) {
            String policyName = policies[i];
            String document = policies[i + 1];
            iam.putUserPolicy(r -> r.userName(name).policyName(policyName).policyDocument(document));
        }
        AccessKey key = iam.createAccessKey(r -> r.userName(name)).accessKey();
        return AwsBasicCredentials.create(key.accessKeyId(), key.secretAccessKey());
    }

    private static String allow(String action) {
        return "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"" + action + "\","
                + "\"Resource\":\"*\"}]}";
    }

    private static String trust(String principal, String actions, String condition) {
        return "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":" + principal
                + ",\"Action\":" + actions + (condition == null ? "" : ",\"Condition\":" + condition) + "}]}";
    }

    @Test
    void getCallerIdentityNamesTheAdmin() {
        GetCallerIdentityResponse me = sts.getCallerIdentity();

        assertThat(me.account()).isEqualTo(ACCOUNT);
        assertThat(me.arn()).isEqualTo("arn:aws:iam::" + ACCOUNT + ":user/admin");
        assertThat(me.userId()).matches("AIDA[A-Z0-9]{17}");
    }

    @Test
    void theAdminAssumesARoleTrustingTheAccountAndActsWithTheRolesPolicies() {
        iam.createRole(r -> r.roleName("app").assumeRolePolicyDocument(TRUST_ACCOUNT));
        iam.putRolePolicy(r -> r.roleName("app").policyName("list").policyDocument(LIST_NETWORKS));

        AssumeRoleResponse assumed = sts.assumeRole(r -> r.roleArn(ROLE_ARN).roleSessionName("admin-session"));

        assertThat(assumed.assumedRoleUser().arn())
                .isEqualTo("arn:aws:sts::" + ACCOUNT + ":assumed-role/app/admin-session");
        assertThat(assumed.credentials().accessKeyId()).startsWith("ASIA");
        assertThat(assumed.credentials().expiration()).isBetween(clock.instant().plusSeconds(3590),
                clock.instant().plusSeconds(3601));
        try (VpcLatticeClient lattice = VpcLatticeClient.builder().endpointOverride(controlPlane.endpoint())
                .region(Region.US_WEST_2)
                .credentialsProvider(StaticCredentialsProvider.create(session(assumed.credentials())))
                .build()) {
            assertThat(lattice.listServiceNetworks(r -> { }).items()).isEmpty();
            VpcLatticeException denied = catchThrowableOfType(VpcLatticeException.class,
                    () -> lattice.createServiceNetwork(r -> r.name("not-allowed")));
            assertThat(denied.awsErrorDetails().errorCode()).isEqualTo("AccessDeniedException");
        }
    }

    @Test
    void aRoleSessionCallsIamWithTheRolesPoliciesAndMustNameTheUser() {
        iam.createRole(r -> r.roleName("app").assumeRolePolicyDocument(TRUST_ACCOUNT));
        iam.putRolePolicy(r -> r.roleName("app").policyName("read-iam").policyDocument(allow("iam:Get*")));
        Credentials credentials = sts.assumeRole(r -> r.roleArn(ROLE_ARN).roleSessionName("reader")).credentials();

        try (IamClient roleIam = iam(session(credentials))) {
            IamException unnamed = catchThrowableOfType(IamException.class, roleIam::getUser);
            assertThat(unnamed.statusCode()).isEqualTo(400);
            assertThat(unnamed.awsErrorDetails().errorCode()).isEqualTo("ValidationError");
            assertThat(unnamed.awsErrorDetails().errorMessage())
                    .isEqualTo("Must specify userName when calling with non-User credentials");
            assertThat(roleIam.getUser(r -> r.userName("admin")).user().userName()).isEqualTo("admin");
            IamException denied = catchThrowableOfType(IamException.class, roleIam::listUsers);
            assertThat(denied.awsErrorDetails().errorCode()).isEqualTo("AccessDenied");
            assertThat(denied.awsErrorDetails().errorMessage()).startsWith("User: arn:aws:sts::" + ACCOUNT
                    + ":assumed-role/app/reader is not authorized to perform: iam:ListUsers");
        }
    }

    @Test
    void aRoleTrustingTheAccountNeedsTheCallersIdentityPolicyToAllowAssumeRole() {
        iam.createRole(r -> r.roleName("app").assumeRolePolicyDocument(TRUST_ACCOUNT));
        AwsCredentials without = user("without", "nothing", allow("vpc-lattice:Get*"));
        AwsCredentials with = user("with", "assume", allow("sts:AssumeRole"));

        try (StsClient denied = sts(without); StsClient allowed = sts(with)) {
            StsException e = error(() -> denied.assumeRole(r -> r.roleArn(ROLE_ARN).roleSessionName("s1")));
            assertThat(e.statusCode()).isEqualTo(403);
            assertThat(e.awsErrorDetails().errorCode()).isEqualTo("AccessDenied");
            assertThat(e.awsErrorDetails().errorMessage()).isEqualTo("User: arn:aws:iam::" + ACCOUNT
                    + ":user/without is not authorized to perform: sts:AssumeRole on resource: " + ROLE_ARN);

            assertThat(allowed.assumeRole(r -> r.roleArn(ROLE_ARN).roleSessionName("s2")).assumedRoleUser().arn())
                    .endsWith(":assumed-role/app/s2");
        }
    }

    @Test
    void aRoleNamingTheUserNeedsNoIdentityPolicyButAnExplicitDenyStillRefuses() {
        AwsCredentials named = user("named");
        AwsCredentials denied = user("denied", "no-roles", "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":"
                + "\"Deny\",\"Action\":\"sts:AssumeRole\",\"Resource\":\"*\"}]}");
        iam.createRole(r -> r.roleName("app").assumeRolePolicyDocument(trust("{\"AWS\":[\"arn:aws:iam::" + ACCOUNT
                + ":user/named\",\"arn:aws:iam::" + ACCOUNT + ":user/denied\"]}", "\"sts:AssumeRole\"", null)));

        try (StsClient namedSts = sts(named); StsClient deniedSts = sts(denied)) {
            assertThat(namedSts.assumeRole(r -> r.roleArn(ROLE_ARN).roleSessionName("ok")).credentials()).isNotNull();
            assertThat(error(() -> deniedSts.assumeRole(r -> r.roleArn(ROLE_ARN).roleSessionName("no-way")))
                    .awsErrorDetails().errorCode()).isEqualTo("AccessDenied");
        }
    }

    @Test
    void aRoleThatDoesNotTrustTheCallerOrDoesNotExistIsAccessDenied() {
        iam.createRole(r -> r.roleName("app").assumeRolePolicyDocument(trust(
                "{\"AWS\":\"arn:aws:iam::" + ACCOUNT + ":user/someone-else\"}", "\"sts:AssumeRole\"", null)));
        AwsCredentials caller = user("caller", "assume", allow("sts:AssumeRole"));

        try (StsClient callerSts = sts(caller)) {
            assertThat(error(() -> callerSts.assumeRole(r -> r.roleArn(ROLE_ARN).roleSessionName("s1")))
                    .awsErrorDetails().errorCode()).isEqualTo("AccessDenied");
        }
        StsException missing = error(() -> sts.assumeRole(r -> r.roleArn("arn:aws:iam::" + ACCOUNT + ":role/none")
                .roleSessionName("s1")));
        assertThat(missing.statusCode()).isEqualTo(403);
        assertThat(missing.awsErrorDetails().errorMessage()).isEqualTo("User: arn:aws:iam::" + ACCOUNT
                + ":user/admin is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::" + ACCOUNT
                + ":role/none");
    }

    @Test
    void theExternalIdConditionIsEvaluated() {
        iam.createRole(r -> r.roleName("app").assumeRolePolicyDocument(trust("{\"AWS\":\"" + ACCOUNT + "\"}",
                "\"sts:AssumeRole\"", "{\"StringEquals\":{\"sts:ExternalId\":\"shared-secret\"}}")));

        assertThat(error(() -> sts.assumeRole(r -> r.roleArn(ROLE_ARN).roleSessionName("s1"))).statusCode())
                .isEqualTo(403);
        assertThat(error(() -> sts.assumeRole(r -> r.roleArn(ROLE_ARN).roleSessionName("s1").externalId("wrong")))
                .statusCode()).isEqualTo(403);
        assertThat(sts.assumeRole(r -> r.roleArn(ROLE_ARN).roleSessionName("s1").externalId("shared-secret"))
                .credentials()).isNotNull();
    }

    @Test
    void sessionTagsNeedTagSessionAndBecomePrincipalTags() {
        iam.createRole(r -> r.roleName("app").assumeRolePolicyDocument(TRUST_ACCOUNT));
        iam.putRolePolicy(r -> r.roleName("app").policyName("blue-only").policyDocument(
                "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                        + "\"Action\":\"vpc-lattice:ListServiceNetworks\",\"Resource\":\"*\","
                        + "\"Condition\":{\"StringEquals\":{\"aws:PrincipalTag/team\":\"blue\"}}}]}"));
        Tag blue = Tag.builder().key("team").value("blue").build();

        StsException untrusted = error(() -> sts.assumeRole(r -> r.roleArn(ROLE_ARN).roleSessionName("s1").tags(blue)));
        assertThat(untrusted.awsErrorDetails().errorMessage()).isEqualTo("User: arn:aws:iam::" + ACCOUNT
                + ":user/admin is not authorized to perform: sts:TagSession on resource: " + ROLE_ARN);

        iam.updateAssumeRolePolicy(r -> r.roleName("app").policyDocument(trust("{\"AWS\":\"" + ACCOUNT + "\"}",
                "[\"sts:AssumeRole\",\"sts:TagSession\"]", null)));
        AssumeRoleResponse tagged = sts.assumeRole(r -> r.roleArn(ROLE_ARN).roleSessionName("s1").tags(blue));
        AssumeRoleResponse untagged = sts.assumeRole(r -> r.roleArn(ROLE_ARN).roleSessionName("t1"));
        assertThat(tagged.packedPolicySize()).isPositive();

        try (VpcLatticeClient withTag = VpcLatticeClient.builder().endpointOverride(controlPlane.endpoint())
                .region(Region.US_WEST_2).credentialsProvider(StaticCredentialsProvider.create(
                        session(tagged.credentials()))).build();
             VpcLatticeClient withoutTag = VpcLatticeClient.builder().endpointOverride(controlPlane.endpoint())
                .region(Region.US_WEST_2).credentialsProvider(StaticCredentialsProvider.create(
                        session(untagged.credentials()))).build()) {
            assertThat(withTag.listServiceNetworks(r -> { }).items()).isEmpty();
            assertThat(catchThrowableOfType(VpcLatticeException.class, () -> withoutTag.listServiceNetworks(r -> { }))
                    .statusCode()).isEqualTo(403);
        }
        assertThat(error(() -> sts.assumeRole(r -> r.roleArn(ROLE_ARN).roleSessionName("s1")
                .tags(blue, Tag.builder().key("TEAM").value("red").build()))).awsErrorDetails().errorCode())
                .isEqualTo("ValidationError");
    }

    @Test
    void durationsAreLimitedByTheRoleAndByRoleChaining() {
        iam.createRole(r -> r.roleName("app").assumeRolePolicyDocument(TRUST_ACCOUNT).maxSessionDuration(7200));
        iam.putRolePolicy(r -> r.roleName("app").policyName("chain").policyDocument(allow("sts:AssumeRole")));

        AssumeRoleResponse twoHours = sts.assumeRole(r -> r.roleArn(ROLE_ARN).roleSessionName("s1")
                .durationSeconds(7200));
        assertThat(twoHours.credentials().expiration()).isAfter(clock.instant().plusSeconds(7190));
        StsException tooLong = error(() -> sts.assumeRole(r -> r.roleArn(ROLE_ARN).roleSessionName("s1")
                .durationSeconds(7201)));
        assertThat(tooLong.awsErrorDetails().errorMessage())
                .isEqualTo("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");
        assertThat(error(() -> sts.assumeRole(r -> r.roleArn(ROLE_ARN).roleSessionName("s1").durationSeconds(899)))
                .awsErrorDetails().errorCode()).isEqualTo("ValidationError");

        try (StsClient roleSts = sts(session(twoHours.credentials()))) {
            StsException chained = error(() -> roleSts.assumeRole(r -> r.roleArn(ROLE_ARN).roleSessionName("c1")
                    .durationSeconds(7200)));
            assertThat(chained.awsErrorDetails().errorMessage()).isEqualTo("The requested DurationSeconds exceeds"
                    + " the 1 hour session limit for roles assumed by role chaining.");
            assertThat(roleSts.assumeRole(r -> r.roleArn(ROLE_ARN).roleSessionName("c1")).assumedRoleUser().arn())
                    .endsWith(":assumed-role/app/c1");
        }
    }

    @Test
    void temporaryCredentialsExpireAndSessionPoliciesAreRefused() {
        iam.createRole(r -> r.roleName("app").assumeRolePolicyDocument(TRUST_ACCOUNT));
        assertThat(error(() -> sts.assumeRole(r -> r.roleArn(ROLE_ARN).roleSessionName("s1").policy(ALLOW_ALL)))
                .awsErrorDetails().errorCode()).isEqualTo("ValidationError");

        Credentials credentials = sts.assumeRole(r -> r.roleArn(ROLE_ARN).roleSessionName("s1").durationSeconds(900))
                .credentials();
        try (StsClient wrongToken = sts(AwsSessionCredentials.create(credentials.accessKeyId(),
                credentials.secretAccessKey(), "not-the-token"))) {
            assertThat(error(wrongToken::getCallerIdentity).awsErrorDetails().errorCode())
                    .isEqualTo("InvalidClientTokenId");
        }
        try (StsClient roleSts = StsClient.builder().endpointOverride(controlPlane.endpoint())
                .region(Region.US_WEST_2).credentialsProvider(StaticCredentialsProvider.create(session(credentials)))
                .putAuthScheme(new ClockedSigV4(clock))
                .overrideConfiguration(o -> o.retryPolicy(RetryPolicy.none())).build()) {
            assertThat(roleSts.getCallerIdentity().arn()).endsWith(":assumed-role/app/s1");
            clock.advance(Duration.ofSeconds(900));
            StsException expired = error(roleSts::getCallerIdentity);
            assertThat(expired.statusCode()).isEqualTo(403);
            assertThat(expired.awsErrorDetails().errorCode()).isEqualTo("ExpiredToken");
        }
    }
}
