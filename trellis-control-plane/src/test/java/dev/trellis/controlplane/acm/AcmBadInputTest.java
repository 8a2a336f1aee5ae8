package dev.trellis.controlplane.acm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trellis.auth.Principal;
import dev.trellis.controlplane.ControlPlaneConfig;
import dev.trellis.controlplane.api.Caller;
import dev.trellis.controlplane.pki.InternalCa;
import dev.trellis.controlplane.pki.MasterKey;
import dev.trellis.controlplane.protocol.ApiRequest;
import dev.trellis.controlplane.protocol.ApiResponse;
import dev.trellis.controlplane.store.Store;
import dev.trellis.controlplane.store.TestStores;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Malformed and hostile input to every ACM operation Trellis serves: each is a 400 with an ACM error code, never a
 * 500 (the HTTP server's answer to an exception an operation did not expect).
 */
class AcmBadInputTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ACCOUNT = "111122223333";
    private static final String ARN = "arn:aws:acm:us-west-2:111122223333:certificate/"
            + "12345678-1234-1234-1234-123456789012";

    @TempDir
    static Path dir;

    static Store store;
    static AcmService acm;

    @BeforeAll
    static void start() {
        store = TestStores.h2(dir);
        ControlPlaneConfig config = ControlPlaneConfig.defaults("us-west-2", ACCOUNT);
        MasterKey masterKey = MasterKey.generate();
        acm = new AcmService(store, config, Clock.systemUTC(), (caller, action, resource) -> { },
                InternalCa.loadOrCreate(store, masterKey, config, Clock.systemUTC()), masterKey,
                CertificateUsers.NONE);
    }

    @AfterAll
    static void stop() {
        store.close();
    }

    private static ApiResponse call(String operation, String body) {
        var headers = ApiRequest.newHeaderMap();
        headers.put("X-Amz-Target", List.of("CertificateManager." + operation));
        return acm.handle(new ApiRequest("POST", "/", "", Map.of(), headers, body.getBytes(StandardCharsets.UTF_8)),
                new Caller(Principal.accountRoot("aws", ACCOUNT), ACCOUNT, "test"));
    }

    private static String b64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void everyMalformedCallIsAClientError() throws Exception {
        String pemLike = b64("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("ImportCertificate", "{}");
        cases.put("ImportCertificate ", "{\"Certificate\":5,\"PrivateKey\":[]}");
        cases.put("ImportCertificate  ", "{\"Certificate\":\"" + pemLike + "\",\"PrivateKey\":\"" + pemLike + "\"}");
        cases.put("ImportCertificate   ", "{\"Certificate\":\"" + b64("garbage") + "\",\"PrivateKey\":\""
                + b64("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n") + "\"}");
        cases.put("ImportCertificate    ", "{\"Certificate\":\"" + pemLike + "\",\"PrivateKey\":\"" + b64("k")
                + "\",\"CertificateArn\":\"arn:aws:acm:us-west-2:1:certificate/x\"}");
        cases.put("ImportCertificate     ", "{\"Certificate\":\"" + pemLike + "\",\"PrivateKey\":\"" + b64("k")
                + "\",\"Tags\":[{\"Key\":\"aws:x\"}]}");
        cases.put("RequestCertificate", "{\"DomainName\":null}");
        cases.put("RequestCertificate ", "{\"DomainName\":\"x.io\",\"SubjectAlternativeNames\":[null]}");
        cases.put("RequestCertificate  ", "{\"DomainName\":\"x.io\",\"KeyAlgorithm\":\"RSA_9\"}");
        cases.put("RequestCertificate   ", "{\"DomainName\":\"x.io\",\"Options\":\"yes\"}");
        cases.put("RequestCertificate    ", "{\"DomainName\":\"x.io\",\"IdempotencyToken\":\"not-word-chars\"}");
        cases.put("DescribeCertificate", "{\"CertificateArn\":{}}");
        cases.put("DescribeCertificate ", "{\"CertificateArn\":\"arn:aws:acm:us-west-2:111122223333:certificate/"
                + "../../etc\"}");
        cases.put("DescribeCertificate  ", "{\"CertificateArn\":\"" + ARN + "\"}");
        cases.put("GetCertificate", "{\"CertificateArn\":\"" + ARN.replace("acm", "iam") + "\"}");
        cases.put("ListCertificates", "{\"MaxItems\":0}");
        cases.put("ListCertificates ", "{\"MaxItems\":\"ten\"}");
        cases.put("ListCertificates  ", "{\"NextToken\":\"" + b64("ListCertificates:-5") + "\"}");
        cases.put("ListCertificates   ", "{\"Includes\":{\"keyTypes\":[\"RSA_9\"]}}");
        cases.put("ListCertificates    ", "{\"CertificateStatuses\":\"ISSUED\"}");
        cases.put("DeleteCertificate", "{\"CertificateArn\":\"" + ARN + "\"}");
        cases.put("AddTagsToCertificate", "{\"CertificateArn\":\"" + ARN + "\",\"Tags\":[]}");
        cases.put("AddTagsToCertificate ", "{\"CertificateArn\":\"" + ARN + "\",\"Tags\":[{\"Value\":\"v\"}]}");
        cases.put("RemoveTagsFromCertificate", "{\"CertificateArn\":\"" + ARN + "\",\"Tags\":[{\"Key\":\"k\"}]}");
        cases.put("ListTagsForCertificate", "[1,2]");
        cases.put("RenewCertificate", "{\"CertificateArn\":\"" + ARN + "\"}");
        cases.put("NoSuchOperation", "{}");

        for (Map.Entry<String, String> c : cases.entrySet()) {
            ApiResponse response = call(c.getKey().strip(), c.getValue());
            JsonNode body = JSON.readTree(response.body());
            assertThat(response.status()).as(c.getKey() + " " + c.getValue() + ": " + body).isEqualTo(400);
            assertThat(body.get("__type").asText()).as(c.getKey()).matches("[A-Za-z]+Exception");
            assertThat(body.get("message").asText()).as(c.getKey()).isNotBlank();
        }
    }
}
