package dev.trellis.gateway.passthrough;

import static dev.trellis.gateway.support.Fixtures.ACCOUNT;
import static dev.trellis.gateway.support.Fixtures.DATASTORE_CUSTOM;
import static dev.trellis.gateway.support.Fixtures.DATASTORE_DOMAIN;
import static dev.trellis.gateway.support.Fixtures.REGION;
import static dev.trellis.gateway.support.Fixtures.VPC_A;
import static dev.trellis.gateway.support.Fixtures.defaultRule;
import static dev.trellis.gateway.support.Fixtures.forward;
import static dev.trellis.gateway.support.Fixtures.http;
import static dev.trellis.gateway.support.Fixtures.service;
import static dev.trellis.gateway.support.Fixtures.targetGroupArn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trellis.gateway.accesslog.AccessLogRecord;
import dev.trellis.gateway.support.Fixtures;
import dev.trellis.gateway.support.TestBackend;
import dev.trellis.gateway.support.TestGateway;
import dev.trellis.gateway.support.TlsTarget;
import dev.trellis.model.snapshot.AuthLevel;
import dev.trellis.model.snapshot.ServiceEntry;
import dev.trellis.model.snapshot.ServiceListener;
import dev.trellis.model.snapshot.TargetGroupEntry;
import dev.trellis.model.snapshot.VpcSnapshot;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * TLS_PASSTHROUGH listeners through a real gateway on loopback: JDK TLS clients with SNI {@code datastore.sarathy.io}
 * reach TLS targets that hold their own certificates, raw sockets play the broken and slow clients.
 */
class PassthroughListenerTest {

    static final String TG_A = "tg-0aaaaaaaaaaaaaaaa";
    static final String TG_B = "tg-0bbbbbbbbbbbbbbbb";
    static final String TG_HTTP = "tg-0cccccccccccccccc";
    static final String CONNECT_POLICY = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
            + "\"Principal\":\"*\",\"Action\":\"vpc-lattice-svcs:Connect\",\"Resource\":\"*\"}]}";
    static final String INVOKE_ONLY_POLICY = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
            + "\"Principal\":\"*\",\"Action\":\"vpc-lattice-svcs:Invoke\",\"Resource\":\"*\"}]}";

    TlsTarget targetA;
    TlsTarget targetB;
    TestBackend httpBackend;
    TestGateway gateway;

