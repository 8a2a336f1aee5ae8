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

    /**
     * Takes a valid request of each kind that reaches deep into the operations (actions, matches, health checks,
     * targets, DNS options) and replaces each part of it, one at a time, with values of every other JSON type:
     * every answer is a 2xx or a 4xx, never a 500.
     */
    @Test
    void neverAnswersAPerturbedValidRequestWithA500() throws IOException {
        // Unsigned requests act for the default account (LatticeApiTestBase.accountOf).
        String vpc = createVpc("111122223333");
        String otherVpc = createVpc("111122223333");
        String svc = send("POST", "/services", "{\"name\":\"perturbed\",\"customDomainName\":\"p.example.com\"}")
                .body().path("id").asText(null);
        String tg = send("POST", "/targetgroups", "{\"name\":\"perturbed-tg\",\"type\":\"IP\",\"config\":"
                + "{\"protocol\":\"HTTP\",\"port\":80,\"vpcIdentifier\":\"" + vpc + "\"}}")
                .body().path("id").asText(null);
        String sn = send("POST", "/servicenetworks", "{\"name\":\"perturbed-" + System.nanoTime() + "\"}")
                .body().path("id").asText(null);
        assertThat(List.of(String.valueOf(svc), String.valueOf(tg), String.valueOf(sn))).doesNotContain("null");
        String listener = send("POST", "/services/" + svc + "/listeners", "{\"name\":\"perturbed\","
                + "\"protocol\":\"HTTP\",\"defaultAction\":{\"fixedResponse\":{\"statusCode\":404}}}")
                .body().path("id").asText();
        String forward = "{\"forward\":{\"targetGroups\":[{\"targetGroupIdentifier\":\"" + tg
                + "\",\"weight\":10}]}}";
        String match = "{\"httpMatch\":{\"method\":\"GET\",\"pathMatch\":{\"match\":{\"prefix\":\"/a\"},"
                + "\"caseSensitive\":true},\"headerMatches\":[{\"name\":\"x-v\",\"match\":{\"exact\":\"1\"}}]}}";
        String rule = send("POST", "/services/" + svc + "/listeners/" + listener + "/rules", "{\"name\":\"base\","
                + "\"priority\":1,\"match\":" + match + ",\"action\":" + forward + "}").body().path("id").asText();
        assertThat(listener).startsWith("listener-");
        assertThat(rule).startsWith("rule-");
        String healthCheck = "{\"enabled\":true,\"protocol\":\"HTTP\",\"protocolVersion\":\"HTTP1\",\"port\":81,"
                + "\"path\":\"/h\",\"healthCheckIntervalSeconds\":10,\"healthCheckTimeoutSeconds\":2,"
                + "\"healthyThresholdCount\":3,\"unhealthyThresholdCount\":3,\"matcher\":{\"httpCode\":\"200\"}}";
        Map<String, String[]> requests = Map.of(
                "CreateListener", new String[] {"POST", "/services/" + svc + "/listeners", "{\"name\":\"other\","
                        + "\"protocol\":\"HTTP\",\"port\":8080,\"defaultAction\":" + forward + "}"},
                "CreateRule", new String[] {"POST", "/services/" + svc + "/listeners/" + listener + "/rules",
                    "{\"name\":\"perturbed\",\"priority\":2,\"match\":" + match + ",\"action\":" + forward + "}"},
                "BatchUpdateRule", new String[] {"PATCH", "/services/" + svc + "/listeners/" + listener + "/rules",
                    "{\"rules\":[{\"ruleIdentifier\":\"" + rule + "\",\"priority\":3,\"match\":" + match
                        + ",\"action\":" + forward + "}]}"},
                "CreateTargetGroup", new String[] {"POST", "/targetgroups", "{\"name\":\"perturbed-2\",\"type\":\"IP\","
                        + "\"config\":{\"protocol\":\"HTTPS\",\"port\":443,\"protocolVersion\":\"HTTP2\","
                        + "\"ipAddressType\":\"IPV6\",\"vpcIdentifier\":\"" + vpc + "\",\"healthCheck\":"
                        + healthCheck + "}}"},
                "UpdateTargetGroup", new String[] {"PATCH", "/targetgroups/" + tg, "{\"healthCheck\":" + healthCheck
                        + "}"},
                "RegisterTargets", new String[] {"POST", "/targetgroups/" + tg + "/registertargets",
                    "{\"targets\":[{\"id\":\"10.0.0.1\",\"port\":80}]}"},
                "ListTargets", new String[] {"POST", "/targetgroups/" + tg + "/listtargets",
                    "{\"targets\":[{\"id\":\"10.0.0.1\",\"port\":80}]}"},
                "CreateServiceNetworkVpcAssociation", new String[] {"POST", "/servicenetworkvpcassociations",
                    "{\"serviceNetworkIdentifier\":\"" + sn + "\",\"vpcIdentifier\":\"" + otherVpc + "\","
                        + "\"securityGroupIds\":[\"sg-0123456789abcdef0\"],\"privateDnsEnabled\":true,"
                        + "\"dnsOptions\":{\"privateDnsPreference\":\"SPECIFIED_DOMAINS_ONLY\","
                        + "\"privateDnsSpecifiedDomains\":[\"p.example.com\"]},\"tags\":{\"k\":\"v\"}}"},
                "PutAuthPolicy", new String[] {"PUT", "/authpolicy/" + svc, "{\"policy\":\"{}\"}"},
                "CreateAccessLogSubscription", new String[] {"POST", "/accesslogsubscriptions",
                    "{\"resourceIdentifier\":\"" + sn + "\",\"destinationArn\":\"arn:aws:s3:::bucket\","
                        + "\"serviceNetworkLogType\":\"RESOURCE\"}"});
        List<String> values = List.of("null", "0", "-1", "\"\"", "\"x\"", "[]", "{}", "true", "99999999999",
                "[null]", "{\"a\":1}");
        List<String> failures = new ArrayList<>();
        for (Map.Entry<String, String[]> request : requests.entrySet()) {
            String[] r = request.getValue();
            JsonNode valid = JSON.readTree(r[2]);
            for (List<Object> path : paths(valid, new ArrayList<>())) {
                for (String value : values) {
                    JsonNode perturbed = replace(valid.deepCopy(), path, JSON.readTree(value));
                    Answer answer = send(r[0], r[1], perturbed.toString());
                    if (answer.status() >= 500) {
                        failures.add(request.getKey() + " " + perturbed + " -> " + answer.status() + " "
                                + answer.body());
                    }
                }
            }
        }
        assertThat(failures).isEmpty();
    }

    /** Every path (object keys and array indexes) to a node below {@code node}. */
    private static List<List<Object>> paths(JsonNode node, List<Object> prefix) {
        List<List<Object>> paths = new ArrayList<>();
        if (node.isObject()) {
            node.fieldNames().forEachRemaining(name -> {
                List<Object> path = new ArrayList<>(prefix);
                path.add(name);
                paths.add(path);
                paths.addAll(paths(node.get(name), path));
            });
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                List<Object> path = new ArrayList<>(prefix);
                path.add(i);
                paths.add(path);
                paths.addAll(paths(node.get(i), path));
            }
        }
        return paths;
    }

    private static JsonNode replace(JsonNode root, List<Object> path, JsonNode value) {
        JsonNode parent = root;
        for (Object step : path.subList(0, path.size() - 1)) {
            parent = step instanceof Integer i ? parent.get(i) : parent.get((String) step);
        }
        Object last = path.get(path.size() - 1);
        if (last instanceof Integer i) {
            ((com.fasterxml.jackson.databind.node.ArrayNode) parent).set(i, value);
        } else {
            ((com.fasterxml.jackson.databind.node.ObjectNode) parent).set((String) last, value);
        }
        return root;
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
