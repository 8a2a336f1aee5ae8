package dev.trellis.controlplane.sts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.trellis.controlplane.ClockedSigV4;
import dev.trellis.controlplane.ReferenceFiles;
import dev.trellis.controlplane.iam.IamApiTestBase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.retry.RetryPolicy;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.iam.model.Tag;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.model.AssumeRoleWithWebIdentityResponse;
import software.amazon.awssdk.services.sts.model.Credentials;
import software.amazon.awssdk.services.sts.model.StsException;
import software.amazon.awssdk.services.vpclattice.VpcLatticeClient;
import software.amazon.awssdk.services.vpclattice.model.VpcLatticeException;

/**
 * The walkthrough's IRSA set-up done the AWS way: the client policy, an OIDC provider for the cluster, a role that
 * trusts the cluster's service account {@code apps/aws-sigv4-client}, and STS exchanging the service account's token
 * for role credentials that the VPC Lattice API accepts until they expire.
 */
class IrsaWalkthroughTest extends IamApiTestBase {

    private static final String ISSUER = "https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE";
    private static final String PROVIDER = ISSUER.substring("https://".length());
    private static final String SERVICE_ACCOUNT = "system:serviceaccount:apps:aws-sigv4-client";
    private static final String ROLE_ARN = "arn:aws:iam::" + ACCOUNT + ":role/aws-sigv4-client";

    private RSAKey clusterKey;
    private StsClient anonymousSts;

    @BeforeEach
    void setUpIrsa() throws Exception {
        clusterKey = new RSAKeyGenerator(2048).keyID("cluster-key-1").generate();
        Path jwks = dataDir.resolve("cluster-jwks.json");
        Files.writeString(jwks, new JWKSet(clusterKey.toPublicJWK()).toString());

        String providerArn = iam.createOpenIDConnectProvider(r -> r.url(ISSUER).clientIDList("sts.amazonaws.com")
                .thumbprintList("9e99a48a9960b14926bb7f3b02e22da2b0ab7280")
                .tags(Tag.builder().key("trellis:jwks-uri").value(jwks.toUri().toString()).build()))
                .openIDConnectProviderArn();
        assertThat(providerArn).isEqualTo("arn:aws:iam::" + ACCOUNT + ":oidc-provider/" + PROVIDER);

        String clientPolicy = Files.readString(ReferenceFiles.resolve("seed/sample/lattice-client-policy.json"));
        String policyArn = iam.createPolicy(r -> r.policyName("VPCLatticeClientPolicy").policyDocument(clientPolicy))
                .policy().arn();
        String trust = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                + "\"Principal\":{\"Federated\":\"" + providerArn + "\"},"
                + "\"Action\":\"sts:AssumeRoleWithWebIdentity\","
                + "\"Condition\":{\"StringEquals\":{\"" + PROVIDER + ":sub\":\"" + SERVICE_ACCOUNT + "\","
                + "\"" + PROVIDER + ":aud\":\"sts.amazonaws.com\"}}}]}";
        iam.createRole(r -> r.roleName("aws-sigv4-client").assumeRolePolicyDocument(trust));
        iam.attachRolePolicy(r -> r.roleName("aws-sigv4-client").policyArn(policyArn));

        anonymousSts = StsClient.builder().endpointOverride(controlPlane.endpoint()).region(Region.US_WEST_2)
                .credentialsProvider(AnonymousCredentialsProvider.create())
                .overrideConfiguration(o -> o.retryPolicy(RetryPolicy.none())).build();
    }

    private String token(Consumer<JWTClaimsSet.Builder> change) throws JOSEException {
        return token(clusterKey, change);
    }

