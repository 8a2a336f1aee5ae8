package dev.trellis.controlplane.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class Json11BindingTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Json11Binding ACM = new Json11Binding(ServiceModel.load("acm-2015-12-08"), JSON);

    private static ApiRequest post(String target, String body) {
        var headers = ApiRequest.newHeaderMap();
        if (target != null) {
            headers.put("X-Amz-Target", List.of(target));
        }
        headers.put("Content-Type", List.of(Json11Binding.CONTENT_TYPE));
        return new ApiRequest("POST", "/", "", Map.of(), headers, body.getBytes(StandardCharsets.UTF_8));
    }

    private static ApiException failure(Runnable call) {
        ApiException e = catchThrowableOfType(ApiException.class, call::run);
        assertThat(e).as("the call's error").isNotNull();
        return e;
    }

    @Test
    void theTargetHeaderNamesTheOperation() {
        assertThat(ACM.operation(post("CertificateManager.DescribeCertificate", "{}")).name())
                .isEqualTo("DescribeCertificate");
    }

    @Test
    void aMissingForeignOrUnknownTargetIsUnknownOperation() {
        assertThat(failure(() -> ACM.operation(post(null, "{}"))).getMessage()).isEqualTo("The X-Amz-Target header"
                + " must name an operation as CertificateManager.<Operation>");
        assertThat(failure(() -> ACM.operation(post("Route53.ListCertificates", "{}"))).getMessage())
                .endsWith(", not 'Route53.ListCertificates'");
        ApiException unknown = failure(() -> ACM.operation(post("CertificateManager.MakeCoffee", "{}")));
        assertThat(unknown.code()).isEqualTo("UnknownOperationException");
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.getMessage()).isEqualTo("No operation named 'MakeCoffee'");
    }

    @Test
    void aBodyThatIsNotAJsonObjectIsASerializationError() {
        OperationModel op = ServiceModel.load("acm-2015-12-08").operation("ListCertificates");

        for (String body : List.of("{", "[]", "\"text\"", "{\"a\":}")) {
            ApiException e = failure(() -> ACM.input(op, post("CertificateManager.ListCertificates", body)));
            assertThat(e.code()).as(body).isEqualTo("SerializationException");
            assertThat(e.status()).isEqualTo(400);
        }
        assertThat(ACM.input(op, post("CertificateManager.ListCertificates", ""))).isEmpty();
    }

    @Test
    void inputIsValidatedAgainstTheModelIncludingBlobs() {
        OperationModel op = ServiceModel.load("acm-2015-12-08").operation("ImportCertificate");
        String big = Base64.getEncoder().encodeToString(new byte[5121]);

        ApiException e = failure(() -> ACM.input(op, post("CertificateManager.ImportCertificate",
                "{\"Certificate\":\"not base64!\",\"PrivateKey\":\"" + big + "\",\"Tags\":[{\"Key\":5}]}")));

        assertThat(e.code()).isEqualTo("ValidationException");
        assertThat(e.getMessage()).startsWith("3 validation errors detected: ")
                .contains("Certificate: must be base64 text")
                .contains("PrivateKey: must be 1-5120 bytes, not 5121")
                .contains("Tags[0].Key: must be a string");
    }

    @Test
    void outputKeepsTheShapesMembersAndWritesTimestampsAsEpochSeconds() throws Exception {
        OperationModel op = ServiceModel.load("acm-2015-12-08").operation("DescribeCertificate");
        ObjectNode certificate = JSON.createObjectNode()
                .put("CertificateArn", "arn:aws:acm:us-west-2:111122223333:certificate/x")
                .put("NotAfter", "2027-01-02T03:04:05.678Z")
                .put("_privateKey", "v1.secret");
        ObjectNode output = JSON.createObjectNode();
        output.set("Certificate", certificate);

        ApiResponse response = ACM.output(op, output);

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.headers()).containsEntry("Content-Type", "application/x-amz-json-1.1");
        assertThat(new String(response.body(), StandardCharsets.UTF_8)).isEqualTo("{\"Certificate\":{"
                + "\"CertificateArn\":\"arn:aws:acm:us-west-2:111122223333:certificate/x\","
                + "\"NotAfter\":1798859045.678}}");
    }

    @Test
    void errorsCarryTypeAndMessageOnly() throws Exception {
        ApiResponse response = ACM.error(ApiException.invalidField("CertificateArn", "is required"));

        JsonNode body = JSON.readTree(response.body());
        assertThat(response.status()).isEqualTo(400);
        assertThat(response.headers()).containsEntry("Content-Type", "application/x-amz-json-1.1");
        assertThat(body.get("__type").asText()).isEqualTo("ValidationException");
        assertThat(body.get("message").asText()).isEqualTo("1 validation error detected: CertificateArn: is required");
        assertThat(body.size()).isEqualTo(2);
    }

    @Test
    void aRestModelCannotBeBoundAsJson11() {
        IllegalArgumentException e = catchThrowableOfType(IllegalArgumentException.class,
                () -> new Json11Binding(ServiceModel.load("vpc-lattice-2022-11-30"), JSON));
        assertThat(e).hasMessageContaining("has no targetPrefix");
    }
}
