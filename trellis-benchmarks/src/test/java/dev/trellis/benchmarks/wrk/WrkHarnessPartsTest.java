package dev.trellis.benchmarks.wrk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trellis.benchmarks.gateway.BenchBackend;
import dev.trellis.benchmarks.gateway.BenchPki;
import dev.trellis.benchmarks.gateway.BenchSnapshots;
import dev.trellis.gateway.GatewayConfig;
import dev.trellis.gateway.GatewayServer;
import dev.trellis.gateway.GatewaySnapshots;
import dev.trellis.gateway.fabric.FabricClient;
import dev.trellis.gateway.fabric.FabricTls;
import dev.trellis.model.snapshot.CertificateEntry;
import dev.trellis.model.snapshot.TargetGroupEntry;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;

/**
 * The parts of the wrk harness whose mistakes would make its figures lie: the request of each gateway scenario is
 * really served (a signature the gateway refused would be measured as fast 403s), and wrk's report is read right.
 */
class WrkHarnessPartsTest {

    static final Path REFERENCE = Path.of(System.getProperty("trellis.reference.dir", "../../shared/reference"));

    @Test
    void theAuthScenariosSignedRequestPassesSigV4AndTheWalkthroughPoliciesAndReachesTheBackend() throws Exception {
        BenchSnapshots.WalkthroughPolicies policies = BenchSnapshots.WalkthroughPolicies.read(REFERENCE);
        try (BenchBackend backend = BenchBackend.start("127.0.0.1", 0);
             GatewayServer gateway = gateway(new GatewaySnapshots(BenchSnapshots.datastore(backend.port(),
                     policies)))) {
            int port = gateway.localPort(BenchSnapshots.LISTENER_PORT);

            String signed = exchange(port, LuaScripts.signedHeaders());
            String unsigned = exchange(port, LuaScripts.plainHeaders());

            assertThat(signed).startsWith("HTTP/1.1 200 OK").endsWith("\r\n\r\nok");
            assertThat(unsigned).startsWith("HTTP/1.1 403 ").contains("AccessDeniedException: User: anonymous");
        }
    }

    @Test
    void nginxHeadersAddsEveryHeaderTheGatewayAddsWithTheGatewaysValues() throws Exception {
        Map<String, String> added;
        try (ServerSocket target = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             GatewayServer gateway = gateway(new GatewaySnapshots(BenchSnapshots.datastore(target.getLocalPort(),
                     null)))) {
            Thread client = new Thread(() -> {
                try {
                    exchange(gateway.localPort(BenchSnapshots.LISTENER_PORT), LuaScripts.plainHeaders());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            client.start();
            try (Socket forwarded = target.accept()) {
                forwarded.setSoTimeout(10_000);
                added = headersAddedTo(forwarded.getInputStream());
                forwarded.getOutputStream().write("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"
                        .getBytes(StandardCharsets.US_ASCII));
            }
            client.join(10_000);
        }
        // what the gateway adds beyond the client's Host (and its Connection: close, which it does not forward)
        assertThat(added.keySet()).containsExactlyInAnyOrder("x-forwarded-for", "x-amzn-requestid",
                "x-forwarded-port", "x-forwarded-proto", "x-amzn-lattice-network", "x-amzn-lattice-target",
                "x-amzn-source-vpc");
        assertThat(added).containsAllEntriesOf(BenchSnapshots.datastoreTargetHeaders());

        WrkOptions options = WrkOptions.parse(new String[] {"--jar", "bench.jar"});
        String server = nginx(options, Scenarios.NGINX_HEADERS).serverBlock(new BenchContext(options));
        for (String name : added.keySet()) {
            assertThat(server).contains("proxy_set_header " + name + " ");
        }
        BenchSnapshots.datastoreTargetHeaders().forEach((name, value) ->
                assertThat(server).contains("proxy_set_header " + name + " \"" + value + "\";"));
        assertThat(server).contains("proxy_set_header Host $http_host;");
        assertThat(nginx(options, Scenarios.NGINX).serverBlock(new BenchContext(options)))
                .doesNotContain("x-amzn").doesNotContain("Host");
    }

    private static Scenarios.Nginx nginx(WrkOptions options, String name) {
        return (Scenarios.Nginx) Scenarios.all(options).stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow();
    }

    /** The head of one request read from {@code in}, lower-cased names, without Host, User-Agent and Accept. */
    private static Map<String, String> headersAddedTo(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("the request ended in its head: " + head);
            }
            head.write(b);
        }
        Map<String, String> headers = new LinkedHashMap<>();
        String[] lines = head.toString(StandardCharsets.US_ASCII).split("\r\n");
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            String name = lines[i].substring(0, colon).toLowerCase(Locale.ROOT);
            if (!name.equals("host")) {
                headers.put(name, lines[i].substring(colon + 1).trim());
            }
        }
        return headers;
    }

