package dev.trellis.controlplane.sts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.trellis.controlplane.iam.IamApiTestBase;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.iam.model.IamException;

/** The query protocol on the wire: unsigned requests, routing by Action, and bad input never answered with a 500. */
class QueryWireTest extends IamApiTestBase {

    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> post(String form) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(controlPlane.endpoint() + "/"))
                .header("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void anUnsignedIamCallIsMissingAuthenticationTokenInIamsXml() throws Exception {
        HttpResponse<String> response = post("Action=ListUsers&Version=2010-05-08");

        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(response.headers().firstValue("Content-Type")).contains("text/xml");
        String requestId = response.headers().firstValue("x-amzn-RequestId").orElseThrow();
        assertThat(response.body()).isEqualTo("<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">"
                + "<Error><Type>Sender</Type><Code>MissingAuthenticationToken</Code>"
                + "<Message>Request is missing Authentication Token</Message></Error>"
                + "<RequestId>" + requestId + "</RequestId></ErrorResponse>");
    }

    @Test
    void operationsOfTheModelsThatTrellisDoesNotServeAreInvalidActions() throws Exception {
        HttpResponse<String> unsigned = post("Action=CreateGroup&Version=2010-05-08&GroupName=g");
        assertThat(unsigned.statusCode()).isEqualTo(403);
        assertThat(unsigned.body()).contains("xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"")
                .contains("<Code>MissingAuthenticationToken</Code>");

        IamException signed = catchThrowableOfType(IamException.class, () -> iam.createGroup(r -> r.groupName("g")));
        assertThat(signed.statusCode()).isEqualTo(400);
        assertThat(signed.awsErrorDetails().errorCode()).isEqualTo("InvalidAction");
        assertThat(signed.awsErrorDetails().errorMessage())
                .isEqualTo("CreateGroup is not supported by Trellis (see docs/api-iam-sts.md)");
    }

    @Test
    void anUnsignedStsCallOtherThanTheWebIdentityExchangeIsMissingAuthenticationToken() throws Exception {
        HttpResponse<String> response = post("Action=GetCallerIdentity&Version=2011-06-15");

        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(response.body()).contains("xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"")
                .contains("<Code>MissingAuthenticationToken</Code>");
    }

    @Test
    void unsignedWebIdentityAndSamlExchangesReachSts() throws Exception {
        HttpResponse<String> webIdentity = post("Action=AssumeRoleWithWebIdentity&Version=2011-06-15");
        assertThat(webIdentity.statusCode()).isEqualTo(400);
        assertThat(webIdentity.body()).contains("<Code>ValidationError</Code>").contains("RoleArn: is required");

        HttpResponse<String> saml = post("Action=AssumeRoleWithSAML&Version=2011-06-15"
                + "&RoleArn=arn:aws:iam::111122223333:role/x&PrincipalArn=arn:aws:iam::111122223333:saml-provider/x"
                + "&SAMLAssertion=abcd");
        assertThat(saml.statusCode()).isEqualTo(400);
        assertThat(saml.body()).contains("<Code>InvalidAction</Code>")
                .contains("AssumeRoleWithSAML is not supported by Trellis");
    }

    @Test
    void iamSignedForAnotherRegionIsASignatureMismatch() {
        var admin = controlPlane.firstStartCredentials().orElseThrow();
        try (IamClient other = IamClient.builder().endpointOverride(controlPlane.endpoint()).region(Region.EU_WEST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(
                        admin.accessKeyId(), admin.secretAccessKey()))).build();
             IamClient east = IamClient.builder().endpointOverride(controlPlane.endpoint()).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(
                        admin.accessKeyId(), admin.secretAccessKey()))).build()) {
            IamException e = catchThrowableOfType(IamException.class, other::listUsers);
            assertThat(e.statusCode()).isEqualTo(403);
            assertThat(e.awsErrorDetails().errorCode()).isEqualTo("SignatureDoesNotMatch");
            assertThat(e.awsErrorDetails().errorMessage())
                    .isEqualTo("Credential should be scoped to a valid region, not 'eu-west-1'.");
            assertThat(east.listUsers().users()).hasSize(1);
        }
    }

    @Test
    void malformedUnsignedRequestsAreClientErrorsNeverServerErrors() throws Exception {
        String base = "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn:aws:iam::111122223333:role/r"
                + "&RoleSessionName=session";
        List<String> bodies = new ArrayList<>(List.of(
                "%", "%%%", "Action=%E0%A4%A", "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&Tags.member.x=1",
                base + "&WebIdentityToken=abcd",
                base + "&WebIdentityToken=eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL3gifQ.c2ln",
                base + "&WebIdentityToken=e30.e30.e30",
                base + "&WebIdentityToken=" + "a.".repeat(3000),
                base + "&WebIdentityToken=eyJhbGciOiJub25lIn0.eyJpc3MiOiJodHRwczovL29pZGMifQ.",
                base + "&DurationSeconds=99999999999999999999&WebIdentityToken=abcd",
                base + "&DurationSeconds=-5&WebIdentityToken=abcd",
                base + "&PolicyArns.member.1.arn=x&WebIdentityToken=abcd",
                base + "&WebIdentityToken=%FF%FE%FD%FC",
                "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&" + "a=b&".repeat(3000)));
        Random random = new Random(42);
        for (int i = 0; i < 30; i++) {
            StringBuilder noise = new StringBuilder(base + "&WebIdentityToken=");
            for (int j = 0; j < 40; j++) {
                String alphabet = "abc.%=&+-_~/\\\"<>{}";
                noise.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            bodies.add(noise.toString());
        }
        for (String body : bodies) {
            HttpResponse<String> response = post(body);
            assertThat(response.statusCode()).as(body.length() > 200 ? body.substring(0, 200) : body)
                    .isBetween(400, 499);
        }
    }
}
