package dev.trellis.controlplane.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RestJsonBindingTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final ServiceModel model = ServiceModel.load("vpc-lattice-2022-11-30");
    private final RestRouter router = new RestRouter(model);
    private final RestJsonBinding binding = new RestJsonBinding(model, JSON);

    private ObjectNode bind(String method, String path, Map<String, List<String>> query, String body) {
        ApiRequest request = new ApiRequest(method, path, "", query, ApiRequest.newHeaderMap(),
                body.getBytes(StandardCharsets.UTF_8));
        return binding.input(router.route(method, path, query), request);
    }

    @Test
    void bindsUriLabelsQueryParametersAndBody() {
        ObjectNode input = bind("POST", "/services/svc-0123456789abcdef0/listeners", Map.of(),
                "{\"name\":\"http-80\",\"protocol\":\"HTTP\",\"port\":80,"
                        + "\"defaultAction\":{\"fixedResponse\":{\"statusCode\":404}}}");

        assertThat(input.get("serviceIdentifier").asText()).isEqualTo("svc-0123456789abcdef0");
        assertThat(input.get("port").asInt()).isEqualTo(80);
    }

    @Test
    void bindsRepeatedQueryParametersAsAList() {
        ObjectNode input = bind("DELETE", "/tags/arn%3Aaws%3Avpc-lattice%3Aus-west-2%3A111122223333%3Aservicenetwork"
                + "%2Fsn-0123456789abcdef0", Map.of("tagKeys", List.of("env", "team")), "");

        assertThat(input.get("tagKeys")).hasSize(2);
        assertThat(input.get("tagKeys").get(1).asText()).isEqualTo("team");
    }

    @Test
    void rejectsAnInvalidNameWithTheFieldNamed() {
        ApiException error = catchThrowableOfType(ApiException.class,
                () -> bind("POST", "/services", Map.of(), "{\"name\":\"Bad--Name\"}"));

        assertThat(error.code()).isEqualTo("ValidationException");
        assertThat(error.status()).isEqualTo(400);
        assertThat(error.members().get("reason").asText()).isEqualTo("fieldValidationFailed");
        assertThat(error.members().get("fieldList").get(0).get("name").asText()).isEqualTo("name");
        assertThat(error.getMessage()).startsWith("1 validation error detected: name: 'Bad--Name' must match");
    }

    @Test
    void reportsMissingRequiredMembersAndOutOfRangeNumbersTogether() {
        ApiException error = catchThrowableOfType(ApiException.class,
                () -> bind("POST", "/services/svc-0123456789abcdef0/listeners", Map.of(),
                        "{\"protocol\":\"HTTP\",\"port\":70000}"));

        assertThat(error.members().get("fieldList")).extracting(f -> f.get("name").asText())
                .containsExactlyInAnyOrder("name", "defaultAction", "port");
        assertThat(error.getMessage()).contains("port: must be 1-65535, not 70000");
    }

    @Test
    void rejectsAUnionWithTwoMembers() {
        ApiException error = catchThrowableOfType(ApiException.class,
                () -> bind("POST", "/services/svc-0123456789abcdef0/listeners", Map.of(),
                        "{\"name\":\"l1\",\"protocol\":\"HTTP\",\"defaultAction\":{\"fixedResponse\":"
                                + "{\"statusCode\":404},\"forward\":{\"targetGroups\":[]}}}"));

        assertThat(error.getMessage()).contains("defaultAction: must have exactly one of forward, fixedResponse");
    }

    @Test
    void rejectsNullListElementsAndNullMapValues() {
        ApiException error = catchThrowableOfType(ApiException.class,
                () -> bind("POST", "/services/svc-0123456789abcdef0/listeners", Map.of(),
                        "{\"name\":\"http\",\"protocol\":\"HTTP\",\"defaultAction\":{\"forward\":"
                                + "{\"targetGroups\":[null]}},\"tags\":{\"team\":null}}"));

        assertThat(error.members().get("fieldList")).extracting(f -> f.get("name").asText())
                .containsExactlyInAnyOrder("defaultAction.forward.targetGroups[0]", "tags.team");
    }

    @Test
    void malformedJsonIsCannotParse() {
        ApiException error = catchThrowableOfType(ApiException.class,
                () -> bind("POST", "/servicenetworks", Map.of(), "{\"name\": "));

        assertThat(error.members().get("reason").asText()).isEqualTo("cannotParse");
        assertThat(error.getMessage()).startsWith("The request body is not valid JSON");
    }

    @Test
    void nonNumericMaxResultsNamesTheParameter() {
        ApiException error = catchThrowableOfType(ApiException.class,
                () -> bind("GET", "/services", Map.of("maxResults", List.of("ten")), ""));

        assertThat(error.getMessage()).isEqualTo("1 validation error detected: maxResults: must be a whole number,"
                + " not 'ten'");
        // digits of another script are not a number on the wire, though Long.parseLong reads them
        ApiException fullwidth = catchThrowableOfType(ApiException.class,
                () -> bind("GET", "/services", Map.of("maxResults", List.of("\uFF11\uFF10")), ""));
        assertThat(fullwidth.getMessage()).isEqualTo("1 validation error detected: maxResults: must be a whole"
                + " number, not '\uFF11\uFF10'");
    }

    @Test
    void errorsCarryTheErrorTypeHeaderAndJsonMembers() throws Exception {
        ApiResponse response = binding.error(ApiException.validation("cannotParse", "bad"));

        assertThat(response.status()).isEqualTo(400);
        assertThat(response.headers()).containsEntry("x-amzn-ErrorType", "ValidationException");
        assertThat(JSON.readTree(response.body()).get("reason").asText()).isEqualTo("cannotParse");
    }
}
