package dev.trellis.auth.sigv4;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;

/** The error each kind of authentication failure surfaces as, per calling protocol (docs/sigv4.md, the table). */
class AwsErrorMappingTest {

    @ParameterizedTest(name = "{0} over {1} is {2} {3}")
    @CsvSource({
            "MISSING_AUTHENTICATION_TOKEN, REST_JSON,          MissingAuthenticationTokenException, 403",
            "MISSING_AUTHENTICATION_TOKEN, JSON_1_1,           MissingAuthenticationTokenException, 400",
            "MISSING_AUTHENTICATION_TOKEN, QUERY,              MissingAuthenticationToken,          403",
            "MISSING_AUTHENTICATION_TOKEN, REST_XML,           MissingAuthenticationToken,          403",
            "MISSING_AUTHENTICATION_TOKEN, LATTICE_DATA_PLANE, MissingAuthenticationTokenException, 403",
            "INCOMPLETE_SIGNATURE,         REST_JSON,          IncompleteSignatureException,        403",
            "INCOMPLETE_SIGNATURE,         JSON_1_1,           IncompleteSignatureException,        400",
            "INCOMPLETE_SIGNATURE,         QUERY,              IncompleteSignature,                 400",
            "INCOMPLETE_SIGNATURE,         REST_XML,           IncompleteSignature,                 400",
            "INCOMPLETE_SIGNATURE,         LATTICE_DATA_PLANE, IncompleteSignatureException,        403",
            "INVALID_CLIENT_TOKEN,         REST_JSON,          UnrecognizedClientException,         403",
            "INVALID_CLIENT_TOKEN,         JSON_1_1,           UnrecognizedClientException,         400",
            "INVALID_CLIENT_TOKEN,         QUERY,              InvalidClientTokenId,                403",
            "INVALID_CLIENT_TOKEN,         REST_XML,           InvalidClientTokenId,                403",
            "INVALID_CLIENT_TOKEN,         LATTICE_DATA_PLANE, UnrecognizedClientException,         403",
            "EXPIRED_TOKEN,                REST_JSON,          ExpiredTokenException,               403",
            "EXPIRED_TOKEN,                JSON_1_1,           ExpiredTokenException,               400",
            "EXPIRED_TOKEN,                QUERY,              ExpiredToken,                        403",
            "EXPIRED_TOKEN,                REST_XML,           ExpiredToken,                        403",
            "EXPIRED_TOKEN,                LATTICE_DATA_PLANE, ExpiredTokenException,               403",
            "SIGNATURE_DOES_NOT_MATCH,     REST_JSON,          InvalidSignatureException,           403",
            "SIGNATURE_DOES_NOT_MATCH,     JSON_1_1,           InvalidSignatureException,           400",
            "SIGNATURE_DOES_NOT_MATCH,     QUERY,              SignatureDoesNotMatch,               403",
            "SIGNATURE_DOES_NOT_MATCH,     REST_XML,           SignatureDoesNotMatch,               403",
            "SIGNATURE_DOES_NOT_MATCH,     LATTICE_DATA_PLANE, InvalidSignatureException,           403",
            "REQUEST_EXPIRED,              REST_JSON,          InvalidSignatureException,           403",
            "REQUEST_EXPIRED,              JSON_1_1,           InvalidSignatureException,           400",
            "REQUEST_EXPIRED,              QUERY,              RequestExpired,                      400",
            "REQUEST_EXPIRED,              REST_XML,           RequestExpired,                      400",
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
            assertThat(error.httpStatus()).isIn(400, 403);
            assertThat(error.faultType()).isEqualTo("Sender");
        }
    }

    @ParameterizedTest(name = "{0} is served as {1}")
    @CsvSource({"vpc-lattice, REST_JSON", "acm, JSON_1_1", "iam, QUERY", "sts, QUERY", "route53, REST_XML",
            "vpc-lattice-svcs, LATTICE_DATA_PLANE"})
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
}
