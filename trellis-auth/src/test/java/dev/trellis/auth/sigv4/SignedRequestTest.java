package dev.trellis.auth.sigv4;

import dev.trellis.auth.Principal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SignedRequestTest {

    @ParameterizedTest(name = "{0} -> path {1}, query [{2}]")
    @CsvSource(delimiter = '|', value = {
            "/summary?window=1h&x         | /summary       | window=1h&x",
            "/summary                     | /summary       | ''",
            "/a%20b/?                     | /a%20b/        | ''",
            "http://host.example/p?q=1    | /p             | q=1",
            "https://host.example?q=1     | /              | q=1",
            "https://host.example         | /              | ''",
            "/p?q=1#frag                  | /p             | q=1",
    })
    void splitsTheRequestTargetAsReceived(String target, String path, String query) {
        SignedRequest request = SignedRequest.builder("GET", target).build();

        assertThat(request.rawPath()).isEqualTo(path);
        assertThat(request.rawQuery()).isEqualTo(query);
    }

    @Test
    void keepsRepeatedHeaderFieldsInReceivedOrderAndMatchesNamesIgnoringCase() {
        SignedRequest request = SignedRequest.builder("GET", "/").header("X-A", "1").header("Host", "h")
                .header("x-a", "2").header("X-A", "3").build();

        assertThat(request.headers("x-A")).containsExactly("1", "2", "3");
        assertThat(request.firstHeader("HOST")).isEqualTo("h");
        assertThat(request.headerFieldCount("x-a")).isEqualTo(3);
        assertThat(request.headerName(2)).isEqualTo("x-a");
    }


    @Test
    void takesNamesAsAnyCharSequenceAndComparesThemAsAsciiTokens() {
        // An HTTP stack's own byte-string names (Netty's AsciiString) are kept as given, not copied into Strings.
        SignedRequest request = SignedRequest.builder("GET", "/")
                .header(new StringBuilder("X-Amz-Date"), "20150830T123600Z")
                .header(new StringBuilder("ÄUTHORIZATION"), "not a match for authorization")
                .header(new StringBuilder("x-amz-date"), "second")
                .header("X-AMZ-[]", "brackets are not letters")
                .build();

        assertThat(request.firstHeader("x-amz-date")).isEqualTo("20150830T123600Z");
        assertThat(request.headers("X-Amz-Date")).containsExactly("20150830T123600Z", "second");
        assertThat(request.headerName(0)).isEqualTo("X-Amz-Date");
        // Only ASCII letters match across case: a Latin-1 letter is not A, and '[' (0x5B) is not '{' (0x7B).
        assertThat(request.firstHeader("äuthorization")).isNull();
        assertThat(request.firstHeader("authorization")).isNull();
        assertThat(request.firstHeader("x-amz-{}")).isNull();
        assertThat(request.firstHeader("x-amz-[]")).isEqualTo("brackets are not letters");
    }
    @Test
    void hashesTheBodyOnceAndAcceptsCallerComputedHashes() {
        SignedRequest withBody = SignedRequest.builder("POST", "/").body("Param1=value1".getBytes(
                StandardCharsets.UTF_8)).build();
        assertThat(withBody.payloadSha256())
                .isEqualTo("9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
        assertThat(SignedRequest.builder("GET", "/").emptyBody().build().payloadSha256())
                .isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assertThat(SignedRequest.builder("GET", "/").payloadSha256("UNSIGNED-PAYLOAD").build().payloadKind())
                .isEqualTo(SignedRequest.PayloadKind.NOT_READ);
        assertThat(SignedRequest.builder("GET", "/").build().payloadSha256()).isNull();
        assertThatThrownBy(() -> SignedRequest.builder("GET", "/").payloadSha256("abc"))
                .isInstanceOf(IllegalArgumentException.class);
        // 64 characters that Character.digit takes for hex, but not ASCII: fullwidth digits are not hex in SigV4
        assertThatThrownBy(() -> SignedRequest.builder("GET", "/").payloadSha256("\uFF10".repeat(64)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(SignedRequest.builder("GET", "/").payloadSha256("E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855")
                .build().payloadSha256()).isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    @Test
    void convertsAnRfc1123DateHeaderToTheSigV4Timestamp() {
        assertThat(AmzDate.fromHttpDate("Sun, 30 Aug 2015 12:36:00 GMT")).isEqualTo("20150830T123600Z");
        assertThat(AmzDate.fromHttpDate("yesterday")).isNull();
    }

    @Test
    void verifiesAHeaderSignatureDatedByTheDateHeaderWhenXAmzDateIsAbsent() throws Exception {
        // The string to sign uses the Date header converted to yyyyMMdd'T'HHmmss'Z' (AWS SigV4 rule).
        String secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
        SigningCredential credential = SigningCredential.builder("AKIDEXAMPLE",
                Principal.user("aws", "111122223333", "/", "suite", "AIDAX", Map.of())).secretAccessKey(secret)
                .build();
        SigV4Verifier verifier = SigV4Verifier.builder().signingName("service").region("us-east-1")
                .credentials(CredentialResolver.of(credential))
                .clock(Clock.fixed(Instant.parse("2015-08-30T12:37:00Z"), ZoneOffset.UTC)).build();
        String canonical = String.join("\n", List.of("GET", "/", "", "date:Sun, 30 Aug 2015 12:36:00 GMT",
                "host:example.amazonaws.com", "", "date;host",
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
        String stringToSign = "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
                + HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                        .digest(canonical.getBytes(StandardCharsets.UTF_8)));
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(SigV4KeyDerivation.deriveSigningKey(secret, "20150830", "us-east-1", "service")
                .key(), "HmacSHA256"));
        String signature = HexFormat.of().formatHex(mac.doFinal(stringToSign.getBytes(StandardCharsets.UTF_8)));
        SignedRequest request = SignedRequest.builder("GET", "/").header("Host", "example.amazonaws.com")
                .header("Date", "Sun, 30 Aug 2015 12:36:00 GMT")
                .header("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
                        + "aws4_request, SignedHeaders=date;host, Signature=" + signature)
                .emptyBody().build();

        assertThat(verifier.canonicalForms(request).orElseThrow().canonicalRequest()).isEqualTo(canonical);
        assertThat(verifier.verify(request)).isInstanceOf(SigV4Outcome.Authenticated.class);
    }
}
