package dev.trellis.gateway.tls;

import static dev.trellis.gateway.support.Fixtures.ACCOUNT;
import static dev.trellis.gateway.support.Fixtures.DATASTORE_CUSTOM;
import static dev.trellis.gateway.support.Fixtures.DATASTORE_DOMAIN;
import static dev.trellis.gateway.support.Fixtures.DATASTORE_ID;
import static dev.trellis.gateway.support.Fixtures.NETWORK_ARN;
import static dev.trellis.gateway.support.Fixtures.NETWORK_ID;
import static dev.trellis.gateway.support.Fixtures.REGION;
import static dev.trellis.gateway.support.Fixtures.VPC_A;
import static dev.trellis.gateway.support.Fixtures.defaultRule;
import static dev.trellis.gateway.support.Fixtures.forward;
import static dev.trellis.gateway.support.Fixtures.group;
import static dev.trellis.gateway.support.Fixtures.serviceArn;
import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.gateway.accesslog.AccessLogRecord;
import dev.trellis.gateway.support.Fixtures;
import dev.trellis.gateway.support.TestBackend;
import dev.trellis.gateway.support.TestGateway;
import dev.trellis.model.snapshot.AuthLevel;
import dev.trellis.model.snapshot.CertificateEntry;
import dev.trellis.model.snapshot.ServiceEntry;
import dev.trellis.model.snapshot.ServiceListener;
import dev.trellis.model.snapshot.VpcSnapshot;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTPS listeners on a real gateway on loopback, with real clients: the JDK HttpClient (HTTP/1.1 and h2 by ALPN)
 * trusting a test CA, and {@code openssl s_client} for what a client library hides (versions, cipher order, ALPN,
 * SNI failures). The datastore service has an HTTPS listener on 443 (generated name with the managed certificate,
 * custom domain with its ACM certificate {@code *.sarathy.io}) and an HTTP listener on 8080; the inventory service
 * has an HTTPS listener on 8080, so port 8080 carries both and tells them apart by the first byte.
 */
class GatewayHttpsTest {

    static final String SUFFIX = "7d67968.vpc-lattice-svcs." + REGION + ".on.aws";
    static final String ACM_ARN = "arn:aws:acm:" + REGION + ":" + ACCOUNT
            + ":certificate/0b1f56d2-6672-4bf6-77aa-0123456789ab";
    static final String INVENTORY_ID = "svc-0aaaaaaaaaaaaaaaa";
    static final String INVENTORY_DOMAIN = "inventory-0aaaaaaaaaaaaaaaa." + SUFFIX;
    /** Anyone, but only over TLS: proves the gateway tells the policy engine {@code aws:SecureTransport}. */
    static final String TLS_ONLY_POLICY = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
            + "\"Principal\":\"*\",\"Action\":\"vpc-lattice-svcs:Invoke\",\"Resource\":\"*\","
            + "\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"true\"}}}]}";

    @TempDir
    static Path dir;
    static TestCa ca;
    static Path caPem;
    static CertificateEntry managed;
    static CertificateEntry acm;
    static TestBackend backend;
    static TestGateway gateway;

    @BeforeAll
    static void start() throws Exception {
        ca = new TestCa("Trellis test CA");
        caPem = ca.writePem(dir);
        managed = ca.issue(null, "*." + SUFFIX);
        acm = ca.issue(ACM_ARN, "*.sarathy.io");
        backend = TestBackend.start("datastore-v1");
        gateway = TestGateway.start(snapshot(1, managed, acm), c -> c.mapPort(443, 0));
    }

    @AfterAll
    static void stop() {
        gateway.close();
        backend.close();
    }

    @BeforeEach
    void clear() {
        backend.drain();
        gateway.accessLog().clear();
    }

    static VpcSnapshot snapshot(long revision, CertificateEntry... certificates) {
        ServiceEntry datastore = new ServiceEntry(DATASTORE_ID, serviceArn(DATASTORE_ID), "datastore",
                DATASTORE_DOMAIN, DATASTORE_CUSTOM, ACM_ARN, NETWORK_ID, NETWORK_ARN, AuthLevel.NONE,
                new AuthLevel("AWS_IAM", TLS_ONLY_POLICY), 60,
                List.of(listener("HTTPS", 443), listener("HTTP", 8080)), List.of());
        ServiceEntry inventory = new ServiceEntry(INVENTORY_ID, serviceArn(INVENTORY_ID), "inventory",
                INVENTORY_DOMAIN, null, null, NETWORK_ID, NETWORK_ARN, AuthLevel.NONE, AuthLevel.NONE, 60,
                List.of(listener("HTTPS", 8080)), List.of());
        VpcSnapshot s = Fixtures.snapshot(revision, List.of(datastore, inventory),
                List.of(group("tg-1", VPC_A, backend)), List.of());
        return new VpcSnapshot(s.revision(), s.vpcId(), s.accountId(), s.region(), s.compiledAt(), s.services(),
                s.targetGroups(), s.peers(), s.credentials(), List.of(certificates), List.of());
    }