    @Test
    void theWarmUpIsTwoRunsSoThatWrkReconnectsOnceBeforeTheMeasuredRun() {
        assertThat(WrkHarness.warmUpRuns(Duration.ofSeconds(60)))
                .containsExactly(Duration.ofSeconds(45), Duration.ofSeconds(15));
        assertThat(WrkHarness.warmUpRuns(Duration.ofSeconds(10)))
                .containsExactly(Duration.ofSeconds(8), Duration.ofSeconds(2));
        assertThat(WrkHarness.warmUpRuns(Duration.ofSeconds(5))).containsExactly(Duration.ofSeconds(5));
    }

    @Test
    void thePlainScenariosRequestIsForwardedWithoutAuth() throws Exception {
        try (BenchBackend backend = BenchBackend.start("127.0.0.1", 0);
             GatewayServer gateway = gateway(new GatewaySnapshots(BenchSnapshots.datastore(backend.port(), null)))) {
            assertThat(exchange(gateway.localPort(BenchSnapshots.LISTENER_PORT), LuaScripts.plainHeaders()))
                    .startsWith("HTTP/1.1 200 OK").endsWith("\r\n\r\nok");
        }
    }

    @Test
    void theHttpsScenarioPresentsTheHarnesssCertificateForTheGeneratedNameAndForwards() throws Exception {
        BenchPki pki = BenchPki.create();
        BenchPki.Issued certificate = pki.server(BenchSnapshots.HOST);
        try (BenchBackend backend = BenchBackend.start("127.0.0.1", 0);
             GatewayServer gateway = new GatewayServer(GatewayConfig.builder().bindAddress("127.0.0.1")
                     .mapPort(BenchSnapshots.HTTPS_LISTENER_PORT, 0).ioThreads(1).build(),
                     new GatewaySnapshots(BenchSnapshots.datastoreHttps(backend.port(), new CertificateEntry(null,
                             List.of(BenchSnapshots.HOST), certificate.certificatePem(),
                             certificate.privateKeyPem(), null)))).start()) {
            int port = gateway.localPort(BenchSnapshots.HTTPS_LISTENER_PORT);

            // What wrk does: SNI = the URL's host (the generated name), connected to 127.0.0.1. The client checks
            // the chain against the run's CA and the name against the SAN, as a real HTTPS client would.
            try (SSLSocket socket = tlsSocket(pki, certificate, port, BenchSnapshots.HOST)) {
                String response = exchange(socket, LuaScripts.closingHeaders());
                assertThat(response).startsWith("HTTP/1.1 200 OK").endsWith("\r\n\r\nok");
                assertThat(socket.getSession().getProtocol()).isEqualTo("TLSv1.3");
            }
            // Another name gets no certificate: the SNI really chooses it.
            assertThatThrownBy(() -> exchange(tlsSocket(pki, certificate, port, "other.example.com"),
                    LuaScripts.plainHeaders())).isInstanceOf(SSLException.class);
        }
    }

    @Test
    void theFabricScenariosFirstHopReachesTheBackendThroughThePeerGateway() throws Exception {
        BenchPki pki = BenchPki.create();
        FabricTls tlsA = FabricTls.create(BenchSnapshots.VPC, pki.gateway(BenchSnapshots.VPC).fabricIdentity());
        FabricTls tlsB = FabricTls.create(BenchSnapshots.VPC_B, pki.gateway(BenchSnapshots.VPC_B).fabricIdentity());
        try (BenchBackend backend = BenchBackend.start("127.0.0.1", 0);
             GatewayServer peer = new GatewayServer(GatewayConfig.builder().bindAddress("127.0.0.1").ioThreads(1)
                     .fabric(new FabricClient(tlsB)).fabricTls(tlsB).fabricListener("127.0.0.1", 0).build(),
                     new GatewaySnapshots(BenchSnapshots.fabricPeer(backend.port()))).start();
             GatewayServer firstHop = new GatewayServer(GatewayConfig.builder().bindAddress("127.0.0.1")
                     .mapPort(BenchSnapshots.LISTENER_PORT, 0).ioThreads(1).fabric(new FabricClient(tlsA)).build(),
                     new GatewaySnapshots(BenchSnapshots.fabricFirstHop("127.0.0.1", peer.fabricPort()))).start()) {
            // The first hop knows no target of the group: a 200 can only come through the peer.
            TargetGroupEntry remote = BenchSnapshots.fabricFirstHop("127.0.0.1", peer.fabricPort()).targetGroups()
                    .get(0);
            assertThat(remote.vpcId()).isEqualTo(BenchSnapshots.VPC_B);
            assertThat(remote.targets()).isEmpty();

            assertThat(exchange(firstHop.localPort(BenchSnapshots.LISTENER_PORT), LuaScripts.plainHeaders()))
                    .startsWith("HTTP/1.1 200 OK").endsWith("\r\n\r\nok");
        }
    }

