package dev.trellis.controlplane.lattice;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trellis.controlplane.protocol.OperationModel;
import dev.trellis.controlplane.protocol.ServiceModel;
import dev.trellis.controlplane.protocol.Shape;
import dev.trellis.controlplane.store.TestStores;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** The API as raw HTTP: what clients that are not the AWS SDK may send, and what they get back. */
@ParameterizedClass
@EnumSource(TestStores.Kind.class)
class LatticeWireTest extends LatticeApiTestBase {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private record Answer(int status, String errorType, JsonNode body) {
    }

    private static Answer send(String method, String pathAndQuery, String body) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(endpoint() + pathAndQuery))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json")
                .build();
        try {
            HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
            JsonNode json = response.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(response.body());
            return new Answer(response.statusCode(), response.headers().firstValue("x-amzn-ErrorType").orElse(null),
                    json);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Test
    void answersMalformedJsonWithCannotParse() {
        Answer answer = send("POST", "/servicenetworks", "{\"name\": ");

        assertThat(answer.status()).isEqualTo(400);
        assertThat(answer.errorType()).isEqualTo("ValidationException");
        assertThat(answer.body().get("reason").asText()).isEqualTo("cannotParse");
    }

    @Test
    void answersAnUnknownPathWithUnknownOperation() {
        Answer answer = send("GET", "/nothing-here", null);

        assertThat(answer.status()).isEqualTo(400);
        assertThat(answer.body().get("reason").asText()).isEqualTo("unknownOperation");
    }

    @Test
    void answersUnregisteredOperationsAsNotSupportedYet() {
        for (String path : List.of("/resourcegateways", "/resourceconfigurations", "/domainverifications",
                "/servicenetworkresourceassociations", "/resourceendpointassociations?resourceConfigurationIdentifier="
                        + "rcfg-0123456789abcdef0", "/servicenetworkvpcendpointassociations?serviceNetworkIdentifier="
                        + "sn-0123456789abcdef0")) {
            Answer answer = send("GET", path, null);
            assertThat(answer.status()).as(path).isEqualTo(400);
            assertThat(answer.body().get("message").asText()).as(path).contains("not supported by Trellis yet");
        }
    }

    @Test
    void createsWithAStatusOf201AndAssociatesWith200() {
        Answer network = send("POST", "/servicenetworks", "{\"name\":\"wire-" + System.nanoTime() + "\"}");
        Answer service = send("POST", "/services", "{\"name\":\"wire-" + System.nanoTime() % 100000 + "\"}");
        Answer association = send("POST", "/servicenetworkserviceassociations", "{\"serviceNetworkIdentifier\":\""
                + network.body().get("id").asText() + "\",\"serviceIdentifier\":\"" + service.body().get("id").asText()
                + "\"}");
        Answer deleted = send("DELETE", "/servicenetworkserviceassociations/" + association.body().get("id").asText(),
                null);

        assertThat(network.status()).isEqualTo(201);
        assertThat(service.status()).isEqualTo(201);
        assertThat(association.status()).isEqualTo(200);
        assertThat(deleted.status()).isEqualTo(200);
        assertThat(send("DELETE", "/servicenetworks/" + network.body().get("id").asText(), null).status())
                .isEqualTo(204);
    }

    /**
     * Sends every registered operation bodies with members of the wrong type, nulls and empty containers: every
     * answer is a 4xx, never a 500.
     */
    @Test
    void neverAnswersBadInputWithA500() {
        ServiceModel model = ServiceModel.load(LatticeService.MODEL);
        List<String> failures = new ArrayList<>();
        List<String> values = List.of("null", "1", "\"x\"", "[]", "{}", "[null]", "{\"a\":null}", "[{}]");
        for (String name : LatticeOperations.all().keySet()) {
            OperationModel op = model.operation(name);
            String path = fill(op.uri().toString());
            Shape input = model.shape(op.inputShape());
            List<String> bodies = new ArrayList<>(List.of("{}", "[]", "\"text\"", "{\"unknown\":1}"));
            for (Map.Entry<String, Shape.Member> member : input.members().entrySet()) {
                if (member.getValue().location() == Shape.Location.BODY) {
                    for (String value : values) {
                        bodies.add("{\"" + member.getKey() + "\":" + value + "}");
                    }
                }
            }
            for (String body : bodies) {
                Answer answer = send(op.method(), path, body);
                if (answer.status() >= 500) {
                    failures.add(name + " " + body + " -> " + answer.status() + " " + answer.body());
                }
            }
        }
        assertThat(failures).isEmpty();
    }

    private static String fill(String template) {
        String serviceArn = "arn:aws:vpc-lattice:us-west-2:111122223333:service/svc-0123456789abcdef0";
        String path = template
                .replace("{serviceNetworkIdentifier}", "sn-0123456789abcdef0")
                .replace("{serviceIdentifier}", "svc-0123456789abcdef0")
                .replace("{listenerIdentifier}", "listener-0123456789abcdef0")
                .replace("{ruleIdentifier}", "rule-0123456789abcdef0")
                .replace("{targetGroupIdentifier}", "tg-0123456789abcdef0")
                .replace("{serviceNetworkVpcAssociationIdentifier}", "snva-0123456789abcdef0")
                .replace("{serviceNetworkServiceAssociationIdentifier}", "snsa-0123456789abcdef0")
                .replace("{accessLogSubscriptionIdentifier}", "als-0123456789abcdef0")
                .replace("{resourceIdentifier}", "svc-0123456789abcdef0")
                .replace("{resourceArn}", URLEncoder.encode(serviceArn, StandardCharsets.UTF_8));
        return path.startsWith("/tags/") ? path + "?tagKeys=team" : path;
    }
}