    static ServiceListener listener(String protocol, int port) {
        return new ServiceListener("listener-" + protocol.toLowerCase() + port, "arn:listener/" + protocol + port,
                protocol, port, List.of(defaultRule(forward("tg-1", 1))));
    }

    /** A client that trusts the test CA and sends {@code serverName} as SNI (the URI is the loopback address). */
    static HttpClient client(String serverName, HttpClient.Version version) throws Exception {
        SSLParameters parameters = new SSLParameters();
        parameters.setServerNames(List.of(new SNIHostName(serverName)));
        // The JDK client offers h2 by ALPN only when its parameters name TLS 1.2 or 1.3 explicitly.
        parameters.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
        return HttpClient.newBuilder().version(version).sslContext(ca.clientContext()).sslParameters(parameters)
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    static HttpResponse<String> get(HttpClient client, String host, int listenerPort, String path)
            throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + gateway.port(listenerPort)
                        + path)).header("Host", host).timeout(Duration.ofSeconds(20)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static X509Certificate presented(HttpResponse<?> response) throws Exception {
        return (X509Certificate) response.sslSession().orElseThrow().getPeerCertificates()[0];
    }

    static List<String> dnsNames(X509Certificate certificate) throws Exception {
        return certificate.getSubjectAlternativeNames().stream().map(n -> (String) n.get(1)).toList();
    }

    @Test
    void servesTheGeneratedNameOverHttp11WithTheManagedCertificate() throws Exception {
        HttpResponse<String> response = get(client(DATASTORE_DOMAIN, HttpClient.Version.HTTP_1_1),
                DATASTORE_DOMAIN, 443, "/summary");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("datastore-v1");
        assertThat(response.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
        assertThat(dnsNames(presented(response))).containsExactly("*." + SUFFIX);
        TestBackend.Received received = backend.take();
        assertThat(received.header("x-forwarded-proto")).isEqualTo("https");
        assertThat(received.header("x-forwarded-port")).isEqualTo("443");
        AccessLogRecord record = gateway.accessLog().take(response);
        assertThat(record.listenerType()).isEqualTo("HTTPS");
        assertThat(record.serverNameIndication()).isEqualTo(DATASTORE_DOMAIN);
        assertThat(record.tlsVersion()).isEqualTo("TLSv1.3");
        assertThat(record.sslCipher()).isEqualTo("TLS_AES_128_GCM_SHA256");
    }

    @Test
    void servesTheCustomDomainOverH2WithItsAcmCertificate() throws Exception {
        // curl, not the JDK client: over h2 the JDK client's :authority is the URI's (loopback) host, and a
        // Host header that disagrees is refused as HTTP/2 requires. curl resolves the name to the gateway.
        int port = gateway.port(443);
        List<String> command = List.of("curl", "-sS", "--http2", "--cacert", caPem.toString(), "--resolve",
                DATASTORE_CUSTOM + ":" + port + ":127.0.0.1", "-w", "\n%{http_version} %{http_code}",
                "https://" + DATASTORE_CUSTOM + ":" + port + "/summary");
        Process curl = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(curl.waitFor(20, TimeUnit.SECONDS)).isTrue();

        assertThat(output).isEqualTo("datastore-v1\n2 200");
        assertThat(backend.take().header("x-forwarded-proto")).isEqualTo("https");
        AccessLogRecord record = gateway.accessLog().takePath("/summary");
        assertThat(record.protocol()).isEqualTo("HTTP/2.0");
        assertThat(record.serverNameIndication()).isEqualTo(DATASTORE_CUSTOM);
        // and it was the ACM certificate, not the managed one, that verified against the CA
        assertThat(sClient(443, "-servername", DATASTORE_CUSTOM, "-showcerts"))
                .contains("subject=CN = *.sarathy.io").contains("Verify return code: 0 (ok)");
    }

    @Test
    void tellsTheAuthPolicyTheTransportIsSecure() throws Exception {
        // The same service, the same policy: allowed over HTTPS, denied over HTTP (aws:SecureTransport false).
        assertThat(get(client(DATASTORE_DOMAIN, HttpClient.Version.HTTP_1_1), DATASTORE_DOMAIN, 443, "/")
                .statusCode()).isEqualTo(200);
        HttpResponse<String> cleartext = gateway.get(DATASTORE_DOMAIN, 8080, "/");
        assertThat(cleartext.statusCode()).isEqualTo(403);
        assertThat(cleartext.body()).contains("AccessDeniedException");
    }

    @Test
    void aPortWithHttpAndHttpsListenersServesEachOnItsOwnProtocol() throws Exception {
        // 8080: datastore's HTTP listener and inventory's HTTPS listener.
        assertThat(get(client(INVENTORY_DOMAIN, HttpClient.Version.HTTP_1_1), INVENTORY_DOMAIN, 8080, "/")
                .statusCode()).isEqualTo(200);
        assertThat(gateway.get(DATASTORE_DOMAIN, 8080, "/").statusCode()).isEqualTo(403); // reached, over HTTP
        // TLS towards a listener that is HTTP: the SNI has a certificate (inventory) but Host is datastore's.
        HttpResponse<String> mismatch = get(client(INVENTORY_DOMAIN, HttpClient.Version.HTTP_1_1),
                DATASTORE_DOMAIN, 8080, "/");
        assertThat(mismatch.statusCode()).isEqualTo(404);
        // Cleartext towards the HTTPS listener of inventory.
        assertThat(gateway.get(INVENTORY_DOMAIN, 8080, "/").statusCode()).isEqualTo(404);
    }

    @Test
    void aReissuedCertificateIsUsedByNewConnectionsWhileOpenOnesKeepWorking() throws Exception {
        HttpClient open = client(DATASTORE_DOMAIN, HttpClient.Version.HTTP_1_1);
        HttpResponse<String> first = get(open, DATASTORE_DOMAIN, 443, "/before");
        String connection = gateway.accessLog().take(first).sourceIpPort();
        CertificateEntry reissued = ca.issue(null, "*." + SUFFIX);
        try {
            gateway.snapshots().swap(snapshot(2, reissued, acm));

            HttpResponse<String> sameConnection = get(open, DATASTORE_DOMAIN, 443, "/after");
            assertThat(sameConnection.statusCode()).isEqualTo(200);
            assertThat(gateway.accessLog().take(sameConnection).sourceIpPort()).isEqualTo(connection);
            assertThat(presented(sameConnection).getSerialNumber()).isEqualTo(presented(first).getSerialNumber());

            HttpResponse<String> newConnection = get(client(DATASTORE_DOMAIN, HttpClient.Version.HTTP_1_1),
                    DATASTORE_DOMAIN, 443, "/after");
            assertThat(newConnection.statusCode()).isEqualTo(200);
            assertThat(presented(newConnection).getSerialNumber()).isNotEqualTo(presented(first).getSerialNumber());
            assertThat(presented(newConnection).getPublicKey()).isNotEqualTo(presented(first).getPublicKey());
            // The ACM certificate did not change: the swap reused its compiled context.
            assertThat(gateway.snapshots().current().certificates().find(DATASTORE_CUSTOM))
                    .isSameAs(previousAcm);
        } finally {
            gateway.snapshots().swap(snapshot(3, managed, acm));
        }
    }

    static ServerCertificate previousAcm;

    @BeforeEach
    void rememberAcm() {
        previousAcm = gateway.snapshots().current().certificates().find(DATASTORE_CUSTOM);
    }

    // --- openssl s_client ------------------------------------------------------------------------------------

    static String sClient(int listenerPort, String... options) throws Exception {
        List<String> command = new ArrayList<>(List.of("openssl", "s_client", "-connect",
                "127.0.0.1:" + gateway.port(listenerPort), "-CAfile", caPem.toString()));
        command.addAll(List.of(options));
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(20, TimeUnit.SECONDS)).isTrue();
        return output;
    }

    static String negotiatedCipher(String output) {
        int at = output.indexOf("Cipher is ");
        return at < 0 ? null : output.substring(at + "Cipher is ".length()).lines().findFirst().orElseThrow().trim();
    }

    @Test
    void refusesTls10AndTls11() throws Exception {
        for (String version : List.of("-tls1", "-tls1_1")) {
            String output = sClient(443, "-servername", DATASTORE_DOMAIN, version, "-cipher", "DEFAULT@SECLEVEL=0");
            assertThat(negotiatedCipher(output)).as(output).isEqualTo("(NONE)");
            assertThat(output).contains("alert protocol version");
        }
        assertThat(negotiatedCipher(sClient(443, "-servername", DATASTORE_DOMAIN, "-tls1_2")))
                .isEqualTo("ECDHE-RSA-AES128-GCM-SHA256");
        assertThat(sClient(443, "-servername", DATASTORE_DOMAIN, "-tls1_3")).contains("TLSv1.3");
    }

    @Test
    void choosesTls12CiphersInThePolicysOrderWhateverTheClientPrefers() throws Exception {
        // Offer the policy's TLS 1.2 suites in reverse order; the gateway picks its first; drop it; repeat.
        List<String> remaining = new ArrayList<>(TlsPolicy.OPENSSL_CIPHER_SUITES.subList(3, 11));
        List<String> chosen = new ArrayList<>();
        while (!remaining.isEmpty()) {
            List<String> offered = new ArrayList<>(remaining);
            java.util.Collections.reverse(offered);
            String output = sClient(443, "-servername", DATASTORE_DOMAIN, "-tls1_2", "-cipher",
                    String.join(":", offered));
            chosen.add(negotiatedCipher(output));
            remaining.remove(0);
        }
        assertThat(chosen).containsExactly("ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-SHA",
                "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-SHA", "AES128-GCM-SHA256", "AES128-SHA",
                "AES256-GCM-SHA384", "AES256-SHA");
        // A suite outside the policy is refused.
        assertThat(negotiatedCipher(sClient(443, "-servername", DATASTORE_DOMAIN, "-tls1_2", "-cipher",
                "ECDHE-RSA-CHACHA20-POLY1305"))).isEqualTo("(NONE)");
    }

    @Test
    void choosesTls13CiphersInThePolicysOrder() throws Exception {
        String output = sClient(443, "-servername", DATASTORE_DOMAIN, "-tls1_3", "-ciphersuites",
                "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256");
        assertThat(negotiatedCipher(output)).isEqualTo("TLS_AES_128_GCM_SHA256");
        output = sClient(443, "-servername", DATASTORE_DOMAIN, "-tls1_3", "-ciphersuites",
                "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384");
        assertThat(negotiatedCipher(output)).isEqualTo("TLS_AES_256_GCM_SHA384");
    }

    @Test
    void negotiatesH2ByAlpnAndHttp11WithoutAlpn() throws Exception {
        assertThat(sClient(443, "-servername", DATASTORE_DOMAIN, "-alpn", "h2,http/1.1"))
                .contains("ALPN protocol: h2").contains("Verify return code: 0 (ok)");
        assertThat(sClient(443, "-servername", DATASTORE_DOMAIN, "-alpn", "http/1.1"))
                .contains("ALPN protocol: http/1.1");
        assertThat(sClient(443, "-servername", DATASTORE_DOMAIN)).contains("No ALPN negotiated");
    }

    @Test
    void failsHandshakesWithoutSniOrForNamesWithoutACertificate() throws Exception {
        String noSni = sClient(443, "-noservername");
        assertThat(negotiatedCipher(noSni)).as(noSni).isEqualTo("(NONE)");
        assertThat(noSni).contains("missing extension");
        String unknown = sClient(443, "-servername", "unknown.example.com");
        assertThat(negotiatedCipher(unknown)).as(unknown).isEqualTo("(NONE)");
        assertThat(unknown).contains("unrecognized name");
        // Covered by the ACM wildcard, but no service has that name: no certificate either.
        assertThat(negotiatedCipher(sClient(443, "-servername", "other.sarathy.io"))).isEqualTo("(NONE)");
        // Not TLS at all: no server name either, so the same fatal alert, then the connection closes.
        assertThat(answerToPlainHttpOnTlsPort()).containsExactly(21, 3, 3, 0, 2, 2, 109);
    }

    static byte[] answerToPlainHttpOnTlsPort() throws Exception {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", gateway.port(443))) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(("GET / HTTP/1.1\r\nHost: " + DATASTORE_DOMAIN + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            return socket.getInputStream().readAllBytes();
        }
    }
}
