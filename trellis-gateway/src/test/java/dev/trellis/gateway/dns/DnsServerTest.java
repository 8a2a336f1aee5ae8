package dev.trellis.gateway.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trellis.gateway.GatewaySnapshots;
import dev.trellis.gateway.support.Fixtures;
import dev.trellis.model.snapshot.DnsZone;
import dev.trellis.model.snapshot.ServiceEntry;
import dev.trellis.model.snapshot.VpcSnapshot;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * The gateway's DNS server on loopback, asked by real clients: dnsjava's {@link SimpleResolver}, {@code dig}, and
 * raw sockets for what clients would not send.
 */
class DnsServerTest {

    private static final Inet4Address GATEWAY = (Inet4Address) address("169.254.171.1");
    private static final String ZONE = "sarathy.io.";
    private static final String SOA = "ns-1536.awsdns-00.co.uk. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400";
    private static final String OTHER_SERVICE_DOMAIN =
            "billing-0aaaaaaaaaaaaaaaa.7d67968.vpc-lattice-svcs.us-west-2.on.aws";

    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
    }

    // --- the walkthrough's chain, generated names, negative answers ---

    @Test
    void resolvesTheWalkthroughsCustomDomainThroughItsCnameToTheGatewaysAddress() throws Exception {
        DnsServer server = start(config(), snapshot(1, sarathyZone()));

        Message response = ask(server, "datastore.sarathy.io.", Type.A);

        assertThat(response.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(response.getHeader().getFlag(Flags.AA)).isTrue();
        List<Record> answer = response.getSection(Section.ANSWER);
        assertThat(answer).hasSize(2);
        CNAMERecord cname = (CNAMERecord) answer.get(0);
        assertThat(cname.getName()).isEqualTo(name("datastore.sarathy.io."));
        assertThat(cname.getTarget()).isEqualTo(name(Fixtures.DATASTORE_DOMAIN + "."));
        assertThat(cname.getTTL()).isEqualTo(300);
        ARecord a = (ARecord) answer.get(1);
        assertThat(a.getName()).isEqualTo(name(Fixtures.DATASTORE_DOMAIN + "."));
        assertThat(a.getAddress()).isEqualTo(GATEWAY);
        assertThat(a.getTTL()).isEqualTo(DnsServerConfig.DEFAULT_GENERATED_NAME_TTL);
    }

    @Test
    void digSeesTheWholeChainWithTheRecordsTtls() throws Exception {
        DnsServer server = start(config(), snapshot(1, sarathyZone()));

        String out = Dig.run(server.port(), "datastore.sarathy.io", "A", "+noall", "+answer", "+comments");

        assertThat(out).contains("status: NOERROR").containsPattern("flags: qr aa rd;");
        assertThat(out).containsPattern("(?m)^datastore\\.sarathy\\.io\\.\\s+300\\s+IN\\s+CNAME\\s+"
                + Fixtures.DATASTORE_DOMAIN.replace(".", "\\.") + "\\.$");
        assertThat(out).containsPattern("(?m)^" + Fixtures.DATASTORE_DOMAIN.replace(".", "\\.")
                + "\\.\\s+60\\s+IN\\s+A\\s+169\\.254\\.171\\.1$");
    }

    @Test
    void aNameInTheZoneThatDoesNotExistIsNxdomainWithTheZonesSoa() throws Exception {
        DnsServer server = start(config(), snapshot(1, sarathyZone()));

        Message response = ask(server, "nothere.sarathy.io.", Type.A);

        assertThat(response.getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(response.getHeader().getFlag(Flags.AA)).isTrue();
        assertThat(response.getSection(Section.ANSWER)).isEmpty();
        List<Record> authority = response.getSection(Section.AUTHORITY);
        assertThat(authority).hasSize(1);
        SOARecord soa = (SOARecord) authority.get(0);
        assertThat(soa.getName()).isEqualTo(name(ZONE));
        assertThat(soa.getHost()).isEqualTo(name("ns-1536.awsdns-00.co.uk."));
        assertThat(soa.getTTL()).isEqualTo(900); // min(SOA TTL 900, minimum 86400): RFC 2308
        String out = Dig.run(server.port(), "nothere.sarathy.io", "+noall", "+comments", "+authority");
        assertThat(out).contains("status: NXDOMAIN").containsPattern("(?m)^sarathy\\.io\\.\\s+900\\s+IN\\s+SOA\\s");
    }

    @Test
    void anExistingNameWithoutTheTypeIsNodataWithTheSoa() throws Exception {
        DnsServer server = start(config(), snapshot(1, sarathyZone()));

        Message txt = ask(server, "www.sarathy.io.", Type.TXT);
        assertThat(txt.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(txt.getSection(Section.ANSWER)).isEmpty();
        assertThat(txt.getSection(Section.AUTHORITY)).singleElement().isInstanceOf(SOARecord.class);

        // b.deep.sarathy.io has no records but a descendant: it exists (an empty non-terminal), so NODATA.
        Message emptyNonTerminal = ask(server, "b.deep.sarathy.io.", Type.A);
        assertThat(emptyNonTerminal.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(emptyNonTerminal.getSection(Section.ANSWER)).isEmpty();
    }

    @Test
    void aaaaForAGeneratedNameIsNodataWithoutIpv6AndTheLatticeAddressWithIt() throws Exception {
        DnsServer v4Only = start(config(), snapshot(1, sarathyZone()));
        Message nodata = ask(v4Only, Fixtures.DATASTORE_DOMAIN + ".", Type.AAAA);
        assertThat(nodata.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(nodata.getSection(Section.ANSWER)).isEmpty();
        SOARecord soa = (SOARecord) nodata.getSection(Section.AUTHORITY).get(0);
        assertThat(soa.getName()).isEqualTo(name("vpc-lattice-svcs.us-west-2.on.aws."));
        assertThat(soa.getSerial()).isEqualTo(1); // the snapshot revision

        DnsServer dualStack = start(config().serviceAddressV6(DnsServerConfig.latticeIpv6Of(GATEWAY)),
                snapshot(1, sarathyZone()));
        String out = Dig.run(dualStack.port(), "datastore.sarathy.io", "AAAA", "+short");
        assertThat(out.lines().toList()).containsExactly(Fixtures.DATASTORE_DOMAIN + ".", "fd00:ec2:80::a9fe:ab01");
    }

    @Test
    void theIpv6AddressMustBeInLatticesRange() {
        assertThatThrownBy(() -> config().serviceAddressV6((java.net.Inet6Address) address("fd00:ec2:81::1")).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the IPv6 service address must be in fd00:ec2:80::/64 (as VPC Lattice's), was "
                        + "fd00:ec2:81:0:0:0:0:1");
    }

    @Test
    void generatedNamesOfServicesThisVpcDoesNotReachAreNxdomain() throws Exception {
        DnsServer server = start(config(), snapshot(1, sarathyZone()));

        Message response = ask(server, OTHER_SERVICE_DOMAIN + ".", Type.A);

        assertThat(response.getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(response.getSection(Section.AUTHORITY)).singleElement().isInstanceOf(SOARecord.class);
    }

    @Test
    void wildcardsAnswerForNamesThatDoNotExistUnderThem() throws Exception {
        DnsServer server = start(config(), snapshot(1, sarathyZone()));

        Message response = ask(server, "anything.wild.sarathy.io.", Type.A);

        assertThat(response.getRcode()).isEqualTo(Rcode.NOERROR);
        ARecord a = (ARecord) response.getSection(Section.ANSWER).get(0);
        assertThat(a.getName()).isEqualTo(name("anything.wild.sarathy.io."));
        assertThat(a.getAddress()).isEqualTo(address("10.0.0.9"));
        // The wildcard does not reach below an existing name other than its own parent.
        assertThat(ask(server, "x.www.sarathy.io.", Type.A).getRcode()).isEqualTo(Rcode.NXDOMAIN);
    }

    @Test
    void chainsCrossZonesAndLoopsEndInServfailWithTheChainFollowed() throws Exception {
        DnsServer server = start(config(), snapshot(1, sarathyZone(), corpZone()));

        Message crossing = ask(server, "api.sarathy.io.", Type.A);
        assertThat(crossing.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(crossing.getSection(Section.ANSWER)).extracting(Record::getType)
                .containsExactly(Type.CNAME, Type.CNAME, Type.A);
        assertThat(((ARecord) crossing.getSection(Section.ANSWER).get(2)).getAddress()).isEqualTo(GATEWAY);

        Message toMissing = ask(server, "gone.sarathy.io.", Type.A);
        assertThat(toMissing.getRcode()).isEqualTo(Rcode.NXDOMAIN); // RFC 6604: about the chain's last name
        assertThat(toMissing.getSection(Section.ANSWER)).hasSize(1);
        assertThat(((SOARecord) toMissing.getSection(Section.AUTHORITY).get(0)).getName()).isEqualTo(name("corp."));

        Message loop = ask(server, "loop1.sarathy.io.", Type.A);
        assertThat(loop.getRcode()).isEqualTo(Rcode.SERVFAIL);
        assertThat(loop.getSection(Section.ANSWER)).extracting(Record::getType)
                .containsExactly(Type.CNAME, Type.CNAME);

        Message cnameItself = ask(server, "datastore.sarathy.io.", Type.CNAME);
        assertThat(cnameItself.getSection(Section.ANSWER)).singleElement().isInstanceOf(CNAMERecord.class);
    }

    // --- EDNS0, truncation, TCP ---

    @Test
    void udpAnswersFitTheClientsAdvertisedSizeAndTcpGetsTheWholeAnswer() throws Exception {
        // The 30 TXT strings make one RRset of about 3.3 KB; RRsets are never split (RFC 2181 §9).
        DnsServer roomy = start(config().maxUdpResponseBytes(4096), snapshot(1, sarathyZone()));

        // No EDNS0: 512 bytes at most, TC set, no OPT.
        byte[] plain = udpExchange(roomy, query("big.sarathy.io.", Type.TXT, null).toWire());
        assertThat(plain.length).isLessThanOrEqualTo(512);
        Message truncated = new Message(plain);
        assertThat(truncated.getHeader().getFlag(Flags.TC)).isTrue();
        assertThat(truncated.getOPT()).isNull();

        // EDNS0 with 1232: still too small, TC; the OPT in the answer advertises the server's size.
        Message small = new Message(udpExchange(roomy, query("big.sarathy.io.", Type.TXT, 1232).toWire()));
        assertThat(small.getHeader().getFlag(Flags.TC)).isTrue();
        assertThat(small.getOPT().getPayloadSize()).isEqualTo(4096);

        // EDNS0 with 4096: the whole answer over UDP.
        byte[] whole = udpExchange(roomy, query("big.sarathy.io.", Type.TXT, 4096).toWire());
        assertThat(whole.length).isGreaterThan(1232).isLessThanOrEqualTo(4096);
        Message wholeResponse = new Message(whole);
        assertThat(wholeResponse.getHeader().getFlag(Flags.TC)).isFalse();
        assertThat(wholeResponse.getSection(Section.ANSWER)).hasSize(30);

        // A client advertising more than the server's cap (1232 by default) gets the cap.
        DnsServer server = start(config(), snapshot(1, sarathyZone()));
        Message capped = new Message(udpExchange(server, query("big.sarathy.io.", Type.TXT, 4096).toWire()));
        assertThat(capped.getHeader().getFlag(Flags.TC)).isTrue();
        assertThat(capped.getOPT().getPayloadSize()).isEqualTo(1232);

        // dig: +ignore shows the truncated UDP answer; by default it retries over TCP and gets all 30 strings.
        String udpOnly = Dig.run(server.port(), "big.sarathy.io", "TXT", "+ignore", "+bufsize=800", "+comments");
        assertThat(udpOnly).containsPattern("flags: qr aa tc rd;").contains("udp: 1232");
        String retried = Dig.run(server.port(), "big.sarathy.io", "TXT", "+bufsize=800", "+noall", "+answer",
                "+comments");
        assertThat(retried).contains("Truncated, retrying in TCP mode.");
        assertThat(retried.lines().filter(l -> l.startsWith("big.sarathy.io.")).count()).isEqualTo(30);
        String tcp = Dig.run(server.port(), "big.sarathy.io", "TXT", "+tcp", "+short");
        assertThat(tcp.lines().count()).isEqualTo(30);
    }

    @Test
    void ednsVersionsOtherThanZeroGetBadvers() throws Exception {
        DnsServer server = start(config(), snapshot(1, sarathyZone()));

        String out = Dig.run(server.port(), "www.sarathy.io", "+edns=1", "+noednsnegotiation", "+comments");

        assertThat(out).contains("status: BADVERS");
    }

    // --- forwarding ---

    @Test
    void namesOutsideTheVpcsZonesGoToTheUpstreamAndChainsLeavingTheZonesAreCompletedThere() throws Exception {
        FakeUpstream upstream = closing(new FakeUpstream(q -> List.of(
                new ARecord(q.getName(), DClass.IN, 42, address("192.0.2.7")))));
        DnsServer server = start(config().upstream(upstream.address()), snapshot(1, sarathyZone()));

        Message outside = ask(server, "example.com.", Type.A);
        assertThat(outside.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(outside.getHeader().getFlag(Flags.AA)).isFalse();
        assertThat(outside.getHeader().getFlag(Flags.RA)).isTrue();
        ARecord a = (ARecord) outside.getSection(Section.ANSWER).get(0);
        assertThat(a.getAddress()).isEqualTo(address("192.0.2.7"));
        assertThat(a.getTTL()).isEqualTo(42);

        Message chain = ask(server, "out.sarathy.io.", Type.A);
        assertThat(chain.getSection(Section.ANSWER)).extracting(Record::getType).containsExactly(Type.CNAME, Type.A);
        assertThat(chain.getSection(Section.ANSWER).get(1).getName()).isEqualTo(name("external.example.com."));
        assertThat(upstream.questions()).extracting(r -> r.getName().toString())
                .containsExactly("example.com.", "external.example.com.");

        // Local names never reach the upstream.
        ask(server, "datastore.sarathy.io.", Type.A);
        ask(server, "nothere.sarathy.io.", Type.A);
        assertThat(upstream.questions()).hasSize(2);
    }

    @Test
    void anUpstreamThatDoesNotAnswerGivesServfailAfterTheTimeout() throws Exception {
        FakeUpstream blackHole = closing(new FakeUpstream(q -> null));
        DnsServer server = start(config().upstream(blackHole.address()).upstreamTimeout(Duration.ofMillis(300)),
                snapshot(1, sarathyZone()));

        long start = System.nanoTime();
        Message response = ask(server, "example.com.", Type.A);

        assertThat(response.getRcode()).isEqualTo(Rcode.SERVFAIL);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(250),
                Duration.ofSeconds(3));
    }

    @Test
    void withoutAnUpstreamNamesOutsideTheZonesAreRefused() throws Exception {
        DnsServer server = start(config(), snapshot(1, sarathyZone()));

        Message response = ask(server, "example.com.", Type.A);

        assertThat(response.getRcode()).isEqualTo(Rcode.REFUSED);
        assertThat(response.getHeader().getFlag(Flags.RA)).isFalse();
        assertThat(Dig.run(server.port(), "example.com", "+comments")).contains("status: REFUSED");
    }

    // --- snapshots ---

    @Test
    void aNewSnapshotChangesTheAnswersAtOnce() throws Exception {
        DnsServer server = start(config(), snapshot(1, sarathyZone()));
        assertThat(((ARecord) ask(server, "www.sarathy.io.", Type.A).getSection(Section.ANSWER).get(0)).getAddress())
                .isEqualTo(address("10.0.0.1"));

        List<DnsZone.Record> changed = new ArrayList<>(sarathyZone().records());
        changed.removeIf(r -> r.name().equals("www.sarathy.io."));
        changed.add(new DnsZone.Record("www.sarathy.io.", "A", 30, List.of("10.0.0.2")));
        server.serve(snapshot(2, new DnsZone("Z1", ZONE, changed)));

        ARecord a = (ARecord) ask(server, "www.sarathy.io.", Type.A).getSection(Section.ANSWER).get(0);
        assertThat(a.getAddress()).isEqualTo(address("10.0.0.2"));
        assertThat(a.getTTL()).isEqualTo(30);
        assertThat(server.revision()).isEqualTo(2);

        // The zone no longer associated: its names leave the server's authority (REFUSED without an upstream).
        server.serve(snapshot(3));
        assertThat(ask(server, "www.sarathy.io.", Type.A).getRcode()).isEqualTo(Rcode.REFUSED);
    }

    @Test
    void aSwapThatKeepsTheNamesReusesTheZonesButAnswersWithTheNewSerial() throws Exception {
        DnsZone zone = sarathyZone();
        DnsServer server = start(config(), snapshot(1, zone));
        String generatedZone = "vpc-lattice-svcs." + Fixtures.REGION + ".on.aws.";
        assertThat(((SOARecord) ask(server, generatedZone, Type.SOA).getSection(Section.ANSWER).get(0)).getSerial())
                .isEqualTo(1);

        // The same zone object and the same service names (what a SnapshotDecoder hands over when they did not
        // change): the generated zone's serial follows the revision, every answer stays.
        server.serve(snapshot(2, zone));
        assertThat(((SOARecord) ask(server, generatedZone, Type.SOA).getSection(Section.ANSWER).get(0)).getSerial())
                .isEqualTo(2);
        assertThat(ask(server, "datastore.sarathy.io.", Type.A).getSection(Section.ANSWER))
                .extracting(Record::getType).containsExactly(Type.CNAME, Type.A);
        assertThat(ask(server, OTHER_SERVICE_DOMAIN + ".", Type.A).getRcode()).isEqualTo(Rcode.NXDOMAIN);

        // A new service: its name is answered from this revision on.
        ServiceEntry billing = Fixtures.service("svc-0aaaaaaaaaaaaaaaa", "billing", OTHER_SERVICE_DOMAIN, null,
                dev.trellis.model.snapshot.AuthLevel.NONE, dev.trellis.model.snapshot.AuthLevel.NONE, 60);
        server.serve(new VpcSnapshot(3, Fixtures.VPC_A, Fixtures.ACCOUNT, Fixtures.REGION, Instant.now(),
                List.of(Fixtures.datastore(), billing), List.of(), List.of(), List.of(), List.of(), List.of(zone)));
        assertThat(((ARecord) ask(server, OTHER_SERVICE_DOMAIN + ".", Type.A).getSection(Section.ANSWER).get(0))
                .getAddress()).isEqualTo(GATEWAY);
        assertThat(((SOARecord) ask(server, generatedZone, Type.SOA).getSection(Section.ANSWER).get(0)).getSerial())
                .isEqualTo(3);
    }

    @Test
    void followsTheGatewaysSnapshotSwaps() throws Exception {
        GatewaySnapshots snapshots = new GatewaySnapshots(VpcSnapshot.empty(Fixtures.VPC_A, Fixtures.REGION));
        DnsServer server = new DnsServer(config().build()).follow(snapshots);
        closeables.add(server);
        server.start();
        assertThat(ask(server, Fixtures.DATASTORE_DOMAIN + ".", Type.A).getRcode()).isEqualTo(Rcode.NXDOMAIN);

        snapshots.swap(snapshot(4, sarathyZone()));

        assertThat(server.revision()).isEqualTo(4);
        Message response = ask(server, "datastore.sarathy.io.", Type.A);
        assertThat(response.getSection(Section.ANSWER)).extracting(Record::getType)
                .containsExactly(Type.CNAME, Type.A);
    }

    // --- hostile input ---

    @Test
    void malformedQueriesGetFormerrOrAreDroppedAndTheServerKeepsAnswering() throws Exception {
        DnsServer server = start(config(), snapshot(1, sarathyZone()));

        // A header claiming one question, followed by a label running past the end.
        byte[] bad = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0x3f, 'a', 'b'};
        Message formErr = new Message(udpExchange(server, bad));
        assertThat(formErr.getHeader().getID()).isEqualTo(0x1234);
        assertThat(formErr.getRcode()).isEqualTo(Rcode.FORMERR);
        assertThat(formErr.getHeader().getFlag(Flags.QR)).isTrue();

        // Two questions: parseable, still FORMERR.
        Message two = query("www.sarathy.io.", Type.A, null);
        two.addRecord(Record.newRecord(name("datastore.sarathy.io."), Type.A, DClass.IN), Section.QUESTION);
        assertThat(new Message(udpExchange(server, two.toWire())).getRcode()).isEqualTo(Rcode.FORMERR);

        // Too short for a header, and a response: no answer at all.
        assertThat(udpExchangeOrNull(server, new byte[] {1, 2, 3})).isNull();
        byte[] response = query("www.sarathy.io.", Type.A, null).toWire();
        response[2] |= (byte) 0x80;
        assertThat(udpExchangeOrNull(server, response)).isNull();

        // Over TCP: FORMERR, and the connection stays usable.
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
            socket.setSoTimeout(3000);
            assertThat(new Message(tcpExchange(socket, bad)).getRcode()).isEqualTo(Rcode.FORMERR);
            Message ok = new Message(tcpExchange(socket, query("www.sarathy.io.", Type.A, null).toWire()));
            assertThat(ok.getRcode()).isEqualTo(Rcode.NOERROR);
        }

        // Random bytes: whatever they are, the server is still there afterwards. (Paced: a burst beyond the
        // socket buffer would only test the kernel.)
        Random random = new Random(6);
        long malformedBefore = server.malformed();
        try (DatagramSocket socket = new DatagramSocket()) {
            for (int i = 0; i < 1000; i++) {
                byte[] junk = new byte[random.nextInt(600)];
                random.nextBytes(junk);
                socket.send(new DatagramPacket(junk, junk.length, server.address()));
                if (i % 50 == 49) {
                    Thread.sleep(5);
                }
            }
        }
        assertThat(ask(server, "datastore.sarathy.io.", Type.A).getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(server.malformed() - malformedBefore).isGreaterThan(500);
    }

    @Test
    void aFloodFromOneClientDoesNotStopAnother() throws Exception {
        // The upstream answers the warm-up's names and never the flood's.
        FakeUpstream blackHole = closing(new FakeUpstream(q -> q.getName().toString().startsWith("warm.")
                ? List.of(new ARecord(q.getName(), DClass.IN, 60, address("192.0.2.8"))) : null));
        // A low rate so that the flood is over it at once even on a busy test machine.
        DnsServer server = start(config().upstream(blackHole.address()).upstreamTimeout(Duration.ofSeconds(5))
                .maxForwardsPerClient(16).maxUdpQueriesPerClientPerSecond(100), snapshot(1, sarathyZone()));
        AtomicBoolean flooding = new AtomicBoolean(true);
        // A server that has been running a while: its code compiled by the JIT (a cold one on a loaded 2-core test
        // machine answers a few hundred queries a second, and the test would measure warm-up).
        // Spread over addresses of their own, each under the rate limit.
        for (int client = 10; client < 14; client++) {
            SimpleResolver warmUp = resolver(server);
            warmUp.setLocalAddress(address("127.0.0." + client));
            for (int i = 0; i < 80; i++) {
                warmUp.send(query(i % 2 == 0 ? "datastore.sarathy.io." : "warm.example.com.", Type.A, 1232));
            }
        }
        // The flooder is another address of the loopback network (Linux routes all of 127/8 to lo).
        InetSocketAddress flooderAddress = new InetSocketAddress(address("127.0.0.2"), 0);
        Thread flooder = new Thread(() -> {
            try (DatagramSocket socket = new DatagramSocket(flooderAddress)) {
                byte[] local = query("www.sarathy.io.", Type.A, null).toWire();
                byte[] forwarded = query("flood.example.com.", Type.A, null).toWire();
                // About 4,000 queries a second (40 times its allowed rate), in bursts of 40 every 10 ms: a flood the
                // server outpaces even on a loaded test machine, so what is tested is the server's policy, not
                // which thread the scheduler favours.
                for (int i = 0; flooding.get(); i++) {
                    byte[] packet = i % 2 == 0 ? local : forwarded;
                    socket.send(new DatagramPacket(packet, packet.length, server.address()));
                    if (i % 40 == 39) {
                        Thread.sleep(10);
                    }
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, "flooder");
        flooder.start();
        try {
            Thread.sleep(300);
            // Another client, meanwhile: every query answered, as a stub resolver asks (1 s, one retry).
            SimpleResolver other = resolver(server);
            other.setTimeout(Duration.ofSeconds(1));
            for (int i = 0; i < 20; i++) {
                Message query = query("datastore.sarathy.io.", Type.A, 1232);
                Message response;
                try {
                    response = other.send(query);
                } catch (java.io.IOException timedOut) {
                    response = other.send(query);
                }
                assertThat(response.getRcode()).isEqualTo(Rcode.NOERROR);
            }
        } finally {
            flooding.set(false);
            flooder.join(5000);
        }
        // The flooder was held to its rate, and its forwards to its share of the upstream.
        assertThat(server.rateLimited()).isGreaterThan(1000);
        assertThat(blackHole.questions().stream().filter(q -> q.getName().toString().startsWith("flood.")).count())
                .isLessThanOrEqualTo(16);
    }

    @Test
    void tcpConnectionsBeyondTheCapAreClosedAndIdleOnesTimeOut() throws Exception {
        DnsServer server = start(config().maxTcpConnections(2).tcpIdleTimeout(Duration.ofMillis(300)),
                snapshot(1, sarathyZone()));
        try (Socket first = new Socket(InetAddress.getLoopbackAddress(), server.port());
             Socket second = new Socket(InetAddress.getLoopbackAddress(), server.port());
             Socket third = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
            third.setSoTimeout(2000);
            assertThat(third.getInputStream().read()).isEqualTo(-1); // closed over the cap
            first.setSoTimeout(2000);
            assertThat(first.getInputStream().read()).isEqualTo(-1); // idle for 300 ms
        }
    }

    // --- helpers ---

    private DnsServerConfig.Builder config() {
        return DnsServerConfig.builder(InetAddress.getLoopbackAddress(), GATEWAY).port(0);
    }

    private DnsServer start(DnsServerConfig.Builder config, VpcSnapshot snapshot) {
        DnsServer server = new DnsServer(config.build());
        server.serve(snapshot);
        closeables.add(server);
        return server.start();
    }

    private <T extends AutoCloseable> T closing(T closeable) {
        closeables.add(closeable);
        return closeable;
    }

    static VpcSnapshot snapshot(long revision, DnsZone... zones) {
        List<ServiceEntry> services = List.of(Fixtures.datastore());
        return new VpcSnapshot(revision, Fixtures.VPC_A, Fixtures.ACCOUNT, Fixtures.REGION, Instant.now(), services,
                List.of(), List.of(), List.of(), List.of(), List.of(zones));
    }

    /** The walkthrough's private hosted zone, with records for each case under test. */
    static DnsZone sarathyZone() {
        List<DnsZone.Record> records = new ArrayList<>(List.of(
                new DnsZone.Record(ZONE, "SOA", 900, List.of(SOA)),
                new DnsZone.Record(ZONE, "NS", 172800, List.of("ns-1536.awsdns-00.co.uk.")),
                new DnsZone.Record("datastore.sarathy.io.", "CNAME", 300, List.of(Fixtures.DATASTORE_DOMAIN + ".")),
                new DnsZone.Record("www.sarathy.io.", "A", 300, List.of("10.0.0.1")),
                new DnsZone.Record("*.wild.sarathy.io.", "A", 300, List.of("10.0.0.9")),
                new DnsZone.Record("a.b.deep.sarathy.io.", "A", 300, List.of("10.0.0.3")),
                new DnsZone.Record("loop1.sarathy.io.", "CNAME", 300, List.of("loop2.sarathy.io.")),
                new DnsZone.Record("loop2.sarathy.io.", "CNAME", 300, List.of("loop1.sarathy.io.")),
                new DnsZone.Record("api.sarathy.io.", "CNAME", 300, List.of("api.corp.")),
                new DnsZone.Record("gone.sarathy.io.", "CNAME", 300, List.of("gone.corp.")),
                new DnsZone.Record("out.sarathy.io.", "CNAME", 300, List.of("external.example.com."))));
        List<String> strings = IntStream.range(0, 30)
                .mapToObj(i -> "\"" + String.format("%02d", i) + "x".repeat(100) + "\"").toList();
        records.add(new DnsZone.Record("big.sarathy.io.", "TXT", 300, strings));
        return new DnsZone("Z1", ZONE, records);
    }

    /** A second private zone: {@code api.corp} points back at the datastore's generated name. */
    static DnsZone corpZone() {
        return new DnsZone("Z2", "corp.", List.of(
                new DnsZone.Record("corp.", "SOA", 60, List.of("ns.corp. admin.corp. 1 7200 900 1209600 60")),
                new DnsZone.Record("api.corp.", "CNAME", 60, List.of(Fixtures.DATASTORE_DOMAIN + "."))));
    }

    private static SimpleResolver resolver(DnsServer server) {
        SimpleResolver resolver = new SimpleResolver(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                server.port()));
        resolver.setTimeout(Duration.ofSeconds(3));
        return resolver;
    }

    private static Message ask(DnsServer server, String name, int type) throws Exception {
        return resolver(server).send(query(name, type, 1232));
    }

    /** A query for ({@code name}, {@code type}), with an OPT record of {@code udpSize} unless it is null. */
    static Message query(String name, int type, Integer udpSize) {
        Message query = Message.newQuery(Record.newRecord(name(name), type, DClass.IN));
        if (udpSize != null) {
            query.addRecord(new OPTRecord(udpSize, 0, 0, 0), Section.ADDITIONAL);
        }
        return query;
    }

    private static byte[] udpExchange(DnsServer server, byte[] packet) throws Exception {
        byte[] response = udpExchange(server, packet, 3000);
        assertThat(response).as("an answer to %s", Arrays.toString(packet)).isNotNull();
        return response;
    }

    /** The answer to {@code packet}, or null when none came within 700 ms (the server answers in far less). */
    private static byte[] udpExchangeOrNull(DnsServer server, byte[] packet) throws Exception {
        return udpExchange(server, packet, 700);
    }

    private static byte[] udpExchange(DnsServer server, byte[] packet, int timeoutMillis) throws Exception {
        try (DatagramSocket socket = new DatagramSocket()) {
            socket.setSoTimeout(timeoutMillis);
            socket.send(new DatagramPacket(packet, packet.length, server.address()));
            byte[] buffer = new byte[65535];
            DatagramPacket received = new DatagramPacket(buffer, buffer.length);
            socket.receive(received);
            return Arrays.copyOf(received.getData(), received.getLength());
        } catch (SocketTimeoutException e) {
            return null;
        }
    }

    private static byte[] tcpExchange(Socket socket, byte[] message) throws Exception {
        DataOutputStream out = new DataOutputStream(socket.getOutputStream());
        out.writeShort(message.length);
        out.write(message);
        out.flush();
        DataInputStream in = new DataInputStream(socket.getInputStream());
        byte[] response = new byte[in.readUnsignedShort()];
        in.readFully(response);
        return response;
    }

    static Name name(String text) {
        return Name.fromConstantString(text);
    }

    static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }
}
