package dev.trellis.gateway.fabric;

import static dev.trellis.gateway.support.Fixtures.ACCOUNT;
import static dev.trellis.gateway.support.Fixtures.DATASTORE_CUSTOM;
import static dev.trellis.gateway.support.Fixtures.DATASTORE_DOMAIN;
import static dev.trellis.gateway.support.Fixtures.DATASTORE_ID;
import static dev.trellis.gateway.support.Fixtures.REGION;
import static dev.trellis.gateway.support.Fixtures.VPC_A;
import static dev.trellis.gateway.support.Fixtures.VPC_B;
import static dev.trellis.gateway.support.Fixtures.defaultRule;
import static dev.trellis.gateway.support.Fixtures.forward;
import static dev.trellis.gateway.support.Fixtures.service;
import static dev.trellis.gateway.support.Fixtures.targetGroupArn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trellis.gateway.accesslog.AccessLogRecord;
import dev.trellis.gateway.support.TestGateway;
import dev.trellis.gateway.support.TlsTarget;
import dev.trellis.model.snapshot.AuthLevel;
import dev.trellis.model.snapshot.FabricPeer;
import dev.trellis.model.snapshot.ServiceListener;
import dev.trellis.model.snapshot.TargetGroupEntry;
import dev.trellis.model.snapshot.VpcSnapshot;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.zip.CRC32;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * TLS passthrough across VPCs: VPC-A's gateway routes by SNI to a TCP target group in VPC-B, and carries the TCP
 * stream over the fabric (an HTTP/2 stream on the mutual-TLS connection) to VPC-B's gateway, which splices it to its
 * TLS target. The client still sees the target's own certificate: nobody in between terminated its TLS.
 */
class FabricPassthroughTest {

    static final String TG_REMOTE = "tg-0dddddddddddddddd";
    static final String TG_EMPTY = "tg-0eeeeeeeeeeeeeeee";
    static final TestPki PKI = TestPki.create("Trellis test fabric CA");

    TlsTarget targetB;
    TestGateway gatewayA;
    TestGateway gatewayB;
    FabricClient clientA;

    @BeforeEach
    void start() {
        targetB = TlsTarget.start("target-in-b", DATASTORE_CUSTOM);
        FabricTls tlsB = FabricTls.create(VPC_B, PKI.gateway(VPC_B).identity());
        gatewayB = TestGateway.start(new VpcSnapshot(1, VPC_B, ACCOUNT, REGION, Instant.now(), List.of(),
                        List.of(tcpGroup(TG_REMOTE, VPC_B, targetB.port()), tcpGroup(TG_EMPTY, VPC_B)), List.of(),
                        List.of()),
                c -> c.fabricTls(tlsB).fabricListener("127.0.0.1", 0).fabric(new FabricClient(tlsB)));
        FabricTls tlsA = FabricTls.create(VPC_A, PKI.gateway(VPC_A).identity());
        clientA = new FabricClient(tlsA);
        gatewayA = TestGateway.start(snapshotA(TG_REMOTE), c -> c.ioThreads(1).mapPort(443, 0).fabric(clientA)
                .fabricTls(tlsA).fabricListener("127.0.0.1", 0));
    }

    @AfterEach
    void stop() {
        gatewayA.close();
        gatewayB.close();
        targetB.close();
    }

    static TargetGroupEntry tcpGroup(String id, String vpc, int... ports) {
        List<TargetGroupEntry.Target> targets = java.util.Arrays.stream(ports)
                .mapToObj(port -> new TargetGroupEntry.Target("127.0.0.1", port, false)).toList();
        return new TargetGroupEntry(id, targetGroupArn(id), "IP", "TCP", null, 443, vpc, null, targets);
    }

    VpcSnapshot snapshotA(String targetGroup) {
        ServiceListener listener = new ServiceListener("listener-0p00000000000001bb", "arn:listener/tls",
                "TLS_PASSTHROUGH", 443, List.of(defaultRule(forward(targetGroup, 100))));
        return new VpcSnapshot(1, VPC_A, ACCOUNT, REGION, Instant.now(),
                List.of(service(DATASTORE_ID, "datastore", DATASTORE_DOMAIN, DATASTORE_CUSTOM, AuthLevel.NONE,
                        AuthLevel.NONE, 60, listener)),
                List.of(tcpGroup(TG_REMOTE, VPC_B), tcpGroup(TG_EMPTY, VPC_B)),
                List.of(new FabricPeer(VPC_B, "127.0.0.1", gatewayB.server().fabricPort())),
                List.of());
    }

