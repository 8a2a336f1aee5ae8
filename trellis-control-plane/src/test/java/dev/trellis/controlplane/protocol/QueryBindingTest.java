package dev.trellis.controlplane.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class QueryBindingTest {

    private static final QueryBinding IAM = QueryBinding.load("iam-2010-05-08");
    private static final QueryBinding STS = QueryBinding.load("sts-2011-06-15");

    private static ApiRequest post(String form) {
        return new ApiRequest("POST", "/", "", Map.of(), ApiRequest.newHeaderMap(),
                form.getBytes(StandardCharsets.ISO_8859_1));
    }

    private static ApiRequest get(String query) {
        return new ApiRequest("GET", "/", query, Map.of(), ApiRequest.newHeaderMap(), new byte[0]);
    }

    @Test
    void readsFlattenedListsOfStructuresAndScalarsFromAFormBody() {
        QueryBinding.Call call = IAM.read(post("Action=CreateRole&Version=2010-05-08&RoleName=app"
                + "&AssumeRolePolicyDocument=%7B%22a%22%3A%201%7D&MaxSessionDuration=7200"
                + "&Tags.member.2.Key=env&Tags.member.2.Value=dev%2Bprod&Tags.member.1.Key=team"
                + "&Tags.member.1.Value=blue+green"));

        assertThat(call.operation().name()).isEqualTo("CreateRole");
        ObjectNode input = call.input();
        assertThat(input.get("RoleName").asText()).isEqualTo("app");
        assertThat(input.get("AssumeRolePolicyDocument").asText()).isEqualTo("{\"a\": 1}");
        assertThat(input.get("MaxSessionDuration").isInt() || input.get("MaxSessionDuration").isLong()).isTrue();
        assertThat(input.get("Tags").toString()).isEqualTo("[{\"Key\":\"team\",\"Value\":\"blue green\"},"
                + "{\"Key\":\"env\",\"Value\":\"dev+prod\"}]");
    }

    @Test
    void readsTheQueryStringOfAGetAndListsOfStrings() {
        QueryBinding.Call call = IAM.read(get("Action=UntagRole&Version=2010-05-08&RoleName=app"
                + "&TagKeys.member.1=a&TagKeys.member.2=b"));

        assertThat(call.input().get("TagKeys").toString()).isEqualTo("[\"a\",\"b\"]");
    }

    @Test
    void anEmptyListIsTheBareNameWithAnEmptyValue() {
        QueryBinding.Call call = IAM.read(post("Action=UntagRole&Version=2010-05-08&RoleName=app&TagKeys="));

        assertThat(call.input().get("TagKeys").isArray()).isTrue();
        assertThat(call.input().get("TagKeys")).isEmpty();
    }

    @Test
    void modelRulesAreValidationErrorsNamingTheField() {
        ApiException e = catchThrowableOfType(ApiException.class, () -> IAM.read(post(
                "Action=CreateUser&Version=2010-05-08&UserName=has%20space")));
        assertThat(e.code()).isEqualTo("ValidationError");
        assertThat(e.status()).isEqualTo(400);
        assertThat(e.getMessage()).isEqualTo("1 validation error detected: UserName: 'has space' must match the"
                + " pattern [\\w+=,.@-]+");

        ApiException missing = catchThrowableOfType(ApiException.class, () -> IAM.read(post(
                "Action=CreateRole&Version=2010-05-08&RoleName=x")));
        assertThat(missing.getMessage()).isEqualTo("1 validation error detected: AssumeRolePolicyDocument: is"
                + " required");

        ApiException notNumber = catchThrowableOfType(ApiException.class, () -> IAM.read(post(
                "Action=ListUsers&Version=2010-05-08&MaxItems=lots")));
        assertThat(notNumber.getMessage()).isEqualTo("1 validation error detected: MaxItems: must be a whole number,"
                + " not 'lots'");
        ApiException fullwidth = catchThrowableOfType(ApiException.class, () -> IAM.read(post(
                "Action=ListUsers&Version=2010-05-08&MaxItems=%EF%BC%91%EF%BC%90")));
        assertThat(fullwidth.getMessage()).startsWith("1 validation error detected: MaxItems: must be a whole number");

        ApiException badIndex = catchThrowableOfType(ApiException.class, () -> IAM.read(post(
                "Action=UntagRole&Version=2010-05-08&RoleName=app&TagKeys.member.0=a")));
        assertThat(badIndex.code()).isEqualTo("ValidationError");
        assertThat(badIndex.getMessage()).contains("items are numbered from 1");
    }

    @Test
    void aRequestNamesAModelByItsActionAndVersion() {
        assertThat(IAM.names(post("Action=CreateGroup&Version=2010-05-08"))).isTrue();
        assertThat(IAM.names(post("Action=CreateGroup"))).isTrue();
        assertThat(IAM.names(post("Action=GetCallerIdentity&Version=2011-06-15"))).isFalse();
        assertThat(STS.names(post("Action=GetCallerIdentity&Version=2011-06-15"))).isTrue();
        assertThat(STS.names(post("Action=GetCallerIdentity&Version=2010-05-08"))).isFalse();
        assertThat(IAM.names(post("%zz"))).isFalse();
        assertThat(IAM.names(post("{\"json\": true}"))).isFalse();
    }

    @Test
    void unknownActionsVersionsAndBadEncodingsAreClientErrors() {
        assertThat(catchThrowableOfType(ApiException.class, () -> IAM.read(post("Version=2010-05-08"))).code())
                .isEqualTo("MissingAction");
        ApiException unknown = catchThrowableOfType(ApiException.class, () -> IAM.read(post(
                "Action=LaunchRockets&Version=2010-05-08")));
        assertThat(unknown.code()).isEqualTo("InvalidAction");
        assertThat(unknown.getMessage()).isEqualTo("Could not find operation LaunchRockets for version 2010-05-08");
        assertThat(catchThrowableOfType(ApiException.class, () -> IAM.read(post(
                "Action=GetUser&Version=2011-06-15"))).code()).isEqualTo("InvalidAction");
        ApiException badEscape = catchThrowableOfType(ApiException.class, () -> IAM.read(post(
                "Action=GetUser&Version=2010-05-08&UserName=%zz")));
        assertThat(badEscape.code()).isEqualTo("MalformedQueryString");
        assertThat(badEscape.status()).isEqualTo(400);
    }

    @Test
    void rendersResultsInTheModelsOrderWithTheResultWrapperAndRequestId() throws Exception {
        ObjectNode output = new ObjectMapper().createObjectNode();
        output.put("IsTruncated", false);
        output.putArray("PolicyNames").add("b&<c>").add("a");
        ApiResponse response = IAM.output(IAM.model().operation("ListRolePolicies"), output, "req-1");

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.headers()).containsEntry("Content-Type", "text/xml");
        assertThat(new String(response.body(), StandardCharsets.UTF_8)).isEqualTo(
                "<ListRolePoliciesResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">"
                        + "<ListRolePoliciesResult><PolicyNames><member>b&amp;&lt;c&gt;</member><member>a</member>"
                        + "</PolicyNames><IsTruncated>false</IsTruncated></ListRolePoliciesResult>"
                        + "<ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata>"
                        + "</ListRolePoliciesResponse>");
    }

    @Test
    void operationsWithoutOutputHaveOnlyResponseMetadata() {
        ApiResponse response = IAM.output(IAM.model().operation("DeleteUser"), null, "req-2");

        assertThat(new String(response.body(), StandardCharsets.UTF_8)).isEqualTo(
                "<DeleteUserResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">"
                        + "<ResponseMetadata><RequestId>req-2</RequestId></ResponseMetadata></DeleteUserResponse>");
    }

    @Test
    void rendersErrorsAsSenderOrReceiverFaultsInTheServicesNamespace() {
        ApiResponse sender = STS.error(new ApiException("InvalidIdentityToken", 400, "bad <token>"), "req-3");
        ApiResponse receiver = IAM.error(new ApiException("ServiceFailure", 500, "store down"), "req-4");

        assertThat(sender.status()).isEqualTo(400);
        assertThat(new String(sender.body(), StandardCharsets.UTF_8)).isEqualTo(
                "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>"
                        + "<Code>InvalidIdentityToken</Code><Message>bad &lt;token&gt;</Message></Error>"
                        + "<RequestId>req-3</RequestId></ErrorResponse>");
        assertThat(new String(receiver.body(), StandardCharsets.UTF_8)).contains("<Type>Receiver</Type>");
    }

    @Test
    void theErrorsIamAndStsAnswerWithAreTheModelsCodesAndStatuses() {
        for (ApiException e : List.of(
                dev.trellis.controlplane.iam.IamErrors.noSuchEntity("x"),
                dev.trellis.controlplane.iam.IamErrors.alreadyExists("x"),
                dev.trellis.controlplane.iam.IamErrors.deleteConflict("x"),
                dev.trellis.controlplane.iam.IamErrors.limitExceeded("x"),
                dev.trellis.controlplane.iam.IamErrors.invalidInput("x"),
                dev.trellis.controlplane.iam.IamErrors.malformedPolicy("x"),
                dev.trellis.controlplane.iam.IamErrors.openIdIdpCommunicationError("x"))) {
            assertThat(IAM.errorShape(e.code())).as(e.code()).hasValueSatisfying(shape ->
                    assertThat(shape.status()).isEqualTo(e.status()));
        }
        for (String code : List.of("InvalidIdentityToken", "ExpiredTokenException", "MalformedPolicyDocument",
                "PackedPolicyTooLarge")) {
            assertThat(STS.errorShape(code)).as(code).hasValueSatisfying(shape ->
                    assertThat(shape.status()).isEqualTo(400));
        }
    }

    @Test
    void escapesCharactersXmlCannotCarry() {
        assertThat(QueryBinding.escape("a\u0001b\"c\rd")).isEqualTo("a\uFFFDb&quot;c&#13;d");
        assertThat(QueryBinding.escape("plain")).isSameAs("plain");
    }
}
