package dev.trellis.auth.sigv4;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;

/** The error each kind of authentication failure surfaces as, per calling protocol (docs/sigv4.md, the table). */
class AwsErrorMappingTest {

    private static final String AUTH_FAILURE = "AWS was not able to validate the provided access credentials";

    @ParameterizedTest(name = "{0} over {1} is {2} {3}")
    @CsvSource({
            "MISSING_AUTHENTICATION_TOKEN, REST_JSON,          MissingAuthenticationTokenException, 403",
            "MISSING_AUTHENTICATION_TOKEN, JSON_1_1,           MissingAuthenticationTokenException, 400",
            "MISSING_AUTHENTICATION_TOKEN, QUERY,              MissingAuthenticationToken,          403",
            "MISSING_AUTHENTICATION_TOKEN, REST_XML,           MissingAuthenticationToken,          403",
            "MISSING_AUTHENTICATION_TOKEN, EC2,                MissingParameter,                    400",
            "MISSING_AUTHENTICATION_TOKEN, LATTICE_DATA_PLANE, MissingAuthenticationTokenException, 403",
            "INCOMPLETE_SIGNATURE,         REST_JSON,          IncompleteSignatureException,        403",
            "INCOMPLETE_SIGNATURE,         JSON_1_1,           IncompleteSignatureException,        400",
            "INCOMPLETE_SIGNATURE,         QUERY,              IncompleteSignature,                 400",
            "INCOMPLETE_SIGNATURE,         REST_XML,           IncompleteSignature,                 400",
            "INCOMPLETE_SIGNATURE,         EC2,                IncompleteSignature,                 400",
            "INCOMPLETE_SIGNATURE,         LATTICE_DATA_PLANE, IncompleteSignatureException,        403",
            "INVALID_CLIENT_TOKEN,         REST_JSON,          UnrecognizedClientException,         403",
            "INVALID_CLIENT_TOKEN,         JSON_1_1,           UnrecognizedClientException,         400",
            "INVALID_CLIENT_TOKEN,         QUERY,              InvalidClientTokenId,                403",
            "INVALID_CLIENT_TOKEN,         REST_XML,           InvalidClientTokenId,                403",
            "INVALID_CLIENT_TOKEN,         EC2,                AuthFailure,                         401",
            "INVALID_CLIENT_TOKEN,         LATTICE_DATA_PLANE, UnrecognizedClientException,         403",
            "EXPIRED_TOKEN,                REST_JSON,          ExpiredTokenException,               403",
            "EXPIRED_TOKEN,                JSON_1_1,           ExpiredTokenException,               400",
            "EXPIRED_TOKEN,                QUERY,              ExpiredToken,                        403",
            "EXPIRED_TOKEN,                REST_XML,           ExpiredToken,                        403",
            "EXPIRED_TOKEN,                EC2,                RequestExpired,                      400",
            "EXPIRED_TOKEN,                LATTICE_DATA_PLANE, ExpiredTokenException,               403",
            "SIGNATURE_DOES_NOT_MATCH,     REST_JSON,          InvalidSignatureException,           403",
            "SIGNATURE_DOES_NOT_MATCH,     JSON_1_1,           InvalidSignatureException,           400",
            "SIGNATURE_DOES_NOT_MATCH,     QUERY,              SignatureDoesNotMatch,               403",
            "SIGNATURE_DOES_NOT_MATCH,     REST_XML,           SignatureDoesNotMatch,               403",
            "SIGNATURE_DOES_NOT_MATCH,     EC2,                AuthFailure,                         401",
            "SIGNATURE_DOES_NOT_MATCH,     LATTICE_DATA_PLANE, InvalidSignatureException,           403",
            "REQUEST_EXPIRED,              REST_JSON,          InvalidSignatureException,           403",
            "REQUEST_EXPIRED,              JSON_1_1,           InvalidSignatureException,           400",
            "REQUEST_EXPIRED,              QUERY,              RequestExpired,                      400",
            "REQUEST_EXPIRED,              REST_XML,           RequestExpired,                      400",
            "REQUEST_EXPIRED,              EC2,                RequestExpired,                      400",
            "REQUEST_EXPIRED,              LATTICE_DATA_PLANE, InvalidSignatureException,           403",
    })
    void mapsEachKindOfFailureToTheProtocolsCodeAndStatus(AuthErrorKind kind, AwsProtocolFamily family, String code,
                                                         int status) {
        assertThat(family.errorCode(kind)).isEqualTo(code);
        assertThat(family.httpStatus(kind)).isEqualTo(status);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(SigV4FailureReason.class)
    void everyReasonMapsToAnErrorInEveryFamily(SigV4FailureReason reason) {
        SigV4Failure failure = new SigV4Failure(reason, "message");
        for (AwsProtocolFamily family : AwsProtocolFamily.values()) {
            AwsAuthError error = failure.toAwsError(family);
            assertThat(error.code()).isNotBlank();
            assertThat(error.httpStatus()).isIn(400, 401, 403);
            assertThat(error.faultType()).isEqualTo("Sender");
        }
    }

    @ParameterizedTest(name = "{0} is served as {1}")
    @CsvSource({"vpc-lattice, REST_JSON", "acm, JSON_1_1", "iam, QUERY", "sts, QUERY", "route53, REST_XML",
            "ec2, EC2", "vpc-lattice-svcs, LATTICE_DATA_PLANE"})
    void knowsTheProtocolFamilyOfEachServedSigningName(String signingName, AwsProtocolFamily family) {
        assertThat(AwsProtocolFamily.forSigningName(signingName)).contains(family);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"WRONG_REGION, SIGNATURE_DOES_NOT_MATCH", "WRONG_SERVICE, SIGNATURE_DOES_NOT_MATCH",
            "REQUEST_TIME_SKEWED, SIGNATURE_DOES_NOT_MATCH", "HOST_NOT_SIGNED, INCOMPLETE_SIGNATURE",
            "UNKNOWN_ACCESS_KEY, INVALID_CLIENT_TOKEN", "INVALID_SESSION_TOKEN, INVALID_CLIENT_TOKEN",
            "EXPIRED_CREDENTIALS, EXPIRED_TOKEN", "PRESIGNED_URL_EXPIRED, REQUEST_EXPIRED",
            "SIGNING_KEY_UNAVAILABLE, SIGNATURE_DOES_NOT_MATCH"})
    void classifiesReasonsAsAwsDoes(SigV4FailureReason reason, AuthErrorKind kind) {
        assertThat(reason.kind()).isEqualTo(kind);
    }

