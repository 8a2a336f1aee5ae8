package dev.trellis.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trellis.controller.injector.InjectorConfig;
import dev.trellis.controller.injector.InjectorServer;
import dev.trellis.controller.injector.NamespaceLabels;
import dev.trellis.controller.injector.SidecarInjector;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.zjsonpatch.JsonPatch;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code trellis injector} over HTTPS with real AdmissionReview bodies: the walkthrough's {@code frontend-auth.yaml}
 * pod template goes in, the JSON patch that comes back is applied with an independent RFC 6902 implementation
 * (zjsonpatch), and the resulting sidecar's arguments are parsed by {@code trellis sigv4-proxy}'s own command class.
 * Namespace labels come from fabric8's API server in CRUD mode.
 */
class SidecarInjectorTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    static KubernetesMockServer kubernetes;
    static KubernetesClient client;
    static InjectorServer server;
    static HttpClient http;
    static URI mutate;

    @BeforeAll
    static void start() throws Exception {
        kubernetes = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        kubernetes.init();
        client = kubernetes.createClient();
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("apps").endMetadata().build())
                .create();
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("signed")
                .addToLabels(Map.of("sidecar-inject", "true", "sidecar-host", "datastore.sarathy.io",
                        "sidecar-name", "vpc-lattice-svcs", "sidecar-region", "eu-west-1",
                        "sidecar-unsigned-payload", "true", "sidecar-upstream-url-scheme", "http"))
                .endMetadata().build()).create();

        // RSA with a PKCS#1 key file ("RSA PRIVATE KEY"), as cert-manager writes tls.key by default.
        KeyPair rsa = KeyPairGenerator.getInstance("RSA").generateKeyPair();
        X509Certificate certificate = selfSigned(rsa, "SHA256withRSA");
        Path cert = write("tls.crt", pem(certificate));
        Path key = write("tls.key", pem(rsa.getPrivate()));
        assertThat(Files.readString(key)).startsWith("-----BEGIN RSA PRIVATE KEY-----");

        InjectorConfig config = InjectorConfig.defaults(cert, key).withListen("127.0.0.1", 0)
                .withExtraArguments(List.of("--sts-endpoint=http://trellis-control-plane.trellis-system:8080"));
        server = InjectorServer.start(config, new SidecarInjector(config, new NamespaceLabels(client)));
        http = HttpClient.newBuilder().sslContext(trusting(certificate)).connectTimeout(Duration.ofSeconds(5)).build();
        mutate = URI.create("https://localhost:" + server.address().getPort() + InjectorServer.MUTATE_PATH);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (client != null) {
            client.close();
        }
        if (kubernetes != null) {
            kubernetes.destroy();
        }
    }

    @Test
    void injectsTheFrontendAuthPodWithArgumentsTheSigv4ProxyCommandAccepts() throws Exception {
        Pod pod = frontendAuthPod();
        JsonNode response = reviewOk(review(pod, "apps", "CREATE"));

        assertThat(response.path("allowed").asBoolean()).isTrue();
        assertThat(response.path("patchType").asText()).isEqualTo("JSONPatch");
        Pod patched = applyPatch(pod, response);

        assertThat(patched.getMetadata().getAnnotations())
                .containsEntry("sidecar.aws.signing-proxy/status", "injected")
                .containsEntry("sidecar.aws.signing-proxy/host", "datastore-lambda.sarathy.io");
        assertThat(patched.getSpec().getContainers()).extracting(Container::getName)
                .containsExactly("go", "sidecar-aws-sigv4-proxy");
        Container sidecar = patched.getSpec().getContainers().get(1);
        assertThat(sidecar.getImage()).isEqualTo(InjectorConfig.DEFAULT_IMAGE);
        assertThat(sidecar.getImagePullPolicy()).isEqualTo("IfNotPresent");
        assertThat(sidecar.getPorts()).singleElement()
                .satisfies(p -> assertThat(p.getContainerPort()).isEqualTo(8005));
        assertThat(sidecar.getArgs()).containsExactly("sigv4-proxy", "--name", "vpc-lattice-svcs",
                "--region", "us-west-2", "--host", "datastore-lambda.sarathy.io", "--port", ":8005",
                "--unsigned-payload", "--upstream-url-scheme", "https",
                "--sts-endpoint=http://trellis-control-plane.trellis-system:8080");

        // The real parser of `trellis sigv4-proxy` accepts them and reads what the annotations meant.
        Sigv4ProxyCommand proxy = parseSidecar(sidecar.getArgs());
        assertThat(proxy.name).isEqualTo("vpc-lattice-svcs");
        assertThat(proxy.region).isEqualTo("us-west-2");
        assertThat(proxy.host).isEqualTo("datastore-lambda.sarathy.io");
        assertThat(proxy.listen).isEqualTo(":8005");
        assertThat(proxy.unsignedPayload).isTrue();
        assertThat(proxy.scheme).isEqualTo("https");
        assertThat(proxy.stsEndpoint).isEqualTo(URI.create("http://trellis-control-plane.trellis-system:8080"));
        // The app still calls localhost:8005, where the sidecar listens.
        assertThat(patched.getSpec().getContainers().get(0).getEnv().get(0).getValue()).isEqualTo("localhost:8005");
    }

    @Test
    void passesTheRoleArnAndAddsTheAnnotationsMapWhenThePodHasNone() throws Exception {
        Pod pod = new PodBuilder().withNewMetadata().withGenerateName("client-").withNamespace("signed")
                .endMetadata().withNewSpec().addNewContainer().withName("app").withImage("busybox").endContainer()
                .endSpec().build();
        pod.getMetadata().setAnnotations(null);
        // No annotations at all: the namespace's labels ask for the sidecar and give every setting.
        Pod patched = applyPatch(pod, reviewOk(review(pod, "signed", "CREATE")));

        assertThat(patched.getMetadata().getAnnotations()).containsExactly(
                Map.entry("sidecar.aws.signing-proxy/status", "injected"));
        Sigv4ProxyCommand proxy = parseSidecar(patched.getSpec().getContainers().get(1).getArgs());
        assertThat(proxy.host).isEqualTo("datastore.sarathy.io");
        assertThat(proxy.region).isEqualTo("eu-west-1");
        assertThat(proxy.name).isEqualTo("vpc-lattice-svcs");
        assertThat(proxy.unsignedPayload).isTrue();
        assertThat(proxy.scheme).isEqualTo("http");

        Pod withRole = frontendAuthPod();
        withRole.getMetadata().getAnnotations().put("sidecar.aws.signing-proxy/role-arn",
                "arn:aws:iam::111122223333:role/aws-sigv4-client");
        Sigv4ProxyCommand assumed = parseSidecar(applyPatch(withRole, reviewOk(review(withRole, "apps", "CREATE")))
                .getSpec().getContainers().get(1).getArgs());
        assertThat(assumed.roleArn).isEqualTo("arn:aws:iam::111122223333:role/aws-sigv4-client");
    }

    @Test
    void aPodInALabelledNamespaceCanOptOutAndItsOwnHostWinsOverTheNamespaces() throws Exception {
        Pod optedOut = new PodBuilder().withNewMetadata().withName("batch").withNamespace("signed")
                .addToAnnotations("sidecar.aws.signing-proxy/inject", "off").endMetadata()
                .withNewSpec().addNewContainer().withName("app").withImage("busybox").endContainer().endSpec().build();
        JsonNode response = reviewOk(review(optedOut, "signed", "CREATE"));
        assertThat(response.path("allowed").asBoolean()).isTrue();
        assertThat(response.has("patch")).isFalse();
        assertThat(response.path("warnings").toString()).contains("opted out");

        // Its own host: name and region come from its annotations (derived from a Lattice name), not the namespace.
        Pod own = new PodBuilder().withNewMetadata().withName("own").withNamespace("signed")
                .addToAnnotations("sidecar.aws.signing-proxy/host",
                        "datastore-0123456789abcdef0.7d67968.vpc-lattice-svcs.ap-south-1.on.aws")
                .endMetadata()
                .withNewSpec().addNewContainer().withName("app").withImage("busybox").endContainer().endSpec().build();
        Sigv4ProxyCommand proxy = parseSidecar(applyPatch(own, reviewOk(review(own, "signed", "CREATE")))
                .getSpec().getContainers().get(1).getArgs());
        assertThat(proxy.region).isEqualTo("ap-south-1");
        assertThat(proxy.name).isEqualTo("vpc-lattice-svcs");
        assertThat(proxy.unsignedPayload).isFalse();
        assertThat(proxy.scheme).isEqualTo("https");
    }

    @Test
    void leavesAlreadyInjectedOptedOutAndHostlessPodsUnchangedSayingWhy() throws Exception {
        Pod injected = frontendAuthPod();
        injected.getMetadata().getAnnotations().put("sidecar.aws.signing-proxy/status", "injected");
        assertUnchanged(injected, "apps", "already injected");

        Pod optedOut = frontendAuthPod();
        optedOut.getMetadata().getAnnotations().put("sidecar.aws.signing-proxy/inject", "false");
        assertUnchanged(optedOut, "apps", "opted out");

        Pod hostless = frontendAuthPod();
        hostless.getMetadata().getAnnotations().remove("sidecar.aws.signing-proxy/host");
        assertUnchanged(hostless, "apps", "no host: sidecar.aws.signing-proxy/host");

        Pod plain = frontendAuthPod();
        plain.getMetadata().setAnnotations(null);
        assertUnchanged(plain, "apps", "not asked for");

        // Applying the patch twice is what the status annotation prevents: the patched pod is left alone.
        Pod once = applyPatch(frontendAuthPod(), reviewOk(review(frontendAuthPod(), "apps", "CREATE")));
        assertUnchanged(once, "apps", "already injected");

        assertUnchanged(frontendAuthPod(), "apps", "UPDATE", "operation UPDATE");
    }

    @Test
    void refusesMalformedAnnotationsWithAMessageNamingThem() throws Exception {
        Pod badScheme = frontendAuthPod();
        badScheme.getMetadata().getAnnotations().put("sidecar.aws.signing-proxy/upstream-url-scheme", "ftp");
        assertRefused(badScheme, "annotation sidecar.aws.signing-proxy/upstream-url-scheme must be http or https"
                + " (any case), not 'ftp'");

        Pod badFlag = frontendAuthPod();
        badFlag.getMetadata().getAnnotations().put("sidecar.aws.signing-proxy/inject", "maybe");
        assertRefused(badFlag, "annotation sidecar.aws.signing-proxy/inject must be true or false");

        Pod badRole = frontendAuthPod();
        badRole.getMetadata().getAnnotations().put("sidecar.aws.signing-proxy/role-arn", "aws-sigv4-client");
        assertRefused(badRole, "annotation sidecar.aws.signing-proxy/role-arn must be an IAM role ARN");

        Pod badHost = frontendAuthPod();
        badHost.getMetadata().getAnnotations().put("sidecar.aws.signing-proxy/host", "https://datastore/x");
        assertRefused(badHost, "annotation sidecar.aws.signing-proxy/host must be a DNS name with an optional :port");
    }

    @Test
    void refusesMalformedReviewsClearlyAndKeepsServing() throws Exception {
        assertBadRequest("{not json", "not an AdmissionReview: the body is not JSON");
        assertBadRequest("[1,2]", "not an AdmissionReview: the body is not a JSON object");
        assertBadRequest("{\"apiVersion\":\"v1\",\"kind\":\"Pod\"}", "not an AdmissionReview: kind is 'Pod'");
        ObjectNode v1beta1 = review(frontendAuthPod(), "apps", "CREATE");
        v1beta1.put("apiVersion", "admission.k8s.io/v1beta1");
        assertBadRequest(v1beta1.toString(), "AdmissionReview admission.k8s.io/v1beta1 is not served");
        ObjectNode noRequest = review(frontendAuthPod(), "apps", "CREATE");
        noRequest.remove("request");
        assertBadRequest(noRequest.toString(), "AdmissionReview has no request");
        ObjectNode noUid = review(frontendAuthPod(), "apps", "CREATE");
        ((ObjectNode) noUid.get("request")).remove("uid");
        assertBadRequest(noUid.toString(), "AdmissionReview request has no uid");

        // Answerable, but not a Pod: allowed false with the reason, the uid echoed.
        ObjectNode service = review(frontendAuthPod(), "apps", "CREATE");
        ObjectNode request = (ObjectNode) service.get("request");
        request.putObject("kind").put("group", "").put("version", "v1").put("kind", "Service");
        request.set("object", JSON.valueToTree(Map.of("apiVersion", "v1", "kind", "Service")));
        JsonNode refused = reviewOk(service);
        assertThat(refused.path("uid").asText()).isEqualTo(request.path("uid").asText());
        assertThat(refused.path("allowed").asBoolean()).isFalse();
        assertThat(refused.path("status").path("code").asInt()).isEqualTo(400);
        assertThat(refused.path("status").path("message").asText())
                .startsWith("this webhook mutates Pods only, got Service");
        ObjectNode noContainers = review(frontendAuthPod(), "apps", "CREATE");
        ((ObjectNode) noContainers.get("request").get("object").get("spec")).remove("containers");
        assertThat(reviewOk(noContainers).path("status").path("message").asText())
                .isEqualTo("the Pod has no spec.containers list");

        // Too large: refused before it is read whole.
        byte[] huge = new byte[InjectorConfig.DEFAULT_MAX_REVIEW_BYTES + 1];
        java.util.Arrays.fill(huge, (byte) ' ');
        HttpResponse<String> tooLarge = post(HttpRequest.BodyPublishers.ofByteArray(huge));
        assertThat(tooLarge.statusCode()).isEqualTo(413);
        assertThat(tooLarge.body()).contains("AdmissionReview larger than 3145728 bytes refused");
        // Without Content-Length (chunked) it is counted while read.
        HttpResponse<String> chunked = post(HttpRequest.BodyPublishers.ofInputStream(
                () -> new java.io.ByteArrayInputStream(huge)));
        assertThat(chunked.statusCode()).isEqualTo(413);

        HttpResponse<String> get = http.send(HttpRequest.newBuilder(mutate).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(get.statusCode()).isEqualTo(405);

        // Still serving after all of that.
        HttpResponse<String> health = http.send(HttpRequest.newBuilder(mutate.resolve(InjectorServer.HEALTH_PATH))
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(reviewOk(review(frontendAuthPod(), "apps", "CREATE")).path("allowed").asBoolean()).isTrue();
    }

    @Test
    void servesAnEcKeyInPkcs8AndRefusesAMissingKeyFileNamingIt() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair ec = generator.generateKeyPair();
        X509Certificate certificate = selfSigned(ec, "SHA256withECDSA");
        Path cert = write("ec.crt", pem(certificate));
        Path key = write("ec.key", "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                        .encodeToString(ec.getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n");
        InjectorConfig config = InjectorConfig.defaults(cert, key).withListen("127.0.0.1", 0);
        try (InjectorServer ecServer = InjectorServer.start(config, new SidecarInjector(config, ns -> Map.of()))) {
            HttpClient ecClient = HttpClient.newBuilder().sslContext(trusting(certificate)).build();
            HttpResponse<String> health = ecClient.send(HttpRequest.newBuilder(URI.create("https://localhost:"
                    + ecServer.address().getPort() + "/healthz")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
        }

        CliTestSupport.Result missing = CliTestSupport.run("injector", "--port", "127.0.0.1:0",
                "--tls-cert-file", cert.toString(), "--tls-key-file", dir.resolve("absent.key").toString(),
                "--no-namespace-labels");
        assertThat(missing.exitCode()).isEqualTo(2);
        assertThat(missing.err()).contains("cannot read the key file " + dir.resolve("absent.key"));

        CliTestSupport.Result badPolicy = CliTestSupport.run("injector", "--tls-cert-file", cert.toString(),
                "--tls-key-file", key.toString(), "--sidecar-image-pull-policy", "Sometimes");
        assertThat(badPolicy.exitCode()).isEqualTo(2);
        assertThat(badPolicy.err()).contains("the sidecar image pull policy must be Always, IfNotPresent or Never,"
                + " not 'Sometimes'");
    }

    @Test
    void mountsTheCaConfigMapIntoTheSidecarWhenConfigured() throws Exception {
        InjectorConfig config = InjectorConfig.defaults(dir.resolve("unused.crt"), dir.resolve("unused.key"))
                .withCaConfigMap("trellis-ca");
        SidecarInjector injector = new SidecarInjector(config, new NamespaceLabels(client));
        Pod pod = frontendAuthPod();
        SidecarInjector.Answer answer = injector.review(JSON.writeValueAsBytes(review(pod, "apps", "CREATE")));
        assertThat(answer.status()).isEqualTo(200);
        Pod patched = applyPatch(pod, JSON.readTree(answer.body()).path("response"));

        assertThat(patched.getSpec().getVolumes()).singleElement().satisfies(v -> {
            assertThat(v.getName()).isEqualTo(SidecarInjector.CA_VOLUME);
            assertThat(v.getConfigMap().getName()).isEqualTo("trellis-ca");
        });
        Container sidecar = patched.getSpec().getContainers().get(1);
        assertThat(sidecar.getVolumeMounts()).singleElement()
                .satisfies(m -> assertThat(m.getMountPath()).isEqualTo(SidecarInjector.CA_DIRECTORY));
        assertThat(parseSidecar(sidecar.getArgs()).caCertificate)
                .isEqualTo(new java.io.File(SidecarInjector.CA_DIRECTORY + "/ca.pem"));

        // A pod with volumes of its own keeps them; the CA volume is appended.
        Pod withVolume = frontendAuthPod();
        withVolume.getSpec().setVolumes(new java.util.ArrayList<>(List.of(new io.fabric8.kubernetes.api.model
                .VolumeBuilder().withName("cache").withNewEmptyDir().endEmptyDir().build())));
        Pod patchedAgain = applyPatch(withVolume, JSON.readTree(injector.review(JSON.writeValueAsBytes(
                review(withVolume, "apps", "CREATE"))).body()).path("response"));
        assertThat(patchedAgain.getSpec().getVolumes()).extracting(io.fabric8.kubernetes.api.model.Volume::getName)
                .containsExactly("cache", SidecarInjector.CA_VOLUME);
    }

    @Test
    void givesTheSidecarTheAppsWebIdentityVariablesAndTokenMount() throws Exception {
        // As EKS's pod identity webhook (or a hand-written pod spec) leaves the app container: IRSA's variables and
        // the projected token.
        Pod pod = frontendAuthPod();
        Container app = pod.getSpec().getContainers().get(0);
        app.getEnv().add(new io.fabric8.kubernetes.api.model.EnvVar("AWS_ROLE_ARN",
                "arn:aws:iam::111122223333:role/aws-sigv4-client", null));
        app.getEnv().add(new io.fabric8.kubernetes.api.model.EnvVar("AWS_WEB_IDENTITY_TOKEN_FILE",
                "/var/run/secrets/eks.amazonaws.com/serviceaccount/token", null));
        app.setVolumeMounts(new java.util.ArrayList<>(List.of(
                new io.fabric8.kubernetes.api.model.VolumeMountBuilder().withName("aws-iam-token")
                        .withMountPath("/var/run/secrets/eks.amazonaws.com/serviceaccount").build(),
                new io.fabric8.kubernetes.api.model.VolumeMountBuilder().withName("cache").withMountPath("/cache")
                        .build())));
        Pod patched = applyPatch(pod, reviewOk(review(pod, "apps", "CREATE")));

        Container sidecar = patched.getSpec().getContainers().get(1);
        assertThat(sidecar.getEnv()).extracting(io.fabric8.kubernetes.api.model.EnvVar::getName)
                .containsExactly("AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE");
        assertThat(sidecar.getVolumeMounts()).singleElement().satisfies(m -> {
            assertThat(m.getName()).isEqualTo("aws-iam-token");
            assertThat(m.getReadOnly()).isTrue();
        });
    }

    @Test
    void decidesOnThePodsAnnotationsAloneWhenTheApiServerCannotBeReached() throws Exception {
        // An API server that is not there (a closed port), without retries: the namespace look-up fails.
        io.fabric8.kubernetes.client.Config unreachable = new io.fabric8.kubernetes.client.ConfigBuilder()
                .withMasterUrl("http://127.0.0.1:1").withRequestRetryBackoffLimit(0).withConnectionTimeout(2000)
                .build();
        try (KubernetesClient down = new io.fabric8.kubernetes.client.KubernetesClientBuilder()
                .withConfig(unreachable).build()) {
            InjectorConfig config = InjectorConfig.defaults(dir.resolve("unused.crt"), dir.resolve("unused.key"));
            SidecarInjector injector = new SidecarInjector(config, new NamespaceLabels(down));

            Pod annotated = frontendAuthPod();
            JsonNode injected = JSON.readTree(injector.review(JSON.writeValueAsBytes(review(annotated, "apps",
                    "CREATE"))).body()).path("response");
            assertThat(applyPatch(annotated, injected).getSpec().getContainers()).hasSize(2);
            assertThat(injected.path("warnings").toString()).contains("labels of namespace apps unreadable");

            Pod plain = new PodBuilder().withNewMetadata().withName("plain").endMetadata().withNewSpec()
                    .addNewContainer().withName("app").withImage("busybox").endContainer().endSpec().build();
            JsonNode skipped = JSON.readTree(injector.review(JSON.writeValueAsBytes(review(plain, "signed",
                    "CREATE"))).body()).path("response");
            assertThat(skipped.path("allowed").asBoolean()).isTrue();
            assertThat(skipped.has("patch")).isFalse();
            assertThat(skipped.path("warnings").toString()).contains("labels of namespace signed unreadable")
                    .contains("not asked for");
        }
    }

    // --- helpers ---

    /** The walkthrough's frontend-auth Deployment's pod template, as the ReplicaSet controller creates the pod. */
    static Pod frontendAuthPod() throws IOException {
        Deployment deployment;
        try (InputStream in = Files.newInputStream(CliTestSupport.reference("seed/sample/frontend-auth.yaml"))) {
            // The file holds the Deployment and a Service.
            List<?> objects = Serialization.unmarshal(in);
            deployment = objects.stream().filter(Deployment.class::isInstance).map(Deployment.class::cast)
                    .findFirst().orElseThrow();
        }
        var template = deployment.getSpec().getTemplate();
        Pod pod = new PodBuilder().withMetadata(template.getMetadata()).withSpec(template.getSpec()).build();
        pod.getMetadata().setGenerateName("frontend-auth-5d9c8b7f4-");
        pod.getMetadata().setNamespace("apps");
        pod.getMetadata().setAnnotations(new HashMap<>(pod.getMetadata().getAnnotations()));
        return pod;
    }

    /** An AdmissionReview as the API server sends it for a pod. */
    static ObjectNode review(Pod pod, String namespace, String operation) {
        ObjectNode review = JSON.createObjectNode().put("apiVersion", "admission.k8s.io/v1").put("kind",
                "AdmissionReview");
        ObjectNode request = review.putObject("request");
        request.put("uid", UUID.randomUUID().toString());
        request.putObject("kind").put("group", "").put("version", "v1").put("kind", "Pod");
        request.putObject("resource").put("group", "").put("version", "v1").put("resource", "pods");
        request.putObject("requestKind").put("group", "").put("version", "v1").put("kind", "Pod");
        request.put("namespace", namespace);
        request.put("operation", operation);
        request.putObject("userInfo").put("username", "system:serviceaccount:kube-system:replicaset-controller");
        ObjectNode object = (ObjectNode) readTree(Serialization.asJson(pod));
        object.put("apiVersion", "v1").put("kind", "Pod");
        request.set("object", object);
        request.putNull("oldObject");
        request.put("dryRun", false);
        return review;
    }

    private static JsonNode readTree(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** POSTs a review, expects HTTP 200 and an AdmissionReview v1 answer, returns its {@code response}. */
    static JsonNode reviewOk(ObjectNode review) throws Exception {
        HttpResponse<String> answer = post(HttpRequest.BodyPublishers.ofString(review.toString()));
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        assertThat(answer.headers().firstValue("Content-Type")).hasValue("application/json");
        JsonNode body = JSON.readTree(answer.body());
        assertThat(body.path("apiVersion").asText()).isEqualTo("admission.k8s.io/v1");
        assertThat(body.path("kind").asText()).isEqualTo("AdmissionReview");
        JsonNode response = body.path("response");
        assertThat(response.path("uid").asText()).isEqualTo(review.path("request").path("uid").asText());
        return response;
    }

    static HttpResponse<String> post(HttpRequest.BodyPublisher body) throws Exception {
        return http.send(HttpRequest.newBuilder(mutate).header("Content-Type", "application/json").POST(body).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static Pod applyPatch(Pod pod, JsonNode response) {
        assertThat(response.path("allowed").asBoolean()).as(response.toString()).isTrue();
        assertThat(response.has("patch")).as(response.toString()).isTrue();
        JsonNode patch = readTree(new String(Base64.getDecoder().decode(response.path("patch").asText()),
                StandardCharsets.UTF_8));
        JsonNode patched = JsonPatch.apply(patch, readTree(Serialization.asJson(pod)));
        return Serialization.unmarshal(patched.toString(), Pod.class);
    }

    /** Parses a sidecar's args with the real {@code trellis sigv4-proxy} command (unknown flags would throw). */
    static Sigv4ProxyCommand parseSidecar(List<String> args) {
        CommandLine.ParseResult parsed = TrellisCommand.commandLine().parseArgs(args.toArray(String[]::new));
        assertThat(parsed.subcommand()).as("a subcommand").isNotNull();
        assertThat(parsed.subcommand().commandSpec().name()).isEqualTo("sigv4-proxy");
        return (Sigv4ProxyCommand) parsed.subcommand().commandSpec().userObject();
    }

    private static void assertUnchanged(Pod pod, String namespace, String why) throws Exception {
        assertUnchanged(pod, namespace, "CREATE", why);
    }

    private static void assertUnchanged(Pod pod, String namespace, String operation, String why) throws Exception {
        JsonNode response = reviewOk(review(pod, namespace, operation));
        assertThat(response.path("allowed").asBoolean()).isTrue();
        assertThat(response.has("patch")).isFalse();
        assertThat(response.path("warnings").toString()).contains(why);
    }

    private static void assertRefused(Pod pod, String message) throws Exception {
        JsonNode response = reviewOk(review(pod, "apps", "CREATE"));
        assertThat(response.path("allowed").asBoolean()).isFalse();
        assertThat(response.has("patch")).isFalse();
        assertThat(response.path("status").path("code").asInt()).isEqualTo(400);
        assertThat(response.path("status").path("message").asText()).contains(message);
    }

    private static void assertBadRequest(String body, String message) throws Exception {
        HttpResponse<String> answer = post(HttpRequest.BodyPublishers.ofString(body));
        assertThat(answer.statusCode()).isEqualTo(400);
        assertThat(answer.body()).contains(message);
    }

    private static X509Certificate selfSigned(KeyPair keys, String algorithm) throws Exception {
        X500Name subject = new X500Name("CN=trellis-injector.trellis-system.svc");
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, BigInteger.valueOf(now
                .toEpochMilli()), Date.from(now.minusSeconds(60)), Date.from(now.plus(Duration.ofDays(1))), subject,
                keys.getPublic());
        builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
            new GeneralName(GeneralName.dNSName, "localhost"),
            new GeneralName(GeneralName.dNSName, "trellis-injector.trellis-system.svc"),
            new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
        return new JcaX509CertificateConverter().getCertificate(builder.build(
                new JcaContentSignerBuilder(algorithm).build(keys.getPrivate())));
    }

    private static String pem(Object object) throws IOException {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(object);
        }
        return out.toString();
    }

    private static Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content);
    }

    private static SSLContext trusting(X509Certificate certificate) throws Exception {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        trust.setCertificateEntry("injector", certificate);
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, factory.getTrustManagers(), null);
        return context;
    }
}
