package dev.trellis.controlplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.trellis.controlplane.identity.IdentityDirectory;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.vpclattice.VpcLatticeClient;
import software.amazon.awssdk.services.vpclattice.model.VpcLatticeException;

class ControlPlaneTest {

    @TempDir
    Path dataDir;

    private ControlPlane controlPlane;

    @BeforeEach
    void start() throws InterruptedException {
        controlPlane = start(dataDir);
    }

    @AfterEach
    void stop() {
        controlPlane.close();
    }

    private static ControlPlane start(Path dataDir) throws InterruptedException {
        return ControlPlane.start(new ControlPlane.Options(dataDir, "127.0.0.1", 0, "h2",
                ControlPlaneConfig.defaults("us-west-2", "111122223333")), Clock.systemUTC());
    }

    private VpcLatticeClient client(String accessKeyId, String secret) {
        return VpcLatticeClient.builder()
                .endpointOverride(controlPlane.endpoint())
                .region(Region.US_WEST_2)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKeyId, secret)))
                .build();
    }

    private VpcLatticeClient admin() {
        IdentityDirectory.AdminCredentials admin = controlPlane.firstStartCredentials().orElseThrow();
        return client(admin.accessKeyId(), admin.secretAccessKey());
    }

    @Test
    void theFirstStartCreatesAnAdminWhoseProfileOnlyTheOwnerCanRead() throws IOException {
        IdentityDirectory.AdminCredentials admin = controlPlane.firstStartCredentials().orElseThrow();

        String profile = Files.readString(controlPlane.awsConfigFile());
        assertThat(profile).startsWith("[profile trellis]\n")
                .contains("aws_access_key_id = " + admin.accessKeyId())
                .contains("aws_secret_access_key = " + admin.secretAccessKey())
                .contains("endpoint_url = " + controlPlane.endpoint());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(controlPlane.awsConfigFile())))
                .isEqualTo("rw-------");
        assertThat(admin.accessKeyId()).matches("AKIA[A-Z2-7]{16}");
        assertThat(admin.toString()).doesNotContain(admin.secretAccessKey());
    }

    @Test
    void theAdminsSignedCallsSucceedAndARestartServesTheSameState() throws InterruptedException {
        IdentityDirectory.AdminCredentials admin = controlPlane.firstStartCredentials().orElseThrow();
        String id;
        try (VpcLatticeClient lattice = admin()) {
            id = lattice.createServiceNetwork(r -> r.name("eks-lattice-network")).id();
        }
        controlPlane.close();

        controlPlane = start(dataDir);

        assertThat(controlPlane.firstStartCredentials()).isEmpty();
        try (VpcLatticeClient lattice = client(admin.accessKeyId(), admin.secretAccessKey())) {
            assertThat(lattice.getServiceNetwork(r -> r.serviceNetworkIdentifier(id)).name())
                    .isEqualTo("eks-lattice-network");
        }
    }

    @Test
    void anUnknownAccessKeyIsUnrecognizedClient() {
        try (VpcLatticeClient lattice = client("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")) {
            VpcLatticeException e = catchThrowableOfType(VpcLatticeException.class, () -> lattice.listServiceNetworks(r -> { }));

            assertThat(e.statusCode()).isEqualTo(403);
            assertThat(e.awsErrorDetails().errorCode()).isEqualTo("UnrecognizedClientException");
            assertThat(e.awsErrorDetails().errorMessage())
                    .isEqualTo("The security token included in the request is invalid.");
        }
    }

    @Test
    void aWrongSecretIsAnInvalidSignature() {
        IdentityDirectory.AdminCredentials admin = controlPlane.firstStartCredentials().orElseThrow();
        try (VpcLatticeClient lattice = client(admin.accessKeyId(), "not-the-secret")) {
            VpcLatticeException e = catchThrowableOfType(VpcLatticeException.class, () -> lattice.listServiceNetworks(r -> { }));

            assertThat(e.statusCode()).isEqualTo(403);
            assertThat(e.awsErrorDetails().errorCode()).isEqualTo("InvalidSignatureException");
        }
    }

    @Test
    void anUnsignedCallIsMissingAuthenticationToken() throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(controlPlane.endpoint() + "/servicenetworks")).GET().build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(response.headers().firstValue("x-amzn-ErrorType")).contains("MissingAuthenticationTokenException");
        assertThat(response.headers().firstValue("x-amzn-RequestId")).isPresent();
    }

    @Test
    void aUserWithoutAnAllowingIdentityPolicyIsDeniedNamingTheActionAndResource() {
        IdentityDirectory directory = new IdentityDirectory(controlPlane.store(),
                ControlPlaneConfig.defaults("us-west-2", "111122223333"), Clock.systemUTC());
        IdentityDirectory.AccessKey reader = directory.createUserWithAccessKey("reader", Map.of("read-only",
                "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                        + "\"Action\":[\"vpc-lattice:Get*\",\"vpc-lattice:List*\"],\"Resource\":\"*\"}]}"));

        try (VpcLatticeClient lattice = client(reader.accessKeyId(), reader.secretAccessKey())) {
            assertThat(lattice.listServiceNetworks(r -> { }).items()).isEmpty();
            VpcLatticeException e = catchThrowableOfType(VpcLatticeException.class,
                    () -> lattice.createServiceNetwork(r -> r.name("not-allowed")));

            assertThat(e.statusCode()).isEqualTo(403);
            assertThat(e.awsErrorDetails().errorCode()).isEqualTo("AccessDeniedException");
            assertThat(e.awsErrorDetails().errorMessage())
                    .startsWith("User: arn:aws:iam::111122223333:user/reader is not authorized to perform:"
                            + " vpc-lattice:CreateServiceNetwork on resource: ")
                    .endsWith("because no identity-based policy allows the vpc-lattice:CreateServiceNetwork action");
        }
    }
}