    @Test
    void theTlsScriptsResolveTheGeneratedNameLocallyAndTheHandshakeScriptsCloseEachConnection() {
        String lua = LuaScripts.script(LuaScripts.closingHeaders(), 0, true);

        assertThat(lua).contains("function wrk.resolve(host, service)")
                .contains("wrk.addrs = wrk.lookup(\"127.0.0.1\", service)")
                .contains("wrk.headers[\"Connection\"] = \"close\"")
                .contains("wrk.headers[\"Host\"] = \"" + BenchSnapshots.HOST + "\"");
        assertThat(LuaScripts.script(LuaScripts.plainHeaders(), 0)).doesNotContain("resolve");
    }

    @Test
    void readsRateLatencyPercentilesAndErrorsFromWrksReport() {
        WrkResult result = WrkResult.parse("""
                Running 5s test @ http://127.0.0.1:18080/
                  1 threads and 64 connections
                  Thread Stats   Avg      Stdev     Max   +/- Stdev
                    Latency   812.50us  301.20us  12.46ms   90.50%
                    Req/Sec    78.07k     1.30k    80.19k    72.34%
                  Latency Distribution
                     50%  780.00us
                     75%    1.02ms
                     90%    1.21ms
                     99%    2.13ms
                  390367 requests in 5.01s, 56.13MB read
                  Socket errors: connect 0, read 2, write 0, timeout 1
                  Non-2xx or 3xx responses: 7
                Requests/sec:  77918.37
                Transfer/sec:     11.20MB
                """);

        assertThat(result.requestsPerSecond()).isEqualTo(77918.37);
        assertThat(result.p50Micros()).isEqualTo(780.0);
        assertThat(result.p99Micros()).isEqualTo(2130.0);
        assertThat(result.maxMicros()).isEqualTo(12460.0);
        assertThat(result.requests()).isEqualTo(390367);
        assertThat(result.badResponses()).isEqualTo(7);
        assertThat(result.socketErrors()).isEqualTo(3);
        assertThat(result.clean()).isFalse();
    }

    @Test
    void aGatewayTransportBecomesTheGatewaysSystemPropertyAndAnUnknownOneIsRefused() {
        WrkOptions options = WrkOptions.parse(new String[] {"--jar", "bench.jar", "--gateway-transport", "io_uring"});
        assertThat(options.gatewayJavaOpts())
                .isEqualTo("-Xms512m -Xmx512m -XX:MaxTenuringThreshold=1 -XX:-ClassUnloadingWithConcurrentMark "
                        + "-Dtrellis.transport=io_uring");
        assertThat(WrkOptions.parse(new String[] {"--jar", "bench.jar"}).gatewayJavaOpts())
                .isEqualTo("-Xms512m -Xmx512m -XX:MaxTenuringThreshold=1 -XX:-ClassUnloadingWithConcurrentMark");
        assertThatThrownBy(() -> WrkOptions.parse(new String[] {"--jar", "bench.jar", "--gateway-transport", "uring"}))
                .hasMessage("--gateway-transport must be epoll, io_uring, nio or auto, not 'uring'");
    }

    @Test
    void interleavedScenariosListenOnPortsOfTheirOwnAndShareTheBackend() {
        WrkOptions options = WrkOptions.parse(new String[] {"--jar", "bench.jar", "--interleave"});
        assertThat(options.interleave()).isTrue();
        assertThat(WrkOptions.parse(new String[] {"--jar", "bench.jar"}).interleave()).isFalse();
        BenchContext context = new BenchContext(options);
        Set<Integer> ports = new HashSet<>(List.of(context.backendPort()));
        for (int slot = 0; slot < Scenarios.all(options).size(); slot++) {
            BenchContext inSlot = context.inSlot(slot);
            assertThat(inSlot.backendPort()).isEqualTo(18081);
            assertThat(ports.add(inSlot.proxyPort())).as("proxy port of slot %d", slot).isTrue();
            assertThat(ports.add(inSlot.fabricPort())).as("fabric port of slot %d", slot).isTrue();
        }
        // slot 0 is the layout without --interleave: proxy, backend, fabric peer on three ports in a row
        assertThat(context.proxyPort()).isEqualTo(18080);
        assertThat(context.fabricPort()).isEqualTo(18082);
        assertThatThrownBy(() -> WrkOptions.parse(new String[] {"--jar", "bench.jar", "--interleave",
                "--base-port", "65510"})).hasMessageStartingWith("--base-port leaves no room");
        assertThat(WrkOptions.parse(new String[] {"--jar", "bench.jar", "--interleave", "--base-port", "65503"})
                .proxyPort()).isEqualTo(65503);
    }

