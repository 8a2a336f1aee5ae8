package dev.trellis.auth.sigv4;

import dev.trellis.auth.Principal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.http.SdkHttpMethod;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Requests signed by the AWS SDK for Java v2 signers ({@code AwsV4HttpSigner}; {@code AwsV4aHttpSigner} through the
 * AWS CRT) verify, for each API Trellis serves, with and without session tokens, in header and presigned form.
 */
class SdkSignerInteropTest {

    static final Instant NOW = Instant.parse("2026-03-02T10:15:30Z");
    static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    static final String ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE";
    static final String SESSION_ACCESS_KEY = "ASIAIOSFODNN7EXAMPLE";
    static final String SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    static final String SESSION_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLXdlc3QtMiJHMEUCIQD+token=";
    static final Principal USER = Principal.user("aws", "111122223333", "/", "alice", "AIDAEXAMPLEALICE", Map.of());
    static final Principal ROLE_SESSION = Principal.assumedRole("aws", "111122223333", "/", "frontend",
            "AROAEXAMPLEFRONTEND", "pod-1", Map.of());

    /** One API call shape, as the SDK client of that service would send it. */
    record Call(String description, String signingName, String region, SdkHttpMethod method, String host, String path,
                String query, Map<String, String> headers, String body, boolean payloadSigning, boolean bodyRead) {
        SdkSigning.Unsigned unsigned() {
            return SdkSigning.Unsigned.of(method, host, path, query, headers, body);
        }

        @Override
        public String toString() {
            return signingName + " " + description;
        }
    }

