package dev.trellis.gateway.fabric;

import static dev.trellis.gateway.support.Fixtures.ACCOUNT;
import static dev.trellis.gateway.support.Fixtures.REGION;
import static dev.trellis.gateway.support.Fixtures.VPC_A;
import static dev.trellis.gateway.support.Fixtures.VPC_B;
import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.gateway.support.TestGateway;
import dev.trellis.model.snapshot.VpcSnapshot;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The fabric listener's door, knocked on with the JDK's own TLS client: only gateways with a certificate from the
 * fabric CA get in.
 */
class FabricListenerTest {

    static final TestPki PKI = TestPki.create("Trellis test fabric CA");
    static final TestPki OTHER_PKI = TestPki.create("Some other CA");
    static TestGateway gateway;
    static FabricServer server;

    @BeforeAll
    static void start() {
        FabricTls tls = FabricTls.create(VPC_B, PKI.gateway(VPC_B).identity());
        gateway = TestGateway.start(VpcSnapshot.empty(VPC_B, REGION), c -> c.fabricTls(tls)
                .fabricListener("127.0.0.1", 0).fabric(new FabricClient(tls)));
        server = gateway.server().fabricServer();
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    @Test
    void acceptsAPeerGatewayWithACertificateFromTheFabricCa() throws Exception {
        long accepted = server.connectionsAccepted();
        assertThat(takesHttp2(PKI.jdkClient(PKI.gateway(VPC_A)))).isTrue();
        assertThat(server.connectionsAccepted()).isEqualTo(accepted + 1);
    }

    @Test
    void refusesAClientWithoutACertificate() throws Exception {
        long refused = server.connectionsRefused();
        assertThat(takesHttp2(PKI.jdkClient(null))).isFalse();
        awaitRefused(refused + 1);
    }

    @Test
    void refusesAClientWithACertificateFromAnotherCa() throws Exception {
        long refused = server.connectionsRefused();
        assertThat(takesHttp2(OTHER_PKI.jdkClient(OTHER_PKI.gateway(VPC_A)))).isFalse();
        awaitRefused(refused + 1);
    }

    @Test
    void refusesAClientCertificateOfTheFabricCaThatIsNotAGatewaysCertificate() throws Exception {
        long refused = server.connectionsRefused();
        TestPki.Issued notAGateway = PKI.issue("frontend.example.com", Instant.now().minusSeconds(60),
                Instant.now().plus(Duration.ofDays(1)));
        assertThat(takesHttp2(PKI.jdkClient(notAGateway))).isFalse();
        awaitRefused(refused + 1);
    }

    @Test
    void speaksOnlyTls13() throws Exception {
        SSLContext tls12 = SSLContext.getInstance("TLSv1.2");
        tls12.init(null, null, null);
        try (SSLSocket socket = socket(PKI.jdkClient(PKI.gateway(VPC_A)), server.port())) {
            socket.setEnabledProtocols(new String[] {"TLSv1.2"});
            socket.startHandshake();
            throw new AssertionError("a TLS 1.2 handshake succeeded");
        } catch (IOException expected) {
            assertThat(expected).hasMessageContaining("protocol");
        }
    }

    @Test
    void emptySnapshotsAndFabricMaterialMakeAGatewayThatListensOnlyForPeers() {
        assertThat(gateway.server().listenerPorts()).isEmpty();
        assertThat(gateway.server().fabricPort()).isPositive();
        assertThat(new VpcSnapshot(0, VPC_B, ACCOUNT, REGION, Instant.now(), List.of(), List.of(), List.of(),
                List.of()).vpcId()).isEqualTo(VPC_B);
    }

    /** The certificate the fabric listener at {@code port} presents to a new handshake. */
    static X509Certificate serverCertificate(SSLContext client, int port) throws IOException {
        try (SSLSocket socket = socket(client, port)) {
            socket.startHandshake();
            return (X509Certificate) socket.getSession().getPeerCertificates()[0];
        }
    }

    /**
     * Whether the listener takes the connection: after the handshake and the client preface, an accepted peer gets
     * the server's SETTINGS; a refused one an alert or a closed connection (TLS 1.3 checks the client certificate
     * after the client has finished its side of the handshake).
     */
    static boolean takesHttp2(SSLContext client) {
        try (SSLSocket socket = socket(client, server.port())) {
            socket.startHandshake();
            OutputStream out = socket.getOutputStream();
            out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.write(new byte[] {0, 0, 0, 4, 0, 0, 0, 0, 0});
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] frameHeader = in.readNBytes(9);
            return frameHeader.length == 9 && frameHeader[3] == 4;
        } catch (IOException refused) {
            return false;
        }
    }

    static SSLSocket socket(SSLContext client, int port) throws IOException {
        SSLSocket socket = (SSLSocket) client.getSocketFactory().createSocket("127.0.0.1", port);
        socket.setSoTimeout(5000);
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setApplicationProtocols(new String[] {"h2"});
        socket.setSSLParameters(parameters);
        return socket;
    }

    private static void awaitRefused(long count) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (server.connectionsRefused() < count && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(server.connectionsRefused()).isEqualTo(count);
    }
}
