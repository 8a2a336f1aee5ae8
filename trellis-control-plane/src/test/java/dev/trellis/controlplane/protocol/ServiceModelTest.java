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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ServiceModelTest {

    private static final ObjectMapper JSON = new ObjectMapper();

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

    @ParameterizedTest
    @ValueSource(strings = {"iam-2010-05-08", "sts-2011-06-15"})
    void committedQueryDigestsAreTheReferenceModelsWithoutDocumentation(String name) throws IOException {
        JsonNode reference = JSON.readTree(Files.readString(ReferenceFiles.resolve("aws-api/" + name + ".json")));
        JsonNode committed;
        try (InputStream in = ServiceModel.class.getResourceAsStream(
                "/dev/trellis/controlplane/models/" + name + ".json")) {
            committed = JSON.readTree(in);
        }

        assertThat(committed).isEqualTo(AwsModelDigest.digest(reference));
        assertThat(committed.toString()).doesNotContain("\"documentation\"");
    }

    @Test
    void loadsTheIamAndStsModelsAsQueryModels() {
        ServiceModel iam = ServiceModel.load("iam-2010-05-08");
        ServiceModel sts = ServiceModel.load("sts-2011-06-15");

        assertThat(iam.signingName()).isEqualTo("iam");
        assertThat(iam.protocol()).isEqualTo("query");
        assertThat(iam.apiVersion()).isEqualTo("2010-05-08");
        assertThat(iam.shape("userNameType").max()).isEqualTo(64L);
        assertThat(sts.signingName()).isEqualTo("sts");
        assertThat(sts.operation("AssumeRoleWithWebIdentity").inputShape())
                .isEqualTo("AssumeRoleWithWebIdentityRequest");
    }

    @Test
    void supplementaryCodePointsInModelPatternsAreCodePoints() {
        Shape arn = ServiceModel.load("sts-2011-06-15").shape("arnType");

        assertThat(arn.pattern().matcher("arn:aws:iam::111122223333:role/\uD83D\uDE00").matches()).isTrue();
        assertThat(arn.pattern().matcher("arn:aws:iam::111122223333:role/x\u0001").matches()).isFalse();
    }

    @Test
    void committedRoute53DigestIsTheReferenceModelWithoutDocumentation() throws IOException {
        JsonNode reference = JSON.readTree(Files.readString(
                ReferenceFiles.resolve("aws-api/route53-2013-04-01.json")));
        JsonNode committed;
        try (InputStream in = ServiceModel.class.getResourceAsStream(
                "/dev/trellis/controlplane/models/route53-2013-04-01.json")) {
            committed = JSON.readTree(in);
        }

        assertThat(committed).isEqualTo(AwsModelDigest.digest(reference));
        assertThat(committed.toString()).doesNotContain("\"documentation\"");
    }

    @Test
    void loadsTheRoute53ModelWithItsRestXmlBindings() {
        ServiceModel model = ServiceModel.load("route53-2013-04-01");

        assertThat(model.signingName()).isEqualTo("route53");
        assertThat(model.protocol()).isEqualTo("rest-xml");
        assertThat(model.operation("CreateHostedZone").successStatus()).isEqualTo(201);
        assertThat(model.shape("CreateHostedZoneResponse").members().get("Location").location())
                .isEqualTo(Shape.Location.HEADER);
        XmlTraits traits = XmlTraits.of(ServiceModel.readDigest("route53-2013-04-01"));
        assertThat(traits.namespace()).isEqualTo("https://route53.amazonaws.com/doc/2013-04-01/");
        assertThat(traits.inputRoot("ChangeResourceRecordSets")).isEqualTo("ChangeResourceRecordSetsRequest");
        assertThat(traits.listMemberName("Changes")).isEqualTo("Change");
        assertThat(traits.listMemberName("ErrorMessages")).isEqualTo("Message");
    }

    @Test
    void routesRoute53PathsWithTheirLiteralQueryParts() {
        ServiceModel model = ServiceModel.load("route53-2013-04-01");
        RestRouter router = new RestRouter(model);

        assertThat(router.route("GET", "/2013-04-01/hostedzone/Z1", Map.of()).operation().name())
                .isEqualTo("GetHostedZone");
        assertThat(router.route("GET", "/2013-04-01/hostedzone", Map.of()).operation().name())
                .isEqualTo("ListHostedZones");
        assertThat(router.route("GET", "/2013-04-01/hostedzone/Z1/rrset", Map.of()).operation().name())
                .isEqualTo("ListResourceRecordSets");
        RestRouter.Route change = router.route("POST", "/2013-04-01/hostedzone/Z1/rrset/", Map.of());
        assertThat(change.operation().name()).isEqualTo("ChangeResourceRecordSets");
        assertThat(change.labels()).containsEntry("Id", "Z1");
        assertThat(router.route("POST", "/2013-04-01/hostedzone/Z1/associatevpc", Map.of()).operation().name())
                .isEqualTo("AssociateVPCWithHostedZone");
        assertThat(router.route("GET", "/2013-04-01/change/C1", Map.of()).operation().name())
                .isEqualTo("GetChange");
        assertThat(router.route("GET", "/2013-04-01/hostedzone/%2Fhostedzone%2FZ1", Map.of()).labels())
                .containsEntry("Id", "/hostedzone/Z1");
        for (OperationModel op : model.operations()) {
            String path = op.uri().toString().replaceAll("\\{[^}]+}", "x-1");
            int q = path.indexOf('?');
            Map<String, List<String>> query = new java.util.HashMap<>();
            if (q >= 0) {
                for (String part : path.substring(q + 1).split("&")) {
                    query.put(part.split("=")[0], List.of(""));
                }
                path = path.substring(0, q);
            }
            RestRouter.Route route = router.route(op.method(), path, query);
            assertThat(route).as(op.toString()).isNotNull();
            assertThat(route.operation().name()).as(op.toString()).isEqualTo(op.name());
        }
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
