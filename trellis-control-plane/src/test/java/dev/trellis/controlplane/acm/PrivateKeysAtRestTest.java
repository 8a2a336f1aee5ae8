package dev.trellis.controlplane.acm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.trellis.controlplane.pki.MasterKey;
import dev.trellis.controlplane.store.TestStores;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;

/**
 * The embedded database file holds no private key in the clear, and a control plane started with another master
 * key refuses to start rather than failing later (docs/api-acm.md, "Private keys at rest").
 */
class PrivateKeysAtRestTest {

    @TempDir
    Path dataDir;

    private static List<String> base64Lines(String pem) {
        return pem.lines().filter(l -> !l.startsWith("-----")).toList();
    }

    @Test
    void theDatabaseFileHoldsTheCertificateButNotItsPrivateKey() throws Exception {
        TestCertificates.Material material = TestCertificates.selfSigned(TestCertificates.RSA_A,
                "datastore.sarathy.io", "datastore.sarathy.io");
        try (RunningControlPlane server = RunningControlPlane.start(dataDir, TestStores.Kind.H2)) {
            server.acm().importCertificate(r -> r.certificate(SdkBytes.fromUtf8String(material.certificatePem()))
                    .privateKey(SdkBytes.fromUtf8String(material.privateKeyPem())));
        }

        String file = new String(Files.readAllBytes(dataDir.resolve("trellis.mv.db")), StandardCharsets.ISO_8859_1);

        // The certificate's own PEM lines are findable in the file, so a missing key line means it is not there.
        assertThat(file).contains(base64Lines(material.certificatePem()).get(1));
        for (String line : base64Lines(material.privateKeyPem())) {
            assertThat(file).doesNotContain(line);
        }
        assertThat(file).doesNotContain("PRIVATE KEY");
    }

    @Test
    void aControlPlaneWithAnotherMasterKeyRefusesToStart() throws Exception {
        try (RunningControlPlane server = RunningControlPlane.start(dataDir, TestStores.Kind.H2)) {
            server.acm().requestCertificate(r -> r.domainName("datastore.sarathy.io"));
        }
        String original = MasterKey.load(dataDir, Map.of()).fingerprint();
        Files.delete(dataDir.resolve("master.key"));

        MasterKey.WrongMasterKeyException e = catchThrowableOfType(MasterKey.WrongMasterKeyException.class,
                () -> RunningControlPlane.startControlPlane(dataDir, "h2"));

        assertThat(e).hasMessageContaining("was encrypted with master key " + original)
                .hasMessageEndingWith("start it with the master key the store was created with");
    }
}
