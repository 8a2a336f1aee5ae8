package dev.trellis.auth.sigv4;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.http.SdkHttpMethod;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Collections;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static dev.trellis.auth.sigv4.SdkSignerInteropTest.ACCESS_KEY;
import static dev.trellis.auth.sigv4.SdkSignerInteropTest.CLOCK;
import static dev.trellis.auth.sigv4.SdkSignerInteropTest.NOW;
import static dev.trellis.auth.sigv4.SdkSignerInteropTest.ROLE_SESSION;
import static dev.trellis.auth.sigv4.SdkSignerInteropTest.SECRET;
import static dev.trellis.auth.sigv4.SdkSignerInteropTest.SESSION_ACCESS_KEY;
import static dev.trellis.auth.sigv4.SdkSignerInteropTest.SESSION_TOKEN;
import static dev.trellis.auth.sigv4.SdkSignerInteropTest.USER;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Signatures that must not authenticate: wrong keys, wrong times, wrong tokens, malformed signature parameters,
 * and requests tampered with after signing. Valid requests come from the AWS SDK v2 signer.
 */
class SigV4VerifierRejectionTest {

    /** A Lattice data-plane call signed as the SigV4 proxy sidecar signs it. */
    static final SdkSigning.Unsigned LATTICE_CALL = SdkSigning.Unsigned.of(SdkHttpMethod.GET,
            "datastore-0a1b2c3d4e5f67890.7d67968.vpc-lattice-svcs.us-west-2.on.aws", "/summary", "window=1h",
            Map.of("x-amz-content-sha256", "UNSIGNED-PAYLOAD", "Accept", "application/json",
                    "X-Request-Id", "r-123"), null);
    static final SdkSigning.Options LATTICE_SESSION = new SdkSigning.Options("vpc-lattice-svcs", "us-west-2",
            SESSION_ACCESS_KEY, SECRET, SESSION_TOKEN, false, Duration.ofMinutes(15), false, CLOCK);