    static List<Call> calls() {
        return List.of(
                new Call("ListServices (rest-json)", "vpc-lattice", "us-west-2", SdkHttpMethod.GET,
                        "vpc-lattice.us-west-2.amazonaws.com", "/services", "maxResults=10&nextToken=a%2Bb%3D",
                        Map.of(), null, true, true),
                new Call("TagResource with a URL-encoded ARN in the path (double encoding)", "vpc-lattice",
                        "us-west-2", SdkHttpMethod.POST, "vpc-lattice.us-west-2.amazonaws.com",
                        "/tags/arn%3Aaws%3Avpc-lattice%3Aus-west-2%3A111122223333%3Aservice%2Fsvc-0123456789abcdef0",
                        null, Map.of("Content-Type", "application/json"), "{\"tags\":{\"team\":\"a  b\"}}", true,
                        true),
                new Call("GET /summary on a service, UNSIGNED-PAYLOAD, body not read", "vpc-lattice-svcs",
                        "us-west-2", SdkHttpMethod.GET, "datastore-0a1b2c3d4e5f67890.7d67968.vpc-lattice-svcs.us-west-2.on.aws",
                        "/summary", "window=1h&tag=a&tag=b",
                        Map.of("x-amz-content-sha256", "UNSIGNED-PAYLOAD", "Accept", "application/json",
                                "User-Agent", "frontend/1.0", "X-Request-Id", "r-123"),
                        null, false, false),
                new Call("POST /orders with a body, UNSIGNED-PAYLOAD, body not read", "vpc-lattice-svcs",
                        "us-west-2", SdkHttpMethod.POST, "orders.example.com", "/orders/2026/03",
                        null, Map.of("x-amz-content-sha256", "UNSIGNED-PAYLOAD", "Content-Type", "application/json"),
                        "{\"item\":\"book\"}", false, false),
                new Call("ListUsers (query)", "iam", "us-east-1", SdkHttpMethod.POST, "iam.amazonaws.com", "/", null,
                        Map.of("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
                        "Action=ListUsers&Version=2010-05-08", true, true),
                new Call("GetCallerIdentity (query)", "sts", "us-east-1", SdkHttpMethod.POST, "sts.amazonaws.com", "/",
                        null, Map.of("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
                        "Action=GetCallerIdentity&Version=2011-06-15", true, true),
                new Call("ListCertificates (json 1.1)", "acm", "us-west-2", SdkHttpMethod.POST,
                        "acm.us-west-2.amazonaws.com", "/", null,
                        Map.of("Content-Type", "application/x-amz-json-1.1",
                                "X-Amz-Target", "CertificateManager.ListCertificates"), "{}", true, true),
                new Call("ListHostedZones (rest-xml)", "route53", "us-east-1", SdkHttpMethod.GET,
                        "route53.amazonaws.com", "/2013-04-01/hostedzone", "maxitems=10", Map.of(), null, true, true));
    }

    static Stream<Arguments> sigV4Cases() {
        List<Arguments> out = new ArrayList<>();
        for (Call call : calls()) {
            for (boolean session : new boolean[] {false, true}) {
                for (boolean presigned : new boolean[] {false, true}) {
                    out.add(Arguments.of(call, session ? "session token" : "long-term key",
                            presigned ? "presigned URL" : "Authorization header"));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}, {1}, {2}")
    @MethodSource("sigV4Cases")
    void verifiesRequestsSignedByTheSdkV4Signer(Call call, String keyKind, String form) {
        boolean session = keyKind.equals("session token");
        boolean presigned = form.equals("presigned URL");
        SdkSigning.Options options = new SdkSigning.Options(call.signingName(), call.region(),
                session ? SESSION_ACCESS_KEY : ACCESS_KEY, SECRET, session ? SESSION_TOKEN : null, presigned,
                Duration.ofMinutes(15), call.payloadSigning(), CLOCK);
        SignedRequest received = SdkSigning.signV4(call.unsigned(), options, call.bodyRead());

        for (SigningCredential credential : List.of(secretBacked(session), derivedKeysOnly(session, call))) {
            SigV4Outcome outcome = verifier(call, credential).verify(received);
            assertThat(outcome).as("%s with %s", call, credential).isInstanceOf(SigV4Outcome.Authenticated.class);
            SigV4Outcome.Authenticated ok = (SigV4Outcome.Authenticated) outcome;
            assertThat(ok.principal()).isEqualTo(session ? ROLE_SESSION : USER);
            assertThat(ok.temporary()).isEqualTo(session);
            assertThat(ok.service()).isEqualTo(call.signingName());
            assertThat(ok.region()).isEqualTo(call.region());
            assertThat(ok.location()).isEqualTo(presigned ? SigV4Outcome.SignatureLocation.QUERY_STRING
                    : SigV4Outcome.SignatureLocation.AUTHORIZATION_HEADER);
            assertThat(ok.signedAt()).isEqualTo(NOW);
        }
    }

    static Stream<Arguments> sigV4aCases() {
        List<Arguments> out = new ArrayList<>();
        for (String regionSet : List.of("*", "us-west-2", "us-east-1,us-west-2", "us-*")) {
            for (boolean presigned : new boolean[] {false, true}) {
                out.add(Arguments.of(regionSet, presigned ? "presigned URL" : "Authorization header"));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "vpc-lattice-svcs SigV4A, region set {0}, {1}, session token")
    @MethodSource("sigV4aCases")
    void verifiesRequestsSignedByTheSdkV4aSignerWhenTheRegionSetCoversTheVerifierRegion(String regionSet,
                                                                                         String form) {
        Call call = calls().get(2);
        SdkSigning.Options options = new SdkSigning.Options(call.signingName(), call.region(), SESSION_ACCESS_KEY,
                SECRET, SESSION_TOKEN, form.equals("presigned URL"), Duration.ofMinutes(15), false, CLOCK);
        SignedRequest received = SdkSigning.signV4a(call.unsigned(), options, regionSet);

        SigningCredential publicKeyOnly = SigningCredential.builder(SESSION_ACCESS_KEY, ROLE_SESSION)
                .sessionToken(SESSION_TOKEN)
                .sigV4aPublicKey(SigV4KeyDerivation.deriveSigV4aPublicKey(SESSION_ACCESS_KEY, SECRET))
                .build();
        for (SigningCredential credential : List.of(secretBacked(true), publicKeyOnly)) {
            SigV4Outcome outcome = verifier(call, credential).verify(received);
            assertThat(outcome).as("%s with %s", regionSet, credential)
                    .isInstanceOf(SigV4Outcome.Authenticated.class);
            SigV4Outcome.Authenticated ok = (SigV4Outcome.Authenticated) outcome;
            assertThat(ok.algorithm()).isEqualTo(SigV4Algorithm.AWS4_ECDSA_P256_SHA256);
            assertThat(ok.principal()).isEqualTo(ROLE_SESSION);
            assertThat(ok.region()).isEqualTo(regionSet);
        }
    }

    @ParameterizedTest(name = "region set {0}")
    @MethodSource("uncoveringRegionSets")
    void rejectsSdkV4aSignaturesWhoseRegionSetExcludesTheVerifierRegion(String regionSet) {
        Call call = calls().get(2);
        SdkSigning.Options options = new SdkSigning.Options(call.signingName(), call.region(), SESSION_ACCESS_KEY,
                SECRET, SESSION_TOKEN, false, Duration.ofMinutes(15), false, CLOCK);
        SignedRequest received = SdkSigning.signV4a(call.unsigned(), options, regionSet);

        SigV4Outcome outcome = verifier(call, secretBacked(true)).verify(received);

        String sent = received.firstHeader("X-Amz-Region-Set"); // the SDK may reorder the set
        assertThat(sent.split(",")).containsExactlyInAnyOrder(regionSet.split(","));
        assertThat(outcome).isEqualTo(new SigV4Outcome.Rejected(new SigV4Failure(
                SigV4FailureReason.REGION_SET_EXCLUDES_REGION,
                "The region set '" + sent + "' does not include the region 'us-west-2'.")));
    }

    static Stream<String> uncoveringRegionSets() {
        return Stream.of("eu-west-1", "us-east-1,eu-*", "us-west-1");
    }

    /**
     * The verifier keeps the last HMAC key it set up on its thread and sets it up again only when the next request's
     * key differs: alternating callers must still each verify with their own key, and a signature made with one
     * caller's secret must fail under another caller's access key even right after that caller's own request.
     */
    @Test
    void callersThatAlternateOnOneThreadEachVerifyWithTheirOwnKey() {
        Call call = calls().get(2);
        String otherKey = "AKIAOTHEREXAMPLE0000";
        String otherSecret = "bWtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEYwJalrXU";
        Principal other = Principal.user("aws", "111122223333", "/", "bob", "AIDAEXAMPLEBOB", Map.of());
        SigningCredential alice = derivedKeysOnly(false, call);
        SigningCredential bob = SigningCredential.builder(otherKey, other)
                .derivedKey(SigV4KeyDerivation.deriveSigningKey(otherSecret, AmzDate.format(NOW).substring(0, 8),
                        call.region(), call.signingName()))
                .build();
        SigV4Verifier verifier = SigV4Verifier.builder()
                .signingName(call.signingName())
                .region(call.region())
                .requireSignedContentSha256(true)
                .credentials(CredentialResolver.of(alice, bob))
                .clock(CLOCK)
                .build();
        SignedRequest fromAlice = SdkSigning.signV4(call.unsigned(), new SdkSigning.Options(call.signingName(),
                call.region(), ACCESS_KEY, SECRET, null, false, Duration.ofMinutes(15), false, CLOCK), false);
        SignedRequest fromBob = SdkSigning.signV4(call.unsigned(), new SdkSigning.Options(call.signingName(),
                call.region(), otherKey, otherSecret, null, false, Duration.ofMinutes(15), false, CLOCK), false);
        // Bob's access key id over a signature made with Alice's secret.
        SignedRequest forged = SdkSigning.signV4(call.unsigned(), new SdkSigning.Options(call.signingName(),
                call.region(), otherKey, SECRET, null, false, Duration.ofMinutes(15), false, CLOCK), false);

        for (int round = 0; round < 3; round++) {
            assertThat(verifier.verify(fromAlice)).isInstanceOfSatisfying(SigV4Outcome.Authenticated.class,
                    ok -> assertThat(ok.principal()).isEqualTo(USER));
            assertThat(verifier.verify(fromBob)).isInstanceOfSatisfying(SigV4Outcome.Authenticated.class,
                    ok -> assertThat(ok.principal()).isEqualTo(other));
            assertThat(verifier.verify(forged)).isInstanceOfSatisfying(SigV4Outcome.Rejected.class,
                    rejected -> assertThat(rejected.failure().reason())
                            .isEqualTo(SigV4FailureReason.SIGNATURE_MISMATCH));
            assertThat(verifier.verify(fromAlice)).isInstanceOf(SigV4Outcome.Authenticated.class);
            // Alice's key set up last: Bob's id over her signature still fails.
            assertThat(verifier.verify(forged)).isInstanceOf(SigV4Outcome.Rejected.class);
        }
    }

    static SigningCredential secretBacked(boolean session) {
        if (!session) {
            return SigningCredential.builder(ACCESS_KEY, USER).secretAccessKey(SECRET).build();
        }
        return SigningCredential.builder(SESSION_ACCESS_KEY, ROLE_SESSION).secretAccessKey(SECRET)
                .sessionToken(SESSION_TOKEN).expiresAt(NOW.plus(Duration.ofHours(1))).build();
    }

    /** What a gateway holds: the derived key of today's scope, no secret. */
    static SigningCredential derivedKeysOnly(boolean session, Call call) {
        SigningCredential.Builder builder = SigningCredential
                .builder(session ? SESSION_ACCESS_KEY : ACCESS_KEY, session ? ROLE_SESSION : USER)
                .derivedKey(SigV4KeyDerivation.deriveSigningKey(SECRET, AmzDate.format(NOW).substring(0, 8),
                        call.region(), call.signingName()));
        if (session) {
            builder.sessionToken(SESSION_TOKEN).expiresAt(NOW.plus(Duration.ofHours(1)));
        }
        return builder.build();
    }

    static SigV4Verifier verifier(Call call, SigningCredential credential) {
        return SigV4Verifier.builder()
                .signingName(call.signingName())
                .region(call.region())
                .requireSignedContentSha256(call.signingName().equals("vpc-lattice-svcs"))
                .credentials(CredentialResolver.of(credential))
                .clock(CLOCK)
                .build();
    }
}