    @Test
    void carriesTheTlsConnectionToTheTargetInThePeerVpcWhichKeepsItsOwnCertificate() throws Exception {
        try (SSLSocket socket = TlsTarget.connect(targetB.clientContext(), gatewayA.port(443), DATASTORE_CUSTOM)) {
            socket.startHandshake();
            assertThat(socket.getSession().getPeerCertificates()[0]).isEqualTo(targetB.certificate());
            socket.getOutputStream().write("NAME\n".getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            assertThat(TlsTarget.readLine(socket.getInputStream())).isEqualTo("target-in-b");
        }
        AccessLogRecord record = gatewayA.accessLog().take();
        assertThat(record.listenerType()).isEqualTo("TLS_PASSTHROUGH");
        assertThat(record.destinationVpcId()).isEqualTo(VPC_B);
        assertThat(record.targetIpPort()).isEqualTo("127.0.0.1:" + targetB.port());
        assertThat(record.failureReason()).isNull();
        assertThat(clientA.connectionsEstablished()).isEqualTo(1);
        // The client's close travels as END_STREAM: B closes its target connection.
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> targetB.open() == 0);
    }

    @Test
    void streamsLargeTransfersBothWaysAcrossTheFabric() throws Exception {
        int size = 32 * 1024 * 1024;
        byte[] expected = TlsTarget.pattern(size);
        long downStart = System.nanoTime();
        try (SSLSocket socket = TlsTarget.connect(targetB.clientContext(), gatewayA.port(443), DATASTORE_CUSTOM)) {
            socket.getOutputStream().write(("DOWN " + size + "\n").getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            assertThat(socket.getInputStream().readNBytes(size)).isEqualTo(expected);
        }
        long downMillis = Duration.ofNanos(System.nanoTime() - downStart).toMillis();
        long upStart = System.nanoTime();
        try (SSLSocket socket = TlsTarget.connect(targetB.clientContext(), gatewayA.port(443), DATASTORE_CUSTOM)) {
            OutputStream out = socket.getOutputStream();
            out.write(("UP " + size + "\n").getBytes(StandardCharsets.US_ASCII));
            out.write(expected);
            out.flush();
            CRC32 crc = new CRC32();
            crc.update(expected);
            assertThat(TlsTarget.readLine(socket.getInputStream())).isEqualTo(size + " " + crc.getValue());
        }
        long upMillis = Duration.ofNanos(System.nanoTime() - upStart).toMillis();
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> targetB.open() == 0);
        System.out.printf("passthrough over the fabric, 32 MiB: down %d ms, up %d ms%n", downMillis, upMillis);
        // Both tunnels shared the one fabric connection of A's single event loop.
        assertThat(clientA.connectionsEstablished()).isEqualTo(1);
    }

    @Test
    void aPeerWithoutTargetsRefusesTheTunnelAndTheClientGetsAnAlert() throws Exception {
        gatewayA.snapshots().swap(snapshotA(TG_EMPTY));
        assertThatThrownBy(() -> {
            try (SSLSocket socket = TlsTarget.connect(targetB.clientContext(), gatewayA.port(443),
                    DATASTORE_CUSTOM)) {
                socket.startHandshake();
            }
        }).isInstanceOf(SSLException.class).hasMessageContaining("internal_error");
        assertThat(gatewayA.accessLog().take().failureReason()).isEqualTo("NoTargets");
        assertThat(targetB.accepted()).isZero();
    }

    @Test
    void aPeerThatIsDownIsACleanRefusal() throws Exception {
        gatewayB.close();
        assertThatThrownBy(() -> {
            try (SSLSocket socket = TlsTarget.connect(targetB.clientContext(), gatewayA.port(443),
                    DATASTORE_CUSTOM)) {
                socket.startHandshake();
            }
        }).isInstanceOf(SSLException.class).hasMessageContaining("internal_error");
        assertThat(gatewayA.accessLog().take().failureReason()).isEqualTo("FabricConnectionFailed");
    }
}