    /** An IAM call with a form body (query protocol), signed with a long-term key. */
    static final SdkSigning.Unsigned IAM_CALL = SdkSigning.Unsigned.of(SdkHttpMethod.POST, "iam.amazonaws.com", "/",
            null, Map.of("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
            "Action=ListUsers&Version=2010-05-08");
    static final SdkSigning.Options IAM_LONG_TERM = new SdkSigning.Options("iam", "us-east-1", ACCESS_KEY, SECRET,
            null, false, Duration.ofMinutes(15), true, CLOCK);

    static SigningCredential sessionCredential() {
        return SdkSignerInteropTest.secretBacked(true);
    }

    static SigningCredential longTermCredential() {
        return SdkSignerInteropTest.secretBacked(false);
    }

    static SigV4Verifier latticeVerifier(Clock clock, SigningCredential... credentials) {
        return SigV4Verifier.builder().signingName("vpc-lattice-svcs").region("us-west-2")
                .requireSignedContentSha256(true).credentials(CredentialResolver.of(credentials)).clock(clock)
                .build();
    }

    static SigV4Verifier iamVerifier(Clock clock, SigningCredential... credentials) {
        return SigV4Verifier.builder().signingName("iam").region("us-east-1")
                .credentials(CredentialResolver.of(credentials)).clock(clock).build();
    }

    static SignedRequest latticeSigned() {
        return SdkSigning.signV4(LATTICE_CALL, LATTICE_SESSION, false);
    }

    static SignedRequest latticePresigned() {
        return SdkSigning.signV4(LATTICE_CALL, LATTICE_SESSION.withPresigned(true), false);
    }

    static SignedRequest iamSigned() {
        return SdkSigning.signV4(IAM_CALL, IAM_LONG_TERM);
    }

    static SigV4Failure failureOf(SigV4Outcome outcome) {
        assertThat(outcome).isInstanceOf(SigV4Outcome.Rejected.class);
        return ((SigV4Outcome.Rejected) outcome).failure();
    }

    static Clock at(Instant instant) {
        return Clock.fixed(instant, ZoneOffset.UTC);
    }

    @Test
    void baselineRequestsVerify() {
        assertThat(latticeVerifier(CLOCK, sessionCredential()).verify(latticeSigned()))
                .isInstanceOf(SigV4Outcome.Authenticated.class);
        assertThat(latticeVerifier(CLOCK, sessionCredential()).verify(latticePresigned()))
                .isInstanceOf(SigV4Outcome.Authenticated.class);
        assertThat(iamVerifier(CLOCK, longTermCredential()).verify(iamSigned()))
                .isInstanceOf(SigV4Outcome.Authenticated.class);
    }

    @Nested
    class Keys {

        @Test
        void rejectsSignatureMadeWithWrongSecret() {
            SignedRequest forged = SdkSigning.signV4(LATTICE_CALL, LATTICE_SESSION.withSecret("not-the-secret"), false);

            SigV4Failure failure = failureOf(latticeVerifier(CLOCK, sessionCredential()).verify(forged));

            assertThat(failure).isEqualTo(new SigV4Failure(SigV4FailureReason.SIGNATURE_MISMATCH,
                    "The request signature we calculated does not match the signature you provided. Check your AWS "
                            + "Secret Access Key and signing method. Consult the service documentation for details."));
            assertThat(failure.toAwsError(AwsProtocolFamily.LATTICE_DATA_PLANE).plainTextBody()).isEqualTo(
                    "InvalidSignatureException: The request signature we calculated does not match the signature "
                            + "you provided. Check your AWS Secret Access Key and signing method. Consult the service "
                            + "documentation for details.");
        }

        @Test
        void rejectsSignatureMadeWithWrongSecretWhenVerifiedWithDerivedKeysOnly() {
            SignedRequest forged = SdkSigning.signV4(LATTICE_CALL, LATTICE_SESSION.withSecret("not-the-secret"), false);
            SigningCredential gatewayView = SigningCredential.builder(SESSION_ACCESS_KEY, ROLE_SESSION)
                    .sessionToken(SESSION_TOKEN)
                    .derivedKey(SigV4KeyDerivation.deriveSigningKey(SECRET, "20260302", "us-west-2",
                            "vpc-lattice-svcs"))
                    .build();

            assertThat(failureOf(latticeVerifier(CLOCK, gatewayView).verify(forged)).reason())
                    .isEqualTo(SigV4FailureReason.SIGNATURE_MISMATCH);
        }

        @Test
        void rejectsSignatureMadeWithWrongSecretInThePresignedForm() {
            SignedRequest forged = SdkSigning.signV4(LATTICE_CALL,
                    LATTICE_SESSION.withSecret("not-the-secret").withPresigned(true), false);

            assertThat(failureOf(latticeVerifier(CLOCK, sessionCredential()).verify(forged)).reason())
                    .isEqualTo(SigV4FailureReason.SIGNATURE_MISMATCH);
        }

        @Test
        void rejectsUnknownAccessKeyId() {
            SigningCredential someoneElse = SigningCredential.builder("AKIAOTHEREXAMPLE0000", USER)
                    .secretAccessKey(SECRET).build();

            SigV4Failure failure = failureOf(iamVerifier(CLOCK, someoneElse).verify(iamSigned()));

            assertThat(failure).isEqualTo(new SigV4Failure(SigV4FailureReason.UNKNOWN_ACCESS_KEY,
                    "The security token included in the request is invalid."));
            assertThat(failure.toAwsError(AwsProtocolFamily.QUERY))
                    .isEqualTo(new AwsAuthError("InvalidClientTokenId", 403,
                            "The security token included in the request is invalid."));
        }

        @Test
        void rejectsGatewayRequestWhenNoDerivedKeyExistsForTheRequestDate() {
            SigningCredential yesterdayOnly = SigningCredential.builder(SESSION_ACCESS_KEY, ROLE_SESSION)
                    .sessionToken(SESSION_TOKEN)
                    .derivedKey(SigV4KeyDerivation.deriveSigningKey(SECRET, "20260301", "us-west-2",
                            "vpc-lattice-svcs"))
                    .build();

            SigV4Failure failure = failureOf(latticeVerifier(CLOCK, yesterdayOnly).verify(latticeSigned()));

            assertThat(failure.reason()).isEqualTo(SigV4FailureReason.SIGNING_KEY_UNAVAILABLE);
            assertThat(failure.toAwsError(AwsProtocolFamily.LATTICE_DATA_PLANE))
                    .isEqualTo(new AwsAuthError("InvalidSignatureException", 403,
                            SigV4Failure.SIGNATURE_MISMATCH_MESSAGE));
        }

        @Test
        void rejectsSigV4aWhenTheGatewayHoldsNoPublicKeyForTheAccessKey() {
            SignedRequest v4a = SdkSigning.signV4a(LATTICE_CALL, LATTICE_SESSION, "*");
            SigningCredential hmacKeysOnly = SigningCredential.builder(SESSION_ACCESS_KEY, ROLE_SESSION)
                    .sessionToken(SESSION_TOKEN)
                    .derivedKey(SigV4KeyDerivation.deriveSigningKey(SECRET, "20260302", "us-west-2",
                            "vpc-lattice-svcs"))
                    .build();

            assertThat(failureOf(latticeVerifier(CLOCK, hmacKeysOnly).verify(v4a)).reason())
                    .isEqualTo(SigV4FailureReason.SIGNING_KEY_UNAVAILABLE);
        }

        @Test
        void rejectsSigV4aSignatureMadeWithAnotherKeyPair() {
            SignedRequest v4a = SdkSigning.signV4a(LATTICE_CALL, LATTICE_SESSION.withSecret("not-the-secret"), "*");

            assertThat(failureOf(latticeVerifier(CLOCK, sessionCredential()).verify(v4a)).reason())
                    .isEqualTo(SigV4FailureReason.SIGNATURE_MISMATCH);
        }

        @ParameterizedTest(name = "Signature={0}")
        @ValueSource(strings = {"zz", "0123", "not-hex-at-all-not-hex-at-all-not-hex-at-all-not-hex-at-all-00"})
        void rejectsSignatureThatIsNotSixtyFourHexDigits(String signature) {
            SignedRequest signed = latticeSigned();
            String authorization = signed.firstHeader("Authorization");
            String original = authorization.substring(authorization.indexOf("Signature=") + 10);
            SignedRequest tampered = RequestEdit.of(signed, null).authorization(original, signature).build();

            assertThat(failureOf(latticeVerifier(CLOCK, sessionCredential()).verify(tampered)).reason())
                    .isEqualTo(SigV4FailureReason.SIGNATURE_MISMATCH);
        }
    }

    @Nested
    class Time {

        @Test
        void rejectsRequestSignedMoreThanFiveMinutesBeforeTheClock() {
            SigV4Failure failure = failureOf(latticeVerifier(at(NOW.plusSeconds(301)), sessionCredential())
                    .verify(latticeSigned()));

            assertThat(failure).isEqualTo(new SigV4Failure(SigV4FailureReason.REQUEST_TIME_SKEWED,
                    "Signature expired: 20260302T101530Z is now earlier than 20260302T101531Z "
                            + "(20260302T102031Z - 5 min.)"));
            assertThat(failure.toAwsError(AwsProtocolFamily.QUERY).code()).isEqualTo("SignatureDoesNotMatch");
            assertThat(failure.toAwsError(AwsProtocolFamily.REST_JSON).code()).isEqualTo("InvalidSignatureException");
        }

        @Test
        void rejectsRequestDatedMoreThanFiveMinutesAfterTheClock() {
            SigV4Failure failure = failureOf(latticeVerifier(at(NOW.minusSeconds(301)), sessionCredential())
                    .verify(latticeSigned()));

            assertThat(failure).isEqualTo(new SigV4Failure(SigV4FailureReason.REQUEST_TIME_SKEWED,
                    "Signature not yet current: 20260302T101530Z is still later than 20260302T101529Z "
                            + "(20260302T101029Z + 5 min.)"));
        }

        @ParameterizedTest(name = "clock {0} s from the request time")
        @ValueSource(ints = {-300, -1, 0, 1, 300})
        void acceptsRequestWithinFiveMinutesEitherWay(int offsetSeconds) {
            assertThat(latticeVerifier(at(NOW.plusSeconds(offsetSeconds)), sessionCredential())
                    .verify(latticeSigned())).isInstanceOf(SigV4Outcome.Authenticated.class);
        }

        @Test
        void rejectsPresignedUrlAfterItExpires() {
            SigV4Failure failure = failureOf(latticeVerifier(at(NOW.plusSeconds(15 * 60 + 1)), sessionCredential())
                    .verify(latticePresigned()));

            assertThat(failure).isEqualTo(new SigV4Failure(SigV4FailureReason.PRESIGNED_URL_EXPIRED,
                    "Request has expired."));
            assertThat(failure.toAwsError(AwsProtocolFamily.QUERY))
                    .isEqualTo(new AwsAuthError("RequestExpired", 400, "Request has expired."));
        }

        @Test
        void acceptsPresignedUrlUntilTheLastSecondOfItsValidity() {
            assertThat(latticeVerifier(at(NOW.plusSeconds(15 * 60)), sessionCredential()).verify(latticePresigned()))
                    .isInstanceOf(SigV4Outcome.Authenticated.class);
        }

        @Test
        void acceptsSevenDayPresignedUrlSixDaysLater() {
            SignedRequest week = SdkSigning.signV4(IAM_CALL,
                    new SdkSigning.Options("iam", "us-east-1", ACCESS_KEY, SECRET, null, true, Duration.ofDays(7),
                            true, CLOCK));

            assertThat(iamVerifier(at(NOW.plus(Duration.ofDays(6))), longTermCredential()).verify(week))
                    .isInstanceOf(SigV4Outcome.Authenticated.class);
        }

        @Test
        void rejectsPresignedUrlDatedMoreThanFiveMinutesInTheFuture() {
            assertThat(failureOf(latticeVerifier(at(NOW.minusSeconds(301)), sessionCredential())
                    .verify(latticePresigned())).reason()).isEqualTo(SigV4FailureReason.REQUEST_TIME_SKEWED);
        }

        @ParameterizedTest(name = "X-Amz-Expires={0}")
        @ValueSource(strings = {"0", "-5", "604801", "99999999999", "abc", "1.5"})
        void rejectsPresignedUrlWhoseExpiresIsNotOneSecondToSevenDays(String expires) {
            SignedRequest tampered = RequestEdit.of(latticePresigned(), null).queryParam("X-Amz-Expires", expires)
                    .build();

            SigV4Failure failure = failureOf(latticeVerifier(CLOCK, sessionCredential()).verify(tampered));

            assertThat(failure.reason()).isEqualTo(SigV4FailureReason.INVALID_EXPIRES);
            assertThat(failure.message()).isIn("X-Amz-Expires must be less than a week (in seconds); that is, "
                            + "the given X-Amz-Expires must be less than 604800 seconds",
                    "X-Amz-Expires must be a whole number of seconds from 1 to 604800.");
        }

        @Test
        void rejectsExpiredSessionCredentials() {
            SigningCredential expired = SigningCredential.builder(SESSION_ACCESS_KEY, ROLE_SESSION)
                    .secretAccessKey(SECRET).sessionToken(SESSION_TOKEN).expiresAt(NOW.minusSeconds(1)).build();

            SigV4Failure failure = failureOf(latticeVerifier(CLOCK, expired).verify(latticeSigned()));

            assertThat(failure).isEqualTo(new SigV4Failure(SigV4FailureReason.EXPIRED_CREDENTIALS,
                    "The security token included in the request is expired"));
            assertThat(failure.toAwsError(AwsProtocolFamily.QUERY).code()).isEqualTo("ExpiredToken");
            assertThat(failure.toAwsError(AwsProtocolFamily.JSON_1_1))
                    .isEqualTo(new AwsAuthError("ExpiredTokenException", 400,
                            "The security token included in the request is expired"));
        }

        @Test
        void rejectsSessionCredentialsAtTheirExpiryInstant() {
            SigningCredential expiringNow = SigningCredential.builder(SESSION_ACCESS_KEY, ROLE_SESSION)
                    .secretAccessKey(SECRET).sessionToken(SESSION_TOKEN).expiresAt(NOW).build();

            assertThat(failureOf(latticeVerifier(CLOCK, expiringNow).verify(latticeSigned())).reason())
                    .isEqualTo(SigV4FailureReason.EXPIRED_CREDENTIALS);
        }
    }

    @Nested
    class SessionTokens {

        @Test
        void rejectsSessionTokenThatIsNotTheCredentials() {
            SigningCredential otherToken = SigningCredential.builder(SESSION_ACCESS_KEY, ROLE_SESSION)
                    .secretAccessKey(SECRET).sessionToken(SESSION_TOKEN + "x").build();

            SigV4Failure failure = failureOf(latticeVerifier(CLOCK, otherToken).verify(latticeSigned()));

            assertThat(failure).isEqualTo(new SigV4Failure(SigV4FailureReason.INVALID_SESSION_TOKEN,
                    "The security token included in the request is invalid."));
            assertThat(failure.toAwsError(AwsProtocolFamily.REST_JSON))
                    .isEqualTo(new AwsAuthError("UnrecognizedClientException", 403,
                            "The security token included in the request is invalid."));
        }

        @Test
        void rejectsTemporaryCredentialsUsedWithoutTheirSessionToken() {
            SignedRequest withoutToken = SdkSigning.signV4(LATTICE_CALL, new SdkSigning.Options("vpc-lattice-svcs",
                    "us-west-2", SESSION_ACCESS_KEY, SECRET, null, false, Duration.ofMinutes(15), false, CLOCK), false);

            assertThat(failureOf(latticeVerifier(CLOCK, sessionCredential()).verify(withoutToken)).reason())
                    .isEqualTo(SigV4FailureReason.INVALID_SESSION_TOKEN);
        }

        @Test
        void rejectsSessionTokenPresentedWithLongTermKey() {
            SignedRequest withToken = SdkSigning.signV4(IAM_CALL, new SdkSigning.Options("iam", "us-east-1",
                    ACCESS_KEY, SECRET, SESSION_TOKEN, false, Duration.ofMinutes(15), true, CLOCK));

            assertThat(failureOf(iamVerifier(CLOCK, longTermCredential()).verify(withToken)).reason())
                    .isEqualTo(SigV4FailureReason.INVALID_SESSION_TOKEN);
        }

        @Test
        void rejectsPresignedUrlWithAnotherSessionToken() {
            SignedRequest tampered = RequestEdit.of(latticePresigned(), null)
                    .queryParam("X-Amz-Security-Token", "other").build();

            assertThat(failureOf(latticeVerifier(CLOCK, sessionCredential()).verify(tampered)).reason())
                    .isEqualTo(SigV4FailureReason.INVALID_SESSION_TOKEN);
        }
    }

    @Nested
    class MalformedSignatures {

        static Stream<Arguments> malformedAuthorizationHeaders() {
            String scope = SESSION_ACCESS_KEY + "/20260302/us-west-2/vpc-lattice-svcs/aws4_request";
            String headers = "host;x-amz-content-sha256;x-amz-date;x-amz-security-token";
            String sig = "0".repeat(64);
            return Stream.of(
                    Arguments.of("no Credential", "AWS4-HMAC-SHA256 SignedHeaders=" + headers + ", Signature=" + sig,
                            SigV4FailureReason.MALFORMED_AUTHORIZATION,
                            "Authorization header requires 'Credential' parameter."),
                    Arguments.of("no SignedHeaders", "AWS4-HMAC-SHA256 Credential=" + scope + ", Signature=" + sig,
                            SigV4FailureReason.MALFORMED_AUTHORIZATION,
                            "Authorization header requires 'SignedHeaders' parameter."),
                    Arguments.of("no Signature", "AWS4-HMAC-SHA256 Credential=" + scope + ", SignedHeaders=" + headers,
                            SigV4FailureReason.MALFORMED_AUTHORIZATION,
                            "Authorization header requires 'Signature' parameter."),
                    Arguments.of("nothing after the algorithm", "AWS4-HMAC-SHA256",
                            SigV4FailureReason.MALFORMED_AUTHORIZATION,
                            "Authorization header requires 'Credential' parameter. Authorization header requires "
                                    + "'Signature' parameter. Authorization header requires 'SignedHeaders' "
                                    + "parameter."),
                    Arguments.of("a component without '='", "AWS4-HMAC-SHA256 Credential " + scope
                                    + ", SignedHeaders=" + headers + ", Signature=" + sig,
                            SigV4FailureReason.MALFORMED_AUTHORIZATION, "A component of the Authorization header "
                                    + "is not a valid key=value pair (missing equal-sign)."),
                    Arguments.of("an unknown AWS4 algorithm", "AWS4-HMAC-SHA512 Credential=" + scope
                                    + ", SignedHeaders=" + headers + ", Signature=" + sig,
                            SigV4FailureReason.UNSUPPORTED_ALGORITHM, "Unsupported AWS 'algorithm': "
                                    + "'AWS4-HMAC-SHA512'."),
                    Arguments.of("a scope without region", "AWS4-HMAC-SHA256 Credential=" + SESSION_ACCESS_KEY
                                    + "/20260302/vpc-lattice-svcs/aws4_request, SignedHeaders=" + headers
                                    + ", Signature=" + sig,
                            SigV4FailureReason.MALFORMED_CREDENTIAL, "The authorization header is malformed; the "
                                    + "Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/"
                                    + "aws4_request\"."),
                    Arguments.of("a scope with a wrong terminator", "AWS4-HMAC-SHA256 Credential="
                                    + scope.replace("aws4_request", "aws4_reqest") + ", SignedHeaders=" + headers
                                    + ", Signature=" + sig,
                            SigV4FailureReason.CREDENTIAL_SCOPE_TERMINATOR, "Credential should be scoped with a "
                                    + "valid terminator: 'aws4_request', not 'aws4_reqest'."),
                    Arguments.of("a scope date other than X-Amz-Date's", "AWS4-HMAC-SHA256 Credential="
                                    + scope.replace("20260302", "20260301") + ", SignedHeaders=" + headers
                                    + ", Signature=" + sig,
                            SigV4FailureReason.CREDENTIAL_SCOPE_DATE_MISMATCH, "Date in Credential scope does not "
                                    + "match YYYYMMDD from ISO-8601 version of date from HTTP: '20260301' != "
                                    + "'20260302', from '20260302T101530Z'."),
                    Arguments.of("a scope for another region", "AWS4-HMAC-SHA256 Credential="
                                    + scope.replace("us-west-2", "eu-west-1") + ", SignedHeaders=" + headers
                                    + ", Signature=" + sig,
                            SigV4FailureReason.WRONG_REGION,
                            "Credential should be scoped to a valid region, not 'eu-west-1'."),
                    Arguments.of("a scope for another service", "AWS4-HMAC-SHA256 Credential="
                                    + scope.replace("vpc-lattice-svcs", "execute-api") + ", SignedHeaders=" + headers
                                    + ", Signature=" + sig,
                            SigV4FailureReason.WRONG_SERVICE,
                            "Credential should be scoped to correct service: 'vpc-lattice-svcs'."),
                    Arguments.of("SignedHeaders without host", "AWS4-HMAC-SHA256 Credential=" + scope
                                    + ", SignedHeaders=x-amz-content-sha256;x-amz-date, Signature=" + sig,
                            SigV4FailureReason.HOST_NOT_SIGNED,
                            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."),
                    Arguments.of("an empty name in SignedHeaders", "AWS4-HMAC-SHA256 Credential=" + scope
                                    + ", SignedHeaders=host;;x-amz-date, Signature=" + sig,
                            SigV4FailureReason.MALFORMED_AUTHORIZATION,
                            "SignedHeaders must be a ';'-separated list of header names."),
                    Arguments.of("a signed header the request lacks", "AWS4-HMAC-SHA256 Credential=" + scope
                                    + ", SignedHeaders=" + headers + ";x-trace, Signature=" + sig,
                            SigV4FailureReason.SIGNED_HEADER_MISSING,
                            "'x-trace' is named as a SignedHeader, but it does not exist in the HTTP request."),
                    Arguments.of("x-amz-content-sha256 not signed (Lattice requires it)", "AWS4-HMAC-SHA256 "
                                    + "Credential=" + scope + ", SignedHeaders=host;x-amz-date;x-amz-security-token, "
                                    + "Signature=" + sig,
                            SigV4FailureReason.CONTENT_SHA256_NOT_SIGNED,
                            "Missing the 'x-amz-content-sha256' in canonical headers."),
                    Arguments.of("SigV4A without a region set header", "AWS4-ECDSA-P256-SHA256 Credential="
                                    + SESSION_ACCESS_KEY + "/20260302/vpc-lattice-svcs/aws4_request, SignedHeaders="
                                    + headers + ", Signature=3045",
                            SigV4FailureReason.MISSING_REGION_SET,
                            "AWS4-ECDSA-P256-SHA256 requires the X-Amz-Region-Set header."));
        }

        @ParameterizedTest(name = "Authorization with {0}")
        @MethodSource("malformedAuthorizationHeaders")
        void rejectsMalformedAuthorizationHeader(String what, String authorization, SigV4FailureReason reason,
                                                 String message) {
            SignedRequest tampered = RequestEdit.of(latticeSigned(), null).header("Authorization", authorization)
                    .build();

            assertThat(failureOf(latticeVerifier(CLOCK, sessionCredential()).verify(tampered)))
                    .isEqualTo(new SigV4Failure(reason, message));
        }

        @Test
        void rejectsSigV4aWhoseRegionSetHeaderIsNotSigned() {
            SignedRequest v4a = SdkSigning.signV4a(LATTICE_CALL, LATTICE_SESSION, "*");
            SignedRequest tampered = RequestEdit.of(v4a, null)
                    .authorization("x-amz-date;x-amz-region-set;", "x-amz-date;").build();

            assertThat(failureOf(latticeVerifier(CLOCK, sessionCredential()).verify(tampered)).reason())
                    .isEqualTo(SigV4FailureReason.REGION_SET_NOT_SIGNED);
        }

        @Test
        void rejectsRequestWithoutAnyDate() {
            SignedRequest tampered = RequestEdit.of(latticeSigned(), null).removeHeader("X-Amz-Date").build();

            assertThat(failureOf(latticeVerifier(CLOCK, sessionCredential()).verify(tampered))).isEqualTo(
                    new SigV4Failure(SigV4FailureReason.MISSING_DATE, "Authorization header requires existence of "
                            + "either a 'X-Amz-Date' or a 'Date' header."));
        }

        @ParameterizedTest(name = "X-Amz-Date: {0}")
        @ValueSource(strings = {"2026-03-02T10:15:30Z", "20260302T101530", "20261302T101530Z", "20260230T101530Z"})
        void rejectsMalformedXAmzDate(String date) {
            SignedRequest tampered = RequestEdit.of(latticeSigned(), null).header("X-Amz-Date", date).build();

            SigV4Failure failure = failureOf(latticeVerifier(CLOCK, sessionCredential()).verify(tampered));

            assertThat(failure).isEqualTo(new SigV4Failure(SigV4FailureReason.MALFORMED_DATE,
                    "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\""));
        }

        @Test
        void rejectsTwoAuthorizationHeaders() {
            SignedRequest signed = latticeSigned();
            SignedRequest doubled = RequestEdit.of(signed, null)
                    .addHeader("Authorization", signed.firstHeader("Authorization")).build();

            assertThat(failureOf(latticeVerifier(CLOCK, sessionCredential()).verify(doubled))).isEqualTo(
                    new SigV4Failure(SigV4FailureReason.MALFORMED_AUTHORIZATION,
                            "The request carries 2 Authorization headers; exactly one is allowed."));
        }

        @Test
        void rejectsAuthorizationHeaderTogetherWithPresignedQuery() {
            SignedRequest both = RequestEdit.of(latticePresigned(), null)
                    .header("Authorization", latticeSigned().firstHeader("Authorization")).build();

            assertThat(failureOf(latticeVerifier(CLOCK, sessionCredential()).verify(both)).reason())
                    .isEqualTo(SigV4FailureReason.AMBIGUOUS_AUTHENTICATION);
        }

        @ParameterizedTest(name = "without {0}")
        @ValueSource(strings = {"X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders",
                "X-Amz-Signature"})
        void rejectsPresignedUrlMissingARequiredParameter(String parameter) {
            SignedRequest tampered = RequestEdit.of(latticePresigned(), null).removeQueryParam(parameter).build();

            assertThat(failureOf(latticeVerifier(CLOCK, sessionCredential()).verify(tampered))).isEqualTo(
                    new SigV4Failure(SigV4FailureReason.MALFORMED_AUTHORIZATION, "Query-string authentication "
                            + "version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, "
                            + "X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."));
        }

        @Test
        void rejectsPresignedUrlWhoseSignedHeadersLackHost() {
            SignedRequest tampered = RequestEdit.of(latticePresigned(), null)
                    .queryParam("X-Amz-SignedHeaders", "x-amz-date").build();

            assertThat(failureOf(latticeVerifier(CLOCK, sessionCredential()).verify(tampered)).reason())
                    .isEqualTo(SigV4FailureReason.HOST_NOT_SIGNED);
        }

        @Test
        void rejectsSignedSecurityTokenHeaderRemovedFromTheRequest() {
            SignedRequest tampered = RequestEdit.of(latticeSigned(), null).removeHeader("X-Amz-Security-Token")
                    .build();

            assertThat(failureOf(latticeVerifier(CLOCK, sessionCredential()).verify(tampered))).isEqualTo(
                    new SigV4Failure(SigV4FailureReason.SIGNED_HEADER_MISSING, "'x-amz-security-token' is named as "
                            + "a SignedHeader, but it does not exist in the HTTP request."));
        }
    }

    @Nested
    class Tampering {

        static Stream<Arguments> latticeTampering() {
            return Stream.of(
                    Arguments.of("a signed header value changed",
                            (UnaryOperator<RequestEdit>) e -> e.header("Accept", "text/html")),
                    Arguments.of("a signed header repeated", (UnaryOperator<RequestEdit>) e ->
                            e.addHeader("X-Request-Id", "r-124")),
                    Arguments.of("the Host changed", (UnaryOperator<RequestEdit>) e ->
                            e.header("Host", "billing-0a1b2c3d4e5f67890.7d67968.vpc-lattice-svcs.us-west-2.on.aws")),
                    Arguments.of("a query parameter added", (UnaryOperator<RequestEdit>) e ->
                            e.query(e.query + "&admin=true")),
                    Arguments.of("a query value changed", (UnaryOperator<RequestEdit>) e -> e.queryParam("window", "24h")),
                    Arguments.of("the path changed", (UnaryOperator<RequestEdit>) e -> e.path("/admin")),
                    Arguments.of("a path segment appended", (UnaryOperator<RequestEdit>) e -> e.path("/summary/x")),
                    Arguments.of("the path double-encoded differently", (UnaryOperator<RequestEdit>) e ->
                            e.path("/%73ummary")),
                    Arguments.of("the method changed", (UnaryOperator<RequestEdit>) e -> e.method("DELETE")));
        }

        @ParameterizedTest(name = "Lattice request with {0} after signing")
        @MethodSource("latticeTampering")
        void rejectsLatticeRequestChangedAfterSigning(String what, UnaryOperator<RequestEdit> change) {
            SignedRequest tampered = change.apply(RequestEdit.of(latticeSigned(), null)).build();

            assertThat(failureOf(latticeVerifier(CLOCK, sessionCredential()).verify(tampered)).reason())
                    .isEqualTo(SigV4FailureReason.SIGNATURE_MISMATCH);
        }

        /**
         * A thread keeps what the last request's Credential and SignedHeaders parsed to, and reuses it for the next
         * request that carries the same ones. Where each signed header's fields are is the request's own, though:
         * requests of different signed-header sets, reordered fields and a repeated field, one after another on
         * one thread, are each judged on their own.
         */
        @Test
        void judgesEachRequestOnItsOwnWhenOneThreadVerifiesSeveralInTurn() {
            SigV4Verifier lattice = latticeVerifier(CLOCK, sessionCredential());
            SigV4Verifier iam = iamVerifier(CLOCK, longTermCredential());
            RequestEdit reordered = RequestEdit.of(latticeSigned(), null);
            Collections.rotate(reordered.headers, 2);
            assertThat(reordered.headers.get(0).getKey()).isNotEqualTo(latticeSigned().headerName(0));
            SignedRequest repeated = RequestEdit.of(latticeSigned(), null).addHeader("X-Request-Id", "r-124").build();

            for (int round = 0; round < 2; round++) {
                assertThat(lattice.verify(latticeSigned())).isInstanceOf(SigV4Outcome.Authenticated.class);
                assertThat(lattice.verify(reordered.build())).isInstanceOf(SigV4Outcome.Authenticated.class);
                assertThat(failureOf(lattice.verify(repeated)).reason())
                        .isEqualTo(SigV4FailureReason.SIGNATURE_MISMATCH);
                assertThat(iam.verify(iamSigned())).isInstanceOf(SigV4Outcome.Authenticated.class);
                assertThat(lattice.verify(latticePresigned())).isInstanceOf(SigV4Outcome.Authenticated.class);
                assertThat(failureOf(lattice.verify(repeated)).reason())
                        .isEqualTo(SigV4FailureReason.SIGNATURE_MISMATCH);
            }
        }

        @ParameterizedTest(name = "presigned URL with {0} after signing")
        @MethodSource("latticeTampering")
        void rejectsPresignedLatticeUrlChangedAfterSigning(String what, UnaryOperator<RequestEdit> change) {
            if (what.contains("header")) {
                return; // presigned URLs sign only host; other headers are free
            }
            SignedRequest tampered = change.apply(RequestEdit.of(latticePresigned(), null)).build();

            assertThat(failureOf(latticeVerifier(CLOCK, sessionCredential()).verify(tampered)).reason())
                    .isEqualTo(SigV4FailureReason.SIGNATURE_MISMATCH);
        }

        @Test
        void rejectsFormBodyChangedAfterSigningWhenTheSdkDeclaredItsHash() {
            SignedRequest signed = iamSigned();
            assertThat(signed.firstHeader("x-amz-content-sha256")).as("the SDK declares the payload hash")
                    .isEqualTo(SignedRequest.sha256Hex(IAM_CALL.body()));
            SignedRequest tampered = RequestEdit.of(signed, IAM_CALL.body())
                    .body("Action=DeleteUser&UserName=alice&Version=2010-05-08").build();

            assertThat(failureOf(iamVerifier(CLOCK, longTermCredential()).verify(tampered)).reason())
                    .isEqualTo(SigV4FailureReason.PAYLOAD_HASH_MISMATCH);
        }

        @Test
        void rejectsFormBodyChangedAfterSigningWhenNoHashWasDeclared() {
            // The classic suite's post-x-www-form-urlencoded request signs the body hash without declaring it.
            java.nio.file.Path file = ReferenceData.testSuite().resolve(
                    "classic/aws-sig-v4-test-suite/post-x-www-form-urlencoded/post-x-www-form-urlencoded.sreq");
            HttpRequestText sreq = HttpRequestText.parse(ReferenceData.read(file),
                    HttpRequestText.Continuation.SEPARATE_VALUE);
            SigningCredential suite = SigningCredential.builder("AKIDEXAMPLE", USER)
                    .secretAccessKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY").build();
            SigV4Verifier verifier = SigV4Verifier.builder().signingName("service").region("us-east-1")
                    .credentials(CredentialResolver.of(suite)).clock(at(Instant.parse("2015-08-30T12:36:00Z")))
                    .build();
            assertThat(sreq.toSignedRequest().firstHeader("x-amz-content-sha256")).isNull();
            assertThat(verifier.verify(sreq.toSignedRequest())).isInstanceOf(SigV4Outcome.Authenticated.class);

            SignedRequest tampered = RequestEdit.of(sreq.toSignedRequest(), sreq.body()).body("Param1=value2").build();

            assertThat(failureOf(verifier.verify(tampered)).reason()).isEqualTo(SigV4FailureReason.SIGNATURE_MISMATCH);
        }

        @Test
        void rejectsBodyThatIsNotTheOneItsContentSha256Declares() {
            SdkSigning.Unsigned call = SdkSigning.Unsigned.of(SdkHttpMethod.POST, "iam.amazonaws.com", "/", null,
                    Map.of("Content-Type", "application/x-www-form-urlencoded; charset=utf-8",
                            "x-amz-content-sha256", SignedRequest.sha256Hex(IAM_CALL.body())),
                    new String(IAM_CALL.body(), StandardCharsets.UTF_8));
            SignedRequest signed = SdkSigning.signV4(call, IAM_LONG_TERM);
            assertThat(iamVerifier(CLOCK, longTermCredential()).verify(signed))
                    .isInstanceOf(SigV4Outcome.Authenticated.class);
            SignedRequest tampered = RequestEdit.of(signed, call.body()).body("Action=DeleteUser&Version=2010-05-08")
                    .build();

            assertThat(failureOf(iamVerifier(CLOCK, longTermCredential()).verify(tampered))).isEqualTo(
                    new SigV4Failure(SigV4FailureReason.PAYLOAD_HASH_MISMATCH,
                            "The provided 'x-amz-content-sha256' header does not match what was computed."));
        }

        @Test
        void rejectsSignedPayloadHashWhenTheGatewayDoesNotReadBodies() {
            SignedRequest claimsHash = RequestEdit.of(latticeSigned(), null)
                    .header("x-amz-content-sha256", "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e")
                    .build();

            assertThat(failureOf(latticeVerifier(CLOCK, sessionCredential()).verify(claimsHash))).isEqualTo(
                    new SigV4Failure(SigV4FailureReason.PAYLOAD_SIGNING_UNSUPPORTED, "Payload signing is not "
                            + "supported here: send 'x-amz-content-sha256: UNSIGNED-PAYLOAD'."));
        }

        @Test
        void rejectsStreamingPayloadSignatures() {
            SignedRequest streaming = RequestEdit.of(latticeSigned(), null)
                    .header("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD").build();

            assertThat(failureOf(latticeVerifier(CLOCK, sessionCredential()).verify(streaming)).reason())
                    .isEqualTo(SigV4FailureReason.PAYLOAD_SIGNING_UNSUPPORTED);
        }

        @Test
        void acceptsUnsignedHeadersAddedAfterSigning() {
            SignedRequest proxied = RequestEdit.of(latticeSigned(), null)
                    .addHeader("X-Forwarded-For", "10.0.1.7").addHeader("Via", "1.1 proxy").build();

            assertThat(latticeVerifier(CLOCK, sessionCredential()).verify(proxied))
                    .isInstanceOf(SigV4Outcome.Authenticated.class);
        }

        @Test
        void acceptsPathThatNormalisesToTheSignedPath() {
            SignedRequest dotted = RequestEdit.of(latticeSigned(), null).path("/./reports/../summary").build();

            assertThat(latticeVerifier(CLOCK, sessionCredential()).verify(dotted))
                    .isInstanceOf(SigV4Outcome.Authenticated.class);
        }
    }

    @Nested
    class Unsigned {

        @Test
        void treatsRequestWithoutAuthorizationOrPresignedQueryAsUnsigned() {
            SignedRequest plain = SignedRequest.builder("GET", "/summary?window=1h").header("Host", "a.example")
                    .build();

            assertThat(latticeVerifier(CLOCK, sessionCredential()).verify(plain))
                    .isSameAs(SigV4Outcome.unsigned());
        }

        @ParameterizedTest(name = "Authorization: {0}")
        @ValueSource(strings = {"Bearer eyJhbGciOiJSUzI1NiJ9.e30.sig", "Basic YWxpY2U6c2VjcmV0",
                "AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg="})
        void treatsNonSigV4AuthorizationSchemesAsUnsigned(String authorization) {
            SignedRequest appAuth = SignedRequest.builder("GET", "/summary").header("Host", "a.example")
                    .header("Authorization", authorization).build();

            assertThat(latticeVerifier(CLOCK, sessionCredential()).verify(appAuth))
                    .isSameAs(SigV4Outcome.unsigned());
        }

        @Test
        void missingAuthenticationMapsToMissingAuthenticationToken() {
            SigV4Failure failure = SigV4Failure.missingAuthentication();

            assertThat(failure.toAwsError(AwsProtocolFamily.QUERY)).isEqualTo(
                    new AwsAuthError("MissingAuthenticationToken", 403, "Request is missing Authentication Token"));
            assertThat(failure.toAwsError(AwsProtocolFamily.JSON_1_1)).isEqualTo(new AwsAuthError(
                    "MissingAuthenticationTokenException", 400, "Request is missing Authentication Token"));
        }
    }
}
