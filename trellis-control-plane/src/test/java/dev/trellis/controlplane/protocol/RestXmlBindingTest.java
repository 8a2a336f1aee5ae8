package dev.trellis.controlplane.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The rest-xml binding on a small model with the traits Route 53 does not use: flattened lists, maps, headers. */
class RestXmlBindingTest {

    private static final String NS = "https://example.com/doc/2020-01-01/";
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final String MODEL = """
            {"metadata": {"protocol": "rest-xml", "signingName": "thing", "apiVersion": "2020-01-01"},
             "operations": {
               "PutThing": {"http": {"method": "POST", "requestUri": "/things/{Name}", "responseCode": 201},
                 "input": {"shape": "PutThingRequest", "locationName": "PutThingRequest",
                           "xmlNamespace": {"uri": "%s"}},
                 "output": {"shape": "PutThingResponse"}}},
             "shapes": {
               "PutThingRequest": {"type": "structure", "required": ["Name", "Size"], "members": {
                 "Name": {"shape": "Name", "location": "uri", "locationName": "Name"},
                 "Token": {"shape": "Text", "location": "header", "locationName": "x-thing-token"},
                 "Filters": {"shape": "Texts", "location": "querystring", "locationName": "filter"},
                 "Size": {"shape": "Size"},
                 "Tags": {"shape": "FlatTags", "locationName": "Tag"},
                 "Labels": {"shape": "Labels"},
                 "Attributes": {"shape": "Attributes"}}},
               "PutThingResponse": {"type": "structure", "members": {
                 "Location": {"shape": "Text", "location": "header", "locationName": "Location"},
                 "Tags": {"shape": "FlatTags", "locationName": "Tag"},
                 "Labels": {"shape": "Labels"},
                 "Attributes": {"shape": "Attributes"},
                 "Enabled": {"shape": "Flag"}}},
               "Oops": {"type": "structure", "members": {"message": {"shape": "Text"},
                 "details": {"shape": "Texts"}}, "error": {"httpStatusCode": 409}, "exception": true},
               "Name": {"type": "string", "min": 1, "max": 8},
               "Text": {"type": "string"},
               "Texts": {"type": "list", "member": {"shape": "Text", "locationName": "Detail"}},
               "Size": {"type": "integer", "min": 1, "max": 10},
               "Flag": {"type": "boolean"},
               "FlatTags": {"type": "list", "member": {"shape": "Tag"}, "flattened": true},
               "Tag": {"type": "structure", "members": {"Key": {"shape": "Text"}, "Value": {"shape": "Text"}}},
               "Labels": {"type": "list", "member": {"shape": "Text", "locationName": "Label"}},
               "Attributes": {"type": "map", "key": {"shape": "Text"}, "value": {"shape": "Text"}}}}
            """.formatted(NS);

    private static RestXmlBinding binding() throws Exception {
        JsonNode digest = JSON.readTree(MODEL);
        return new RestXmlBinding(ServiceModel.fromJson(digest), XmlTraits.of(digest), "InvalidInput");
    }

    private static ApiRequest request(String body, Map<String, List<String>> query) {
        var headers = ApiRequest.newHeaderMap();
        headers.put("x-thing-token", List.of("t-1"));
        return new ApiRequest("POST", "/things/box", "", query, headers, body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void bindsLabelsHeadersQueryListsFlattenedListsWrappedListsAndMaps() throws Exception {
        RestXmlBinding binding = binding();
        RestRouter.Route route = new RestRouter(binding.model()).route("POST", "/things/box", Map.of());
        String body = "<PutThingRequest xmlns=\"" + NS + "\"><Size> 3 </Size>"
                + "<Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>b</Key><Value>2</Value></Tag>"
                + "<Labels><Label>x</Label><Label>y</Label></Labels>"
                + "<Attributes><entry><key>k</key><value>v</value></entry></Attributes></PutThingRequest>";

        ObjectNode input = binding.input(route, request(body, Map.of("filter", List.of("f1", "f2"))));

        // Compared as text: numbers bind as longs, which JsonNode.equals tells apart from parsed ints.
        assertThat(input.toString()).isEqualTo(JSON.readTree("""
                {"Size": 3, "Tags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}],
                 "Labels": ["x", "y"], "Attributes": {"k": "v"}, "Name": "box", "Token": "t-1",
                 "Filters": ["f1", "f2"]}""").toString());
    }

    @Test
    void validatesTheBoundInputAgainstTheModel() throws Exception {
        RestXmlBinding binding = binding();
        RestRouter.Route route = new RestRouter(binding.model()).route("POST", "/things/box", Map.of());

        ApiException e = catchThrowableOfType(ApiException.class, () -> binding.input(route,
                request("<PutThingRequest xmlns=\"" + NS + "\"><Size>11</Size></PutThingRequest>", Map.of())));

        assertThat(e.code()).isEqualTo("InvalidInput");
        assertThat(e.status()).isEqualTo(400);
        assertThat(e.getMessage()).isEqualTo("1 validation error detected: Size: must be 1-10, not 11");
    }

    @Test
    void writesOutputsWithTheModelsElementNamesAndHeaders() throws Exception {
        ObjectNode output = (ObjectNode) JSON.readTree("""
                {"Location": "/things/box", "Tags": [{"Key": "a", "Value": "<1>"}], "Labels": ["x"],
                 "Attributes": {"k": "v"}, "Enabled": true}""");

        ApiResponse response = binding().output(binding().model().operation("PutThing"), output);

        assertThat(response.status()).isEqualTo(201);
        assertThat(response.headers()).containsEntry("Location", "/things/box").containsEntry("Content-Type",
                "text/xml");
        assertThat(new String(response.body(), StandardCharsets.UTF_8)).isEqualTo(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PutThingResponse xmlns=\"" + NS + "\">"
                        + "<Tag><Key>a</Key><Value>&lt;1&gt;</Value></Tag><Labels><Label>x</Label></Labels>"
                        + "<Attributes><entry><key>k</key><value>v</value></entry></Attributes>"
                        + "<Enabled>true</Enabled></PutThingResponse>");
    }

    @Test
    void writesErrorsWithTheirModelledMembersAndReplacesCharactersXmlCannotCarry() throws Exception {
        ObjectNode members = JSON.createObjectNode();
        members.putArray("details").add("one").add("two");

        ApiResponse response = binding().error(new ApiException("Oops", 409, "bad \u0000 thing", members), "req-1");

        assertThat(response.status()).isEqualTo(409);
        assertThat(new String(response.body(), StandardCharsets.UTF_8)).isEqualTo(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse xmlns=\"" + NS + "\"><Error>"
                        + "<Type>Sender</Type><Code>Oops</Code><Message>bad \uFFFD thing</Message>"
                        + "<details><Detail>one</Detail><Detail>two</Detail></details></Error>"
                        + "<RequestId>req-1</RequestId></ErrorResponse>");
    }
}
