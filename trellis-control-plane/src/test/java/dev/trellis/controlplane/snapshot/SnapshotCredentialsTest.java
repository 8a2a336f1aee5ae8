package dev.trellis.controlplane.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.trellis.auth.Principal;
import dev.trellis.auth.sigv4.CredentialResolver;
import dev.trellis.auth.sigv4.DerivedSigningKey;
import dev.trellis.auth.sigv4.SigV4FailureReason;
import dev.trellis.auth.sigv4.SigV4KeyDerivation;
import dev.trellis.auth.sigv4.SigV4Outcome;
import dev.trellis.auth.sigv4.SigV4Verifier;
import dev.trellis.auth.sigv4.SignedRequest;
import dev.trellis.auth.sigv4.SigningCredential;
import dev.trellis.controlplane.ControlPlaneConfig;
import dev.trellis.controlplane.TestVpcs;
import dev.trellis.controlplane.iam.IamApiTestBase;
import dev.trellis.controlplane.identity.IdentityDirectory;
import dev.trellis.model.snapshot.CallerCredential;
import dev.trellis.model.snapshot.SnapshotCodec;
import dev.trellis.model.snapshot.VpcSnapshot;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.core.retry.RetryPolicy;
import software.amazon.awssdk.http.SdkHttpFullRequest;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.identity.spi.AwsSessionCredentialsIdentity;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.iam.model.AccessKey;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.model.Credentials;

/**
 * The callers a VPC's gateways authenticate reach its snapshot as derived material: an IAM user's access key and an
 * IRSA (AssumeRoleWithWebIdentity) session, with signing keys that verify what the AWS SDK signs for
 * {@code vpc-lattice-svcs}, their identity policies, and no secret anywhere in the snapshot's JSON.
 */
class SnapshotCredentialsTest extends IamApiTestBase {

    private static final String ISSUER = "https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE";
    private static final String PROVIDER = ISSUER.substring("https://".length());
    private static final String SERVICE_ACCOUNT = "system:serviceaccount:apps:aws-sigv4-client";
    private static final String INVOKE = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
            + "\"Action\":\"vpc-lattice-svcs:Invoke\",\"Resource\":\"*\"}]}";
    private static final String DENY_DELETE = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\","
            + "\"Action\":\"vpc-lattice-svcs:Invoke\",\"Resource\":\"*\",\"Condition\":{\"StringEquals\":"
            + "{\"vpc-lattice-svcs:RequestMethod\":\"DELETE\"}}}]}";

    private SnapshotService snapshots;
    private String vpc;
    private AccessKey userKey;
    private Credentials session;