    @ParameterizedTest(name = "{0} over EC2 is {1} {2}")
    @CsvSource({
            "UNKNOWN_ACCESS_KEY,     AuthFailure,         401, " + AUTH_FAILURE,
            "INVALID_SESSION_TOKEN,  AuthFailure,         401, " + AUTH_FAILURE,
            "SIGNATURE_MISMATCH,     AuthFailure,         401, " + AUTH_FAILURE,
            "WRONG_REGION,           AuthFailure,         401, " + AUTH_FAILURE,
            "REQUEST_TIME_SKEWED,    RequestExpired,      400, Request has expired.",
            "PRESIGNED_URL_EXPIRED,  RequestExpired,      400, Request has expired.",
            "EXPIRED_CREDENTIALS,    RequestExpired,      400, Request has expired.",
            "MISSING_AUTHENTICATION, MissingParameter,    400, The request must contain the parameter AWSAccessKeyId",
            "HOST_NOT_SIGNED,        IncompleteSignature, 400, as verified",
    })
    void ec2AnswersWithItsOwnCodesAndFixedMessages(SigV4FailureReason reason, String code, int status,
                                                  String message) {
        AwsAuthError error = new SigV4Failure(reason, "as verified").toAwsError(AwsProtocolFamily.EC2);

        assertThat(error).isEqualTo(new AwsAuthError(code, status, message));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = AwsProtocolFamily.class, names = "EC2", mode = EnumSource.Mode.EXCLUDE)
    void onlyEc2ReportsASkewedClockAsAnExpiredRequest(AwsProtocolFamily family) {
        assertThat(family.kind(SigV4FailureReason.REQUEST_TIME_SKEWED))
                .isEqualTo(AuthErrorKind.SIGNATURE_DOES_NOT_MATCH);
        assertThat(AwsProtocolFamily.EC2.kind(SigV4FailureReason.REQUEST_TIME_SKEWED))
                .isEqualTo(AuthErrorKind.REQUEST_EXPIRED);
        assertThat(family.message(AuthErrorKind.SIGNATURE_DOES_NOT_MATCH, "as verified"))
                .isEqualTo("as verified");
    }
}