    @Test
    void interleavedRoundsAlternateTheScenariosOrder() {
        assertThat(WrkHarness.interleavedOrder(4, 1)).containsExactly(0, 1, 2, 3);
        assertThat(WrkHarness.interleavedOrder(4, 2)).containsExactly(3, 2, 1, 0);
        assertThat(WrkHarness.interleavedOrder(4, 3)).containsExactly(0, 1, 2, 3);
    }

    @Test
    void refusesAnOutputWithoutAReport() {
        assertThatThrownBy(() -> WrkResult.parse("unable to connect to 127.0.0.1:18080 Connection refused"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("wrk printed no report:");
    }

    @Test
    void pacesAFractionalDelayByChoosingFloorOrCeilingWithTheRightOdds() {
        String lua = LuaScripts.script(Map.of("Host", "example"), 2.56);

        assertThat(lua).contains("wrk.headers[\"Host\"] = \"example\"")
                .contains("local floor_ms, fraction = 2, 0.5600")
                .contains("function delay()");
        assertThat(LuaScripts.script(Map.of("Host", "example"), 0)).doesNotContain("delay");
    }

    @Test
    void judgesTheP99OnTheRoundsInWhichBothPacedRunsAchievedTheRateAskedFor() {
        // asked 40,000 req/s; nginx p99 1.0 ms
        WrkHarness.Paced nginx = paced(40_000, 40_400, 1_000);

        assertThat(Report.p99Target(List.of(paced(40_000, 39_000, 1_300)), List.of(nginx)))
                .contains("median difference +0.300 ms over 1 of 1 rounds").endsWith("| PASS |\n");
        assertThat(Report.p99Target(List.of(paced(40_000, 39_000, 1_600)), List.of(nginx)))
                .endsWith("| FAIL |\n");
        // the gateway well under the rate (a lighter load) and nginx well over it: not comparable
        WrkHarness.Paced slowGateway = paced(40_000, 30_000, 1_200);
        WrkHarness.Paced fastNginx = paced(40_000, 68_000, 1_000);
        assertThat(Report.p99Target(List.of(slowGateway), List.of(fastNginx)))
                .contains("round 1: nginx 1.70 ×, gateway 0.75 × the rate asked for")
                .endsWith("| not judged (no round on pace) |\n");
        // a round off pace is left out of the median, whichever way it would have moved it
        assertThat(Report.p99Target(List.of(paced(40_000, 39_000, 1_100), paced(40_000, 52_000, 900),
                        paced(40_000, 41_000, 1_700)), List.of(nginx, nginx, nginx)))
                .contains("median difference +0.700 ms over 2 of 3 rounds")
                .contains("left out, the pace missed by more than 10 % (round 2: gateway 1.30 × the rate asked for)")
                .endsWith("| FAIL |\n");
    }

    private static WrkHarness.Paced paced(double asked, double achieved, double p99Micros) {
        return new WrkHarness.Paced(asked, 1.0,
                new WrkResult(achieved, p99Micros / 2, p99Micros, p99Micros * 3, (long) achieved * 15, 0, 0, 1.0));
    }

    private static GatewayServer gateway(GatewaySnapshots snapshots) {
        return new GatewayServer(GatewayConfig.builder().bindAddress("127.0.0.1")
                .mapPort(BenchSnapshots.LISTENER_PORT, 0).ioThreads(1).build(), snapshots).start();
    }

    /** A TLS client socket to 127.0.0.1:{@code port} sending {@code serverName} as SNI, verifying against the CA. */
    private static SSLSocket tlsSocket(BenchPki pki, BenchPki.Issued issued, int port, String serverName)
            throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(
                new ByteArrayInputStream(issued.caPem().getBytes(StandardCharsets.US_ASCII))));
        TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trustManagers.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trustManagers.getTrustManagers(), null);
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port);
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setServerNames(List.of(new SNIHostName(serverName)));
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        socket.setSSLParameters(parameters);
        return socket;
    }

    /** Sends {@code GET /} with these headers, as wrk does, and returns the whole response (the gateway closes). */
    private static String exchange(int port, Map<String, String> headers) throws IOException {
        return exchange(new Socket("127.0.0.1", port), headers);
    }

    private static String exchange(Socket connected, Map<String, String> headers) throws IOException {
        StringBuilder request = new StringBuilder("GET / HTTP/1.1\r\n");
        headers.forEach((name, value) -> request.append(name).append(": ").append(value).append("\r\n"));
        if (!headers.containsKey("Connection")) {
            request.append("Connection: close\r\n");
        }
        request.append("\r\n");
        try (Socket socket = connected) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(request.toString().getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream response = new ByteArrayOutputStream();
            in.transferTo(response);
            return response.toString(StandardCharsets.UTF_8);
        }
    }
}