    @BeforeEach
    void userAndIrsaSession() throws Exception {
        ControlPlaneConfig config = controlPlane.config();
        snapshots = new SnapshotService(controlPlane.store(), config, clock,
                new IdentityCredentialSource(config, new IdentityDirectory(controlPlane.store(), config, clock)));
        vpc = TestVpcs.create(controlPlane, controlPlane.firstStartCredentials().orElseThrow());

        iam.createUser(r -> r.userName("frontend"));
        iam.putUserPolicy(r -> r.userName("frontend").policyName("invoke").policyDocument(INVOKE));
        String managed = iam.createPolicy(r -> r.policyName("no-deletes").policyDocument(DENY_DELETE)).policy().arn();
        iam.attachUserPolicy(r -> r.userName("frontend").policyArn(managed));
        userKey = iam.createAccessKey(r -> r.userName("frontend")).accessKey();

        RSAKey clusterKey = new RSAKeyGenerator(2048).keyID("cluster-key-1").generate();
        Path jwks = dataDir.resolve("cluster-jwks.json");
        Files.writeString(jwks, new JWKSet(clusterKey.toPublicJWK()).toString());
        String providerArn = iam.createOpenIDConnectProvider(r -> r.url(ISSUER).clientIDList("sts.amazonaws.com")
                .thumbprintList("9e99a48a9960b14926bb7f3b02e22da2b0ab7280")
                .tags(software.amazon.awssdk.services.iam.model.Tag.builder().key("trellis:jwks-uri")
                        .value(jwks.toUri().toString()).build())).openIDConnectProviderArn();
        String trust = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                + "\"Principal\":{\"Federated\":\"" + providerArn + "\"},"
                + "\"Action\":\"sts:AssumeRoleWithWebIdentity\","
                + "\"Condition\":{\"StringEquals\":{\"" + PROVIDER + ":sub\":\"" + SERVICE_ACCOUNT + "\"}}}]}";
        iam.createRole(r -> r.roleName("aws-sigv4-client").assumeRolePolicyDocument(trust));
        iam.putRolePolicy(r -> r.roleName("aws-sigv4-client").policyName("invoke").policyDocument(INVOKE));
        Instant now = clock.instant();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(clusterKey.getKeyID())
                .type(JOSEObjectType.JWT).build(), new JWTClaimsSet.Builder().issuer(ISSUER).subject(SERVICE_ACCOUNT)
                .audience("sts.amazonaws.com").issueTime(Date.from(now)).notBeforeTime(Date.from(now))
                .expirationTime(Date.from(now.plus(Duration.ofHours(24)))).build());
        jwt.sign(new RSASSASigner(clusterKey));
        try (StsClient anonymous = StsClient.builder().endpointOverride(controlPlane.endpoint())
                .region(Region.US_WEST_2).credentialsProvider(AnonymousCredentialsProvider.create())
                .overrideConfiguration(o -> o.retryPolicy(RetryPolicy.none())).build()) {
            session = anonymous.assumeRoleWithWebIdentity(r -> r.roleArn("arn:aws:iam::" + ACCOUNT
                    + ":role/aws-sigv4-client").roleSessionName("frontend-pod").webIdentityToken(jwt.serialize()))
                    .credentials();
        }
    }

    @Test
    void aUsersAccessKeyAndAnIrsaSessionVerifySdkSignaturesWithTheirDerivedKeysAndNoSecretIsInTheSnapshot() {
        VpcSnapshot snapshot = snapshots.current(vpc);

        CallerCredential user = credential(snapshot, userKey.accessKeyId());
        assertThat(user.principalType()).isEqualTo("User");
        assertThat(user.arn()).isEqualTo("arn:aws:iam::" + ACCOUNT + ":user/frontend");
        assertThat(user.userName()).isEqualTo("frontend");
        assertThat(user.sessionToken()).isNull();
        assertThat(user.identityPolicies()).containsExactly(INVOKE, DENY_DELETE);
        LocalDate today = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
        assertThat(user.derivedKeys()).extracting(CallerCredential.DerivedKey::date).containsExactly(
                date(today.minusDays(1)), date(today), date(today.plusDays(1)));
        assertThat(user.derivedKeys()).allSatisfy(k -> {
            assertThat(k.region()).isEqualTo("us-west-2");
            assertThat(k.service()).isEqualTo("vpc-lattice-svcs");
        });
        assertThat(user.sigV4aPublicKey()).hasSize(130).startsWith("04");

        CallerCredential role = credential(snapshot, session.accessKeyId());
        assertThat(role.principalType()).isEqualTo("AssumedRole");
        assertThat(role.arn()).isEqualTo("arn:aws:sts::" + ACCOUNT + ":assumed-role/aws-sigv4-client/frontend-pod");
        assertThat(role.principalArn()).isEqualTo("arn:aws:iam::" + ACCOUNT + ":role/aws-sigv4-client");
        assertThat(role.sessionName()).isEqualTo("frontend-pod");
        assertThat(role.sessionToken()).isEqualTo(session.sessionToken());
        assertThat(role.expiresAt()).isEqualTo(session.expiration());
        assertThat(role.identityPolicies()).containsExactly(INVOKE);

        SigV4Verifier verifier = gatewayVerifier(snapshot, clock);
        assertThat(verify(verifier, AwsCredentialsIdentity.create(userKey.accessKeyId(), userKey.secretAccessKey()),
                clock.instant())).isInstanceOfSatisfying(SigV4Outcome.Authenticated.class,
                        a -> assertThat(a.principal().arn()).isEqualTo(user.arn()));
        assertThat(verify(verifier, AwsSessionCredentialsIdentity.create(session.accessKeyId(),
                session.secretAccessKey(), session.sessionToken()), clock.instant()))
                .isInstanceOfSatisfying(SigV4Outcome.Authenticated.class,
                        a -> assertThat(a.principal().arn()).isEqualTo(role.arn()));
        assertThat(verify(verifier, AwsCredentialsIdentity.create(userKey.accessKeyId(), "not-the-secret-"
                + "0000000000000000000000000"), clock.instant())).isInstanceOf(SigV4Outcome.Rejected.class);

        String json = new String(SnapshotCodec.encode(snapshot), StandardCharsets.UTF_8);
        IdentityDirectory.AdminCredentials admin = controlPlane.firstStartCredentials().orElseThrow();
        assertThat(json).contains(userKey.accessKeyId(), session.accessKeyId(), admin.accessKeyId())
                .doesNotContain(userKey.secretAccessKey(), session.secretAccessKey(), admin.secretAccessKey());
    }

    @Test
    void anIrsaSessionIsRefusedOnceExpiredEvenBySnapshotsCompiledBeforeAndIsLeftOutOfLaterOnes() {
        VpcSnapshot before = snapshots.current(vpc);
        Instant afterExpiry = session.expiration().plusSeconds(1);
        Duration toExpiry = Duration.between(clock.instant(), afterExpiry);
        clock.advance(toExpiry);

        SigV4Outcome outcome = verify(gatewayVerifier(before, clock), AwsSessionCredentialsIdentity.create(
                session.accessKeyId(), session.secretAccessKey(), session.sessionToken()), clock.instant());
        assertThat(outcome).isInstanceOfSatisfying(SigV4Outcome.Rejected.class,
                r -> assertThat(r.failure().reason()).isEqualTo(SigV4FailureReason.EXPIRED_CREDENTIALS));
        assertThat(snapshots.fresh(vpc).credentials()).extracting(CallerCredential::accessKeyId)
                .contains(userKey.accessKeyId()).doesNotContain(session.accessKeyId());
    }

    @Test
    void aNewDayBringsKeysForItsNeighboursWithoutAWrite() {
        VpcSnapshot today = snapshots.current(vpc);
        clock.advance(Duration.ofDays(1));

        VpcSnapshot tomorrow = snapshots.current(vpc);

        LocalDate day = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
        assertThat(tomorrow.compiledAt()).isAfter(today.compiledAt());
        assertThat(credential(tomorrow, userKey.accessKeyId()).derivedKeys())
                .extracting(CallerCredential.DerivedKey::date)
                .containsExactly(date(day.minusDays(1)), date(day), date(day.plusDays(1)));
        assertThat(verify(gatewayVerifier(tomorrow, clock), AwsCredentialsIdentity.create(userKey.accessKeyId(),
                userKey.secretAccessKey()), clock.instant())).isInstanceOf(SigV4Outcome.Authenticated.class);
    }

    private static String date(LocalDate day) {
        return day.format(DateTimeFormatter.BASIC_ISO_DATE);
    }

    private static CallerCredential credential(VpcSnapshot snapshot, String accessKeyId) {
        return snapshot.credentials().stream().filter(c -> c.accessKeyId().equals(accessKeyId)).findFirst()
                .orElseThrow(() -> new AssertionError(accessKeyId + " is not in " + snapshot.credentials()));
    }

    /** A verifier built from the snapshot the way the gateway's GatewaySnapshot builds it: derived material only. */
    private static SigV4Verifier gatewayVerifier(VpcSnapshot snapshot, java.time.Clock clock) {
        List<SigningCredential> credentials = new ArrayList<>();
        for (CallerCredential c : snapshot.credentials()) {
            Principal principal = new Principal(Principal.Type.valueOf(c.principalType()), c.arn(), c.principalArn(),
                    c.accountId(), c.userId(), Optional.ofNullable(c.userName()), Optional.ofNullable(c.sessionName()),
                    Optional.empty(), c.principalTags());
            SigningCredential.Builder b = SigningCredential.builder(c.accessKeyId(), principal);
            c.derivedKeys().forEach(k -> b.derivedKey(new DerivedSigningKey(k.date(), k.region(), k.service(),
                    HexFormat.of().parseHex(k.key()))));
            String point = c.sigV4aPublicKey();
            b.sigV4aPublicKey(SigV4KeyDerivation.sigV4aPublicKeyFromHex(point.substring(2, 66), point.substring(66)));
            if (c.sessionToken() != null) {
                b.sessionToken(c.sessionToken());
            }
            if (c.expiresAt() != null) {
                b.expiresAt(c.expiresAt());
            }
            credentials.add(b.build());
        }
        return SigV4Verifier.builder().signingName("vpc-lattice-svcs").region(snapshot.region())
                .requireSignedContentSha256(true).credentials(CredentialResolver.of(credentials)).clock(clock).build();
    }

    /** Signs {@code GET https://datastore.example/summary} with the AWS SDK's SigV4 signer and verifies it. */
    private static SigV4Outcome verify(SigV4Verifier verifier, AwsCredentialsIdentity identity, Instant at) {
        SdkHttpFullRequest request = SdkHttpFullRequest.builder().method(SdkHttpMethod.GET).protocol("https")
                .host("datastore.example").encodedPath("/summary").putHeader("Host", "datastore.example").build();
        var signed = AwsV4HttpSigner.create().sign(r -> r.identity(identity).request(request)
                .putProperty(AwsV4FamilyHttpSigner.SERVICE_SIGNING_NAME, "vpc-lattice-svcs")
                .putProperty(AwsV4HttpSigner.REGION_NAME, "us-west-2")
                .putProperty(AwsV4FamilyHttpSigner.PAYLOAD_SIGNING_ENABLED, false)
                .putProperty(HttpSigner.SIGNING_CLOCK, java.time.Clock.fixed(at, ZoneOffset.UTC)));
        SignedRequest.Builder received = SignedRequest.builder("GET", "/summary");
        signed.request().headers().forEach((name, values) -> values.forEach(v -> received.header(name, v)));
        return verifier.verify(received.emptyBody().build());
    }
}