    @BeforeEach
    void start() throws Exception {
        targetA = TlsTarget.start("target-a", DATASTORE_CUSTOM);
        targetB = TlsTarget.start("target-b", DATASTORE_CUSTOM);
        httpBackend = TestBackend.start("http-target");
    }

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
        targetA.close();
        targetB.close();
        httpBackend.close();
    }

    static ServiceListener passthrough(int port, Object... groupsAndWeights) {
        return new ServiceListener("listener-0p" + String.format("%015x", port), "arn:listener/tls/" + port,
                "TLS_PASSTHROUGH", port, List.of(defaultRule(forward(groupsAndWeights))));
    }

    static TargetGroupEntry tcpGroup(String id, TlsTarget... targets) {
        List<TargetGroupEntry.Target> list = new ArrayList<>();
        for (TlsTarget target : targets) {
            list.add(new TargetGroupEntry.Target("127.0.0.1", target.port(), false));
        }
        return new TargetGroupEntry(id, targetGroupArn(id), "IP", "TCP", null, 443, VPC_A, null, list);
    }

    VpcSnapshot snapshot(AuthLevel serviceAuth, ServiceListener... listeners) {
        ServiceEntry datastore = service(Fixtures.DATASTORE_ID, "datastore", DATASTORE_DOMAIN, DATASTORE_CUSTOM,
                AuthLevel.NONE, serviceAuth, 60, listeners);
        return new VpcSnapshot(1, VPC_A, ACCOUNT, REGION, Instant.now(), List.of(datastore),
                List.of(tcpGroup(TG_A, targetA), tcpGroup(TG_B, targetB), Fixtures.group(TG_HTTP, VPC_A, httpBackend)),
                List.of(), List.of());
    }

    void startGateway(VpcSnapshot snapshot) {
        gateway = TestGateway.start(snapshot, c -> c.mapPort(443, 0).requestHeadTimeout(Duration.ofMillis(500)));
    }

    /** Connects with SNI, checks the certificate is {@code target}'s, and returns the target's name. */
    static String nameThrough(int port, TlsTarget target, String serverName) throws Exception {
        try (SSLSocket socket = TlsTarget.connect(target.clientContext(), port, serverName)) {
            socket.startHandshake();
            assertThat(socket.getSession().getPeerCertificates()[0]).isEqualTo(target.certificate());
            socket.getOutputStream().write("NAME\n".getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            return TlsTarget.readLine(socket.getInputStream());
        }
    }

    /** A client context that trusts both targets' certificates (for weighted routing across them). */
    SSLContext trustingBoth() throws Exception {
        var trust = java.security.KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("a", targetA.certificate());
        trust.setCertificateEntry("b", targetB.certificate());
        var factory = javax.net.ssl.TrustManagerFactory.getInstance(
                javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, factory.getTrustManagers(), null);
        return context;
    }

    @Test
    void reachesTheTlsTargetBySniAndTheClientSeesTheTargetsOwnCertificate() throws Exception {
        startGateway(snapshot(AuthLevel.NONE, passthrough(443, TG_A, 100)));

        assertThat(nameThrough(gateway.port(443), targetA, DATASTORE_CUSTOM)).isEqualTo("target-a");
        // The SNI is matched ignoring case, as DNS names are.
        assertThat(nameThrough(gateway.port(443), targetA, "DataStore.Sarathy.IO")).isEqualTo("target-a");

        AccessLogRecord record = gateway.accessLog().take();
        assertThat(record.listenerType()).isEqualTo("TLS_PASSTHROUGH");
        assertThat(record.serverNameIndication()).isEqualTo(DATASTORE_CUSTOM);
        assertThat(record.targetGroupArn()).isEqualTo(targetGroupArn(TG_A));
        assertThat(record.targetIpPort()).isEqualTo("127.0.0.1:" + targetA.port());
        assertThat(record.failureReason()).isNull();
        assertThat(record.bytesReceived()).isGreaterThan(100);
        assertThat(record.bytesSent()).isGreaterThan(100);
        assertThat(record.requestMethod()).isNull();
        assertThat(record.tlsVersion()).isNull();
    }

    @Test
    void splitsConnectionsAcrossTwoTcpTargetGroupsByWeight() throws Exception {
        startGateway(snapshot(AuthLevel.NONE, passthrough(443, TG_A, 75, TG_B, 25)));
        SSLContext context = trustingBoth();
        Map<String, Integer> counts = new TreeMap<>();
        for (int i = 0; i < 8; i++) {
            try (SSLSocket socket = TlsTarget.connect(context, gateway.port(443), DATASTORE_CUSTOM)) {
                socket.getOutputStream().write("NAME\n".getBytes(StandardCharsets.US_ASCII));
                socket.getOutputStream().flush();
                counts.merge(TlsTarget.readLine(socket.getInputStream()), 1, Integer::sum);
            }
        }
        assertThat(counts).isEqualTo(Map.of("target-a", 6, "target-b", 2));
    }

    @Test
    void refusesUnknownAndMissingSniAndTheGeneratedNameWithoutConnectingToATarget() throws Exception {
        startGateway(snapshot(AuthLevel.NONE, passthrough(443, TG_A, 100)));
        int port = gateway.port(443);

        for (String name : new String[] {"other.sarathy.io", DATASTORE_DOMAIN, null}) {
            assertThatThrownBy(() -> nameThrough(port, targetA, name))
                    .as("SNI %s", name)
                    .isInstanceOf(SSLException.class)
                    .hasMessageContaining("unrecognized_name");
        }
        assertThat(targetA.accepted()).isZero();
        List<String> reasons = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            reasons.add(gateway.accessLog().take().failureReason());
        }
        assertThat(reasons).containsExactly("UnknownServerName", "UnknownServerName", "NoServerName");
        assertThat(gateway.accessLog().all()).isEmpty();
    }

    @Test
    void closesAClientThatNeverSendsAClientHelloAfterTheTimeoutWhileServingAnother() throws Exception {
        startGateway(snapshot(AuthLevel.NONE, passthrough(443, TG_A, 100)));
        int port = gateway.port(443);
        try (Socket silent = new Socket(InetAddress.getLoopbackAddress(), port);
             Socket partial = new Socket(InetAddress.getLoopbackAddress(), port)) {
            silent.setSoTimeout(5_000);
            partial.setSoTimeout(5_000);
            // The first bytes of a ClientHello record, never the rest.
            partial.getOutputStream().write(new byte[] {22, 3, 1, 0, 100, 1, 0, 0});
            partial.getOutputStream().flush();
            long start = System.nanoTime();
            assertThat(nameThrough(port, targetA, DATASTORE_CUSTOM)).isEqualTo("target-a");
            assertThat(silent.getInputStream().read()).isEqualTo(-1);
            assertThat(partial.getInputStream().read()).isEqualTo(-1);
            long waitedMillis = Duration.ofNanos(System.nanoTime() - start).toMillis();
            assertThat(waitedMillis).isBetween(300L, 4_000L);
        }
        assertThat(targetA.accepted()).isEqualTo(1);
        assertThat(gateway.accessLog().all()).extracting(AccessLogRecord::failureReason)
                .containsOnly(null, "ClientHelloTimeout");
    }

    @Test
    void closesOversizedMalformedAndNonTlsClientHellosAtOnce() throws Exception {
        // A long ClientHello timeout: these must be closed because of what they sent, not because of time.
        gateway = TestGateway.start(snapshot(AuthLevel.NONE, passthrough(443, TG_A, 100)),
                c -> c.mapPort(443, 0).requestHeadTimeout(Duration.ofSeconds(30)));
        int port = gateway.port(443);
        byte[][] inputs = {
            // a handshake record whose ClientHello claims 64 KiB (over the 16 KiB limit)
            {22, 3, 1, 0, 4, 1, 1, 0, 0},
            // a zero-length handshake record
            {22, 3, 1, 0, 0},
            // not TLS at all: plain HTTP
            "GET / HTTP/1.1\r\nHost: datastore.sarathy.io\r\n\r\n".getBytes(StandardCharsets.US_ASCII),
        };
        for (byte[] input : inputs) {
            try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
                socket.setSoTimeout(5_000);
                socket.getOutputStream().write(input);
                socket.getOutputStream().flush();
                long start = System.nanoTime();
                assertThat(readUntilClosed(socket.getInputStream())).isLessThanOrEqualTo(7);
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
            }
        }
        assertThat(targetA.accepted()).isZero();
        assertThat(nameThrough(port, targetA, DATASTORE_CUSTOM)).isEqualTo("target-a");
    }

    @Test
    void streamsLargeTransfersBothWays() throws Exception {
        startGateway(snapshot(AuthLevel.NONE, passthrough(443, TG_A, 100)));
        int size = 32 * 1024 * 1024;
        byte[] expected = TlsTarget.pattern(size);

        long downStart = System.nanoTime();
        try (SSLSocket socket = TlsTarget.connect(targetA.clientContext(), gateway.port(443), DATASTORE_CUSTOM)) {
            socket.getOutputStream().write(("DOWN " + size + "\n").getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            byte[] received = socket.getInputStream().readNBytes(size);
            assertThat(received).isEqualTo(expected);
        }
        long downMillis = Duration.ofNanos(System.nanoTime() - downStart).toMillis();

        long upStart = System.nanoTime();
        try (SSLSocket socket = TlsTarget.connect(targetA.clientContext(), gateway.port(443), DATASTORE_CUSTOM)) {
            OutputStream out = socket.getOutputStream();
            out.write(("UP " + size + "\n").getBytes(StandardCharsets.US_ASCII));
            for (int offset = 0; offset < size; offset += 64 * 1024) {
                out.write(expected, offset, 64 * 1024);
            }
            out.flush();
            CRC32 crc = new CRC32();
            crc.update(expected);
            assertThat(TlsTarget.readLine(socket.getInputStream())).isEqualTo(size + " " + crc.getValue());
        }
        long upMillis = Duration.ofNanos(System.nanoTime() - upStart).toMillis();

        long directStart = System.nanoTime();
        try (SSLSocket socket = TlsTarget.connect(targetA.clientContext(), targetA.port(), DATASTORE_CUSTOM)) {
            socket.getOutputStream().write(("DOWN " + size + "\n").getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            assertThat(socket.getInputStream().readNBytes(size)).hasSize(size);
        }
        long directMillis = Duration.ofNanos(System.nanoTime() - directStart).toMillis();
        System.out.printf("passthrough 32 MiB: down %d ms, up %d ms; direct down %d ms%n", downMillis, upMillis,
                directMillis);
        AccessLogRecord down = gateway.accessLog().take();
        assertThat(down.bytesSent()).isGreaterThan(size);
        AccessLogRecord up = gateway.accessLog().take();
        assertThat(up.bytesReceived()).isGreaterThan(size);
    }

    @Test
    void anAwsIamServiceRefusesTheConnectionUnlessItsPolicyAllowsAnonymousConnect() throws Exception {
        startGateway(snapshot(new AuthLevel("AWS_IAM", INVOKE_ONLY_POLICY), passthrough(443, TG_A, 100)));
        assertThatThrownBy(() -> nameThrough(gateway.port(443), targetA, DATASTORE_CUSTOM))
                .isInstanceOf(SSLException.class)
                .hasMessageContaining("access_denied");
        assertThat(targetA.accepted()).isZero();
        AccessLogRecord denied = gateway.accessLog().take();
        assertThat(denied.failureReason()).isEqualTo("ClientAccessDenied");
        assertThat(denied.authDeniedReason()).isEqualTo("Service");

        // AWS_IAM without any policy denies everything too.
        gateway.snapshots().swap(snapshot(new AuthLevel("AWS_IAM", null), passthrough(443, TG_A, 100)));
        assertThatThrownBy(() -> nameThrough(gateway.port(443), targetA, DATASTORE_CUSTOM))
                .hasMessageContaining("access_denied");

        gateway.snapshots().swap(snapshot(new AuthLevel("AWS_IAM", CONNECT_POLICY), passthrough(443, TG_A, 100)));
        assertThat(nameThrough(gateway.port(443), targetA, DATASTORE_CUSTOM)).isEqualTo("target-a");
    }

    @Test
    void aPortWithAnHttpListenerOfAnotherServiceServesHttpToClientsWithoutTls() throws Exception {
        ServiceEntry web = service("svc-0777777777777777", "web", "web-0777777777777777.7d67968.vpc-lattice-svcs."
                + REGION + ".on.aws", null, AuthLevel.NONE, AuthLevel.NONE, 60, http(443, defaultRule(
                forward(TG_HTTP, 100))));
        VpcSnapshot base = snapshot(AuthLevel.NONE, passthrough(443, TG_A, 100));
        List<ServiceEntry> services = new ArrayList<>(base.services());
        services.add(web);
        startGateway(new VpcSnapshot(1, VPC_A, ACCOUNT, REGION, Instant.now(), services, base.targetGroups(),
                List.of(), List.of()));

        assertThat(nameThrough(gateway.port(443), targetA, DATASTORE_CUSTOM)).isEqualTo("target-a");
        var response = gateway.get(web.domainName(), 443, "/hello");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("http-target");
        assertThat(gateway.server().openConnections()).isLessThanOrEqualTo(1);
    }

    @Test
    void theIdleTimeoutClosesAConnectionWithNoTrafficEitherWay() throws Exception {
        ServiceEntry quick = service(Fixtures.DATASTORE_ID, "datastore", DATASTORE_DOMAIN, DATASTORE_CUSTOM,
                AuthLevel.NONE, AuthLevel.NONE, 1, passthrough(443, TG_A, 100));
        startGateway(new VpcSnapshot(1, VPC_A, ACCOUNT, REGION, Instant.now(), List.of(quick),
                List.of(tcpGroup(TG_A, targetA)), List.of(), List.of()));
        try (SSLSocket socket = TlsTarget.connect(targetA.clientContext(), gateway.port(443), DATASTORE_CUSTOM)) {
            socket.startHandshake();
            long start = System.nanoTime();
            assertThat(readUntilClosed(socket.getInputStream())).isZero();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(700),
                    Duration.ofSeconds(4));
        } catch (SSLException | SocketException e) {
            // a TLS 1.3 client may see the cut as an error rather than an end of stream: closed either way
        }
        assertThat(gateway.accessLog().take().failureReason()).isEqualTo("IdleTimeout");
    }

    /** Reads until end of stream; returns how many bytes came before it. */
    static int readUntilClosed(InputStream in) throws Exception {
        int total = 0;
        byte[] buffer = new byte[1024];
        int n;
        while ((n = in.read(buffer)) >= 0) {
            total += n;
        }
        return total;
    }
}