    private String token(RSAKey key, Consumer<JWTClaimsSet.Builder> change) throws JOSEException {
        Instant now = clock.instant();
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
                .issuer(ISSUER)
                .subject(SERVICE_ACCOUNT)
                .audience("sts.amazonaws.com")
                .issueTime(Date.from(now))
                .notBeforeTime(Date.from(now))
                .expirationTime(Date.from(now.plus(Duration.ofHours(24))));
        change.accept(claims);
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID())
                .type(JOSEObjectType.JWT).build(), claims.build());
        jwt.sign(new RSASSASigner(key));
        return jwt.serialize();
    }

    private AssumeRoleWithWebIdentityResponse assume(String token) {
        return anonymousSts.assumeRoleWithWebIdentity(r -> r.roleArn(ROLE_ARN).roleSessionName("frontend-pod")
                .webIdentityToken(token));
    }

    private StsException refused(String token) {
        return catchThrowableOfType(StsException.class, () -> assume(token));
    }

    private VpcLatticeClient lattice(Credentials credentials) {
        return VpcLatticeClient.builder()
                .endpointOverride(controlPlane.endpoint())
                .region(Region.US_WEST_2)
                .credentialsProvider(StaticCredentialsProvider.create(AwsSessionCredentials.create(
                        credentials.accessKeyId(), credentials.secretAccessKey(), credentials.sessionToken())))
                .putAuthScheme(new ClockedSigV4(clock))
                .overrideConfiguration(o -> o.retryPolicy(RetryPolicy.none()))
                .build();
    }

    @Test
    void theServiceAccountsTokenIsExchangedForRoleCredentialsThatTheLatticeApiAccepts() throws Exception {
        AssumeRoleWithWebIdentityResponse response = assume(token(c -> { }));

        Credentials credentials = response.credentials();
        assertThat(credentials.accessKeyId()).matches("ASIA[A-Z2-7]{16}");
        assertThat(credentials.sessionToken()).isNotBlank();
        assertThat(credentials.expiration()).isBetween(clock.instant().plusSeconds(3590),
                clock.instant().plusSeconds(3601));
        assertThat(response.assumedRoleUser().arn())
                .isEqualTo("arn:aws:sts::" + ACCOUNT + ":assumed-role/aws-sigv4-client/frontend-pod");
        assertThat(response.assumedRoleUser().assumedRoleId()).matches("AROA[A-Z0-9]{17}:frontend-pod");
        assertThat(response.subjectFromWebIdentityToken()).isEqualTo(SERVICE_ACCOUNT);
        assertThat(response.provider()).isEqualTo(ISSUER);
        assertThat(response.audience()).isEqualTo("sts.amazonaws.com");

        try (StsClient roleSts = sts(AwsSessionCredentials.create(credentials.accessKeyId(),
                credentials.secretAccessKey(), credentials.sessionToken()))) {
            assertThat(roleSts.getCallerIdentity().arn()).isEqualTo(response.assumedRoleUser().arn());
            assertThat(roleSts.getCallerIdentity().userId()).isEqualTo(response.assumedRoleUser().assumedRoleId());
        }
        try (VpcLatticeClient lattice = lattice(credentials)) {
            // VPCLatticeClientPolicy allows invoking services (vpc-lattice-svcs:Invoke), not managing them.
            VpcLatticeException denied = catchThrowableOfType(VpcLatticeException.class,
                    () -> lattice.listServiceNetworks(r -> { }));
            assertThat(denied.awsErrorDetails().errorCode()).isEqualTo("AccessDeniedException");
            assertThat(denied.awsErrorDetails().errorMessage()).startsWith("User: arn:aws:sts::" + ACCOUNT
                    + ":assumed-role/aws-sigv4-client/frontend-pod is not authorized to perform:"
                    + " vpc-lattice:ListServiceNetworks");

            iam.putRolePolicy(r -> r.roleName("aws-sigv4-client").policyName("list-networks").policyDocument(
                    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                            + "\"Action\":\"vpc-lattice:ListServiceNetworks\",\"Resource\":\"*\"}]}"));
            assertThat(lattice.listServiceNetworks(r -> { }).items()).isEmpty();

            clock.advance(Duration.ofSeconds(3601));
            VpcLatticeException expired = catchThrowableOfType(VpcLatticeException.class,
                    () -> lattice.listServiceNetworks(r -> { }));
            assertThat(expired.statusCode()).isEqualTo(403);
            assertThat(expired.awsErrorDetails().errorCode()).isEqualTo("ExpiredTokenException");
            assertThat(expired.awsErrorDetails().errorMessage())
                    .isEqualTo("The security token included in the request is expired");
        }
    }

    @Test
    void aTokenOfAnotherServiceAccountIsRefusedByTheTrustPolicy() throws Exception {
        StsException e = refused(token(c -> c.subject("system:serviceaccount:apps:someone-else")));

        assertThat(e.statusCode()).isEqualTo(403);
        assertThat(e.awsErrorDetails().errorCode()).isEqualTo("AccessDenied");
        assertThat(e.awsErrorDetails().errorMessage()).isEqualTo("Not authorized to perform"
                + " sts:AssumeRoleWithWebIdentity");
    }

    @Test
    void aTokenForAnotherAudienceIsAnInvalidIdentityToken() throws Exception {
        StsException e = refused(token(c -> c.audience("some-other-client")));

        assertThat(e.statusCode()).isEqualTo(400);
        assertThat(e.awsErrorDetails().errorCode()).isEqualTo("InvalidIdentityToken");
        assertThat(e.awsErrorDetails().errorMessage()).isEqualTo("Incorrect token audience");
    }

    @Test
    void aTokenOfAnUnregisteredIssuerIsAnInvalidIdentityToken() throws Exception {
        StsException e = refused(token(c -> c.issuer("https://oidc.eks.us-west-2.amazonaws.com/id/UNKNOWN")));

        assertThat(e.statusCode()).isEqualTo(400);
        assertThat(e.awsErrorDetails().errorCode()).isEqualTo("InvalidIdentityToken");
        assertThat(e.awsErrorDetails().errorMessage()).isEqualTo("No OpenIDConnect provider found in your account"
                + " for https://oidc.eks.us-west-2.amazonaws.com/id/UNKNOWN");
    }

    @Test
    void aTokenSignedWithAnotherKeyIsAnInvalidIdentityToken() throws Exception {
        RSAKey impostor = new RSAKeyGenerator(2048).keyID(clusterKey.getKeyID()).generate();
        StsException forged = refused(token(impostor, c -> { }));

        assertThat(forged.statusCode()).isEqualTo(400);
        assertThat(forged.awsErrorDetails().errorCode()).isEqualTo("InvalidIdentityToken");
        assertThat(forged.awsErrorDetails().errorMessage()).contains("signature does not verify");

        String valid = token(c -> { });
        String[] parts = valid.split("\\.");
        String tampered = parts[0] + "." + token(c -> c.subject(SERVICE_ACCOUNT + "x")).split("\\.")[1] + "."
                + parts[2];
        assertThat(refused(tampered).awsErrorDetails().errorCode()).isEqualTo("InvalidIdentityToken");

        RSAKey unknownKid = new RSAKeyGenerator(2048).keyID("rotated-away").generate();
        StsException noKey = refused(token(unknownKid, c -> { }));
        assertThat(noKey.awsErrorDetails().errorCode()).isEqualTo("InvalidIdentityToken");
        assertThat(noKey.awsErrorDetails().errorMessage()).startsWith("Couldn't retrieve verification key");
    }

    @Test
    void anExpiredTokenIsExpiredTokenException() throws Exception {
        Instant past = clock.instant().minus(Duration.ofMinutes(10));
        StsException e = refused(token(c -> c.issueTime(Date.from(past.minusSeconds(3600)))
                .notBeforeTime(Date.from(past.minusSeconds(3600))).expirationTime(Date.from(past))));

        assertThat(e.statusCode()).isEqualTo(400);
        assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ExpiredTokenException");
        assertThat(e.awsErrorDetails().errorMessage()).startsWith("Token expired: current date/time ");
    }

    @Test
    void garbageAndUnsignedTokensAreInvalidIdentityTokens() throws Exception {
        assertThat(refused("not-a-jwt").awsErrorDetails().errorCode()).isEqualTo("InvalidIdentityToken");
        String[] parts = token(c -> { }).split("\\.");
        String noneHeader = java.util.Base64.getUrlEncoder().withoutPadding()
                .encodeToString("{\"alg\":\"none\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(refused(noneHeader + "." + parts[1] + ".").awsErrorDetails().errorCode())
                .isEqualTo("InvalidIdentityToken");
    }

    @Test
    void rotatedKeysAreReadAgainFromTheRegisteredSource() throws Exception {
        RSAKey rotated = new RSAKeyGenerator(2048).keyID("cluster-key-2").generate();
        Files.writeString(dataDir.resolve("cluster-jwks.json"),
                new JWKSet(List.of(clusterKey.toPublicJWK(), rotated.toPublicJWK())).toString());

        assertThat(assume(token(rotated, c -> { })).credentials().accessKeyId()).startsWith("ASIA");
    }

    @Test
    void theDurationIsBetween900SecondsAndTheRolesMaximum() throws Exception {
        String token = token(c -> { });
        Credentials shortest = anonymousSts.assumeRoleWithWebIdentity(r -> r.roleArn(ROLE_ARN)
                .roleSessionName("short").webIdentityToken(token).durationSeconds(900)).credentials();
        assertThat(shortest.expiration()).isBefore(clock.instant().plusSeconds(901));

        StsException tooLong = catchThrowableOfType(StsException.class, () -> anonymousSts.assumeRoleWithWebIdentity(
                r -> r.roleArn(ROLE_ARN).roleSessionName("long").webIdentityToken(token).durationSeconds(7200)));
        assertThat(tooLong.awsErrorDetails().errorCode()).isEqualTo("ValidationError");
        assertThat(tooLong.awsErrorDetails().errorMessage())
                .isEqualTo("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");
        StsException tooShort = catchThrowableOfType(StsException.class, () -> anonymousSts
                .assumeRoleWithWebIdentity(r -> r.roleArn(ROLE_ARN).roleSessionName("s").webIdentityToken(token)
                        .durationSeconds(60)));
        assertThat(tooShort.awsErrorDetails().errorCode()).isEqualTo("ValidationError");
    }

    @Test
    void theProviderIsReadListedAndDeleted() throws IOException {
        String arn = "arn:aws:iam::" + ACCOUNT + ":oidc-provider/" + PROVIDER;
        var provider = iam.getOpenIDConnectProvider(r -> r.openIDConnectProviderArn(arn));
        assertThat(provider.url()).isEqualTo(PROVIDER);
        assertThat(provider.clientIDList()).containsExactly("sts.amazonaws.com");
        assertThat(provider.thumbprintList()).containsExactly("9e99a48a9960b14926bb7f3b02e22da2b0ab7280");
        assertThat(provider.tags()).extracting(Tag::key).containsExactly("trellis:jwks-uri");
        assertThat(iam.listOpenIDConnectProviders().openIDConnectProviderList())
                .singleElement().satisfies(p -> assertThat(p.arn()).isEqualTo(arn));

        var duplicate = catchThrowableOfType(software.amazon.awssdk.services.iam.model.IamException.class,
                () -> iam.createOpenIDConnectProvider(r -> r.url(ISSUER).clientIDList("sts.amazonaws.com")));
        assertThat(duplicate.awsErrorDetails().errorCode()).isEqualTo("EntityAlreadyExists");
        assertThat(duplicate.awsErrorDetails().errorMessage()).isEqualTo("Provider with url " + ISSUER
                + " already exists.");

        iam.deleteOpenIDConnectProvider(r -> r.openIDConnectProviderArn(arn));
        var missing = catchThrowableOfType(software.amazon.awssdk.services.iam.model.IamException.class,
                () -> iam.getOpenIDConnectProvider(r -> r.openIDConnectProviderArn(arn)));
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.awsErrorDetails().errorCode()).isEqualTo("NoSuchEntity");
        assertThat(iam.listOpenIDConnectProviders().openIDConnectProviderList()).isEmpty();
    }

    @Test
    void signingKeySourcesMustBeFilesOrLoopbackUrlsHoldingPublicKeys() throws IOException {
        var remote = catchThrowableOfType(software.amazon.awssdk.services.iam.model.IamException.class,
                () -> iam.createOpenIDConnectProvider(r -> r.url("https://issuer.example.com")
                        .clientIDList("sts.amazonaws.com").tags(Tag.builder().key("trellis:jwks-uri")
                                .value("http://issuer.example.com/keys").build())));
        assertThat(remote.awsErrorDetails().errorCode()).isEqualTo("InvalidInput");
        assertThat(remote.awsErrorDetails().errorMessage()).contains("loopback interface only");

        var missingFile = catchThrowableOfType(software.amazon.awssdk.services.iam.model.IamException.class,
                () -> iam.createOpenIDConnectProvider(r -> r.url("https://issuer.example.com")
                        .clientIDList("sts.amazonaws.com").tags(Tag.builder().key("trellis:jwks-uri")
                                .value("file:/nonexistent/jwks.json").build())));
        assertThat(missingFile.awsErrorDetails().errorCode()).isEqualTo("OpenIdIdpCommunicationError");

        Path notJwks = dataDir.resolve("not-jwks.json");
        Files.writeString(notJwks, "secret: do not echo me");
        var notKeys = catchThrowableOfType(software.amazon.awssdk.services.iam.model.IamException.class,
                () -> iam.createOpenIDConnectProvider(r -> r.url("https://issuer.example.com")
                        .clientIDList("sts.amazonaws.com").tags(Tag.builder().key("trellis:jwks-uri")
                                .value(notJwks.toUri().toString()).build())));
        assertThat(notKeys.awsErrorDetails().errorCode()).isEqualTo("InvalidInput");
        assertThat(notKeys.awsErrorDetails().errorMessage()).doesNotContain("do not echo me");

        var http = catchThrowableOfType(software.amazon.awssdk.services.iam.model.IamException.class,
                () -> iam.createOpenIDConnectProvider(r -> r.url("http://issuer.example.com")
                        .clientIDList("sts.amazonaws.com")));
        assertThat(http.awsErrorDetails().errorCode()).isEqualTo("InvalidInput");
    }
}
