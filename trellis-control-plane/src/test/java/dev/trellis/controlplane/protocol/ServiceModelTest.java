package dev.trellis.controlplane.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trellis.controlplane.ReferenceFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ServiceModelTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void committedLatticeDigestIsTheReferenceModelWithoutDocumentation() throws IOException {
        JsonNode reference = JSON.readTree(Files.readString(
                ReferenceFiles.resolve("aws-api/vpc-lattice-2022-11-30.json")));
        JsonNode committed;
        try (InputStream in = ServiceModel.class.getResourceAsStream(
                "/dev/trellis/controlplane/models/vpc-lattice-2022-11-30.json")) {
            committed = JSON.readTree(in);
        }

        assertThat(committed).isEqualTo(AwsModelDigest.digest(reference));
        assertThat(committed.toString()).doesNotContain("\"documentation\"");
    }

    @Test
    void committedAcmDigestIsTheReferenceModelWithoutDocumentation() throws IOException {
        JsonNode reference = JSON.readTree(Files.readString(ReferenceFiles.resolve("aws-api/acm-2015-12-08.json")));
        JsonNode committed;
        try (InputStream in = ServiceModel.class.getResourceAsStream(
                "/dev/trellis/controlplane/models/acm-2015-12-08.json")) {
            committed = JSON.readTree(in);
        }

        assertThat(committed).isEqualTo(AwsModelDigest.digest(reference));
        assertThat(committed.toString()).doesNotContain("\"documentation\"");
    }

    @Test
    void loadsTheAcmModelAsAJson11Service() {
        ServiceModel model = ServiceModel.load("acm-2015-12-08");

        assertThat(model.signingName()).isEqualTo("acm");
        assertThat(model.protocol()).isEqualTo("json");
        assertThat(model.targetPrefix()).isEqualTo("CertificateManager");
        assertThat(model.operations()).hasSize(17);
        assertThat(model.operation("ImportCertificate").inputShape()).isEqualTo("ImportCertificateRequest");
        assertThat(model.shape("PrivateKeyBlob").type()).isEqualTo(Shape.Type.BLOB);
        assertThat(model.shape("PrivateKeyBlob").max()).isEqualTo(5120L);
        assertThat(ServiceModel.load("vpc-lattice-2022-11-30").targetPrefix()).isNull();
    }

    @Test
    void loadsEveryLatticeOperationWithItsHttpBinding() {
        ServiceModel model = ServiceModel.load("vpc-lattice-2022-11-30");

        assertThat(model.signingName()).isEqualTo("vpc-lattice");
        assertThat(model.protocol()).isEqualTo("rest-json");
        assertThat(model.operations()).hasSize(73);
        OperationModel create = model.operation("CreateServiceNetworkServiceAssociation");
        assertThat(create.method()).isEqualTo("POST");
        assertThat(create.successStatus()).isEqualTo(200);
        assertThat(model.operation("CreateService").successStatus()).isEqualTo(201);
        assertThat(model.shape("ServiceName").max()).isEqualTo(40L);
    }

    @Test
    void everyOperationIsRoutedFromItsOwnTemplate() {
        ServiceModel model = ServiceModel.load("vpc-lattice-2022-11-30");
        RestRouter router = new RestRouter(model);

        for (OperationModel op : model.operations()) {
            String path = op.uri().toString().replaceAll("\\{[^}]+}", "x-1");
            RestRouter.Route route = router.route(op.method(), path, Map.of());
            assertThat(route).as(op.toString()).isNotNull();
            assertThat(route.operation().name()).as(op.toString()).isEqualTo(op.name());
        }
    }

    @Test
    void decodesPercentEncodedArnLabels() {
        RestRouter router = new RestRouter(ServiceModel.load("vpc-lattice-2022-11-30"));

        RestRouter.Route route = router.route("GET",
                "/tags/arn%3Aaws%3Avpc-lattice%3Aus-west-2%3A111122223333%3Aservice%2Fsvc-0123456789abcdef0",
                Map.of());

        assertThat(route.operation().name()).isEqualTo("ListTagsForResource");
        assertThat(route.labels()).containsEntry("resourceArn",
                "arn:aws:vpc-lattice:us-west-2:111122223333:service/svc-0123456789abcdef0");
    }

    @Test
    void unknownPathsAndMethodsHaveNoRoute() {
        RestRouter router = new RestRouter(ServiceModel.load("vpc-lattice-2022-11-30"));

        assertThat(router.route("GET", "/nothing-here", Map.of())).isNull();
        assertThat(router.route("PUT", "/services", Map.of())).isNull();
        assertThat(router.route("GET", "/services/a/b/c/d/e/f/g", Map.of(List.of().toString(), List.of()))).isNull();
    }
}
