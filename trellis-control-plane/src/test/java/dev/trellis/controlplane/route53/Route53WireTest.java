package dev.trellis.controlplane.route53;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.auth.Principal;
import dev.trellis.controlplane.ControlPlaneConfig;
import dev.trellis.controlplane.api.Caller;
import dev.trellis.controlplane.http.ApiServer;
import dev.trellis.controlplane.protocol.SafeXmlParser;
import dev.trellis.controlplane.store.Store;
import dev.trellis.controlplane.store.TestStores;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Element;

/**
 * The Route 53 API as raw HTTP (authentication is not wired here): what clients that are not the AWS SDK may send,
 * hostile XML included, and what they get back.
 */
class Route53WireTest {

    private static final String NS = "https://route53.amazonaws.com/doc/2013-04-01/";
    private static final String ACCOUNT = "111122223333";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static Store store;
    private static ApiServer server;

    private record Answer(int status, String body, String requestId, String location) {
        String code() {
            Matcher m = Pattern.compile("<Code>([^<]*)</Code>").matcher(body);
            return m.find() ? m.group(1) : null;
        }
    }

    @BeforeAll
    static void start() throws InterruptedException {
        store = TestStores.h2();
        Route53Service route53 = new Route53Service(store, ControlPlaneConfig.defaults("us-west-2", ACCOUNT),
                Clock.systemUTC(), (caller, action, arn) -> { });
        server = ApiServer.start("127.0.0.1", 0, (request, id) -> route53.handle(request,
                new Caller(Principal.accountRoot("aws", ACCOUNT), ACCOUNT, id)));
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (store != null) {
            store.close();
        }
    }

    private static Answer send(String method, String path, String body) {
        return send(method, path, body == null ? null : body.getBytes(StandardCharsets.UTF_8));
    }

    private static Answer send(String method, String path, byte[] body) {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body))
                .header("Content-Type", "text/xml")
                .build();
        try {
            HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
            return new Answer(response.statusCode(), response.body(),
                    response.headers().firstValue("x-amzn-RequestId").orElse(null),
                    response.headers().firstValue("Location").orElse(null));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * A VPC of the account, stored as the EC2 API stores one: zones may only name VPCs the control plane knows,
     * and this test serves Route 53 alone.
     */
    private static String vpc() {
        String id = String.format("vpc-0%016x", java.util.concurrent.ThreadLocalRandom.current().nextLong());
        com.fasterxml.jackson.databind.node.ObjectNode doc = com.fasterxml.jackson.databind.node.JsonNodeFactory
                .instance.objectNode().put("vpcId", id).put("ownerId", ACCOUNT).put("state", "available");
        store.write(tx -> tx.insert(dev.trellis.controlplane.store.StoredResource.create(
                dev.trellis.controlplane.ec2.Ec2Vpcs.STORE_KIND, id, "arn:aws:ec2:us-west-2:" + ACCOUNT + ":vpc/" + id,
                ACCOUNT, ACCOUNT, null, doc)));
        return id;
    }

    private static String createZoneBody(String name, String vpc) {
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CreateHostedZoneRequest xmlns=\"" + NS + "\">"
                + "<Name>" + name + "</Name><VPC><VPCRegion>us-west-2</VPCRegion><VPCId>" + vpc + "</VPCId></VPC>"
                + "<CallerReference>" + name + System.nanoTime() + "</CallerReference>"
                + "<HostedZoneConfig><Comment>wire</Comment><PrivateZone>true</PrivateZone></HostedZoneConfig>"
                + "</CreateHostedZoneRequest>";
    }

    private static String createZone(String name) {
        Answer created = send("POST", "/2013-04-01/hostedzone", createZoneBody(name, vpc()));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        Matcher m = Pattern.compile("<Id>/hostedzone/(Z[0-9A-Z]{20})</Id>").matcher(created.body());
        assertThat(m.find()).isTrue();
        return m.group(1);
    }

    private static String changeBody(String name) {
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ChangeResourceRecordSetsRequest xmlns=\"" + NS + "\">"
                + "<ChangeBatch><Comment>wire</Comment><Changes><Change><Action>UPSERT</Action><ResourceRecordSet>"
                + "<Name>" + name + "</Name><Type>TXT</Type><TTL>300</TTL><ResourceRecords><ResourceRecord>"
                + "<Value>\"a &amp; b\"</Value></ResourceRecord></ResourceRecords></ResourceRecordSet></Change>"
                + "</Changes></ChangeBatch></ChangeResourceRecordSetsRequest>";
    }

    @Test
    void answersCreateHostedZoneWith201ALocationAndAnXmlDocumentInRoute53sNamespace() throws Exception {
        String vpc = vpc();
        Answer created = send("POST", "/2013-04-01/hostedzone", createZoneBody("wire.example", vpc));

        assertThat(created.status()).isEqualTo(201);
        assertThat(created.body()).startsWith("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CreateHostedZoneResponse"
                + " xmlns=\"" + NS + "\"><HostedZone><Id>/hostedzone/Z");
        assertThat(created.body()).contains("<Name>wire.example.</Name>")
                .contains("<Config><Comment>wire</Comment><PrivateZone>true</PrivateZone></Config>"
                        + "<ResourceRecordSetCount>2</ResourceRecordSetCount></HostedZone>")
                .contains("<ChangeInfo><Id>/change/C").contains("<Status>INSYNC</Status>")
                .contains("<VPC><VPCRegion>us-west-2</VPCRegion><VPCId>" + vpc + "</VPCId></VPC>")
                .doesNotContain("Location");
        Element root = SafeXmlParser.parse(created.body().getBytes(StandardCharsets.UTF_8));
        assertThat(root.getNamespaceURI()).isEqualTo(NS);
        assertThat(created.location()).matches("http://127\\.0\\.0\\.1:\\d+/2013-04-01/hostedzone/Z[0-9A-Z]{20}");
    }

    @Test
    void rendersErrorsAsAnErrorResponseWithTheRequestId() {
        Answer answer = send("GET", "/2013-04-01/hostedzone/Z0000000000000000NONE", (String) null);

        assertThat(answer.status()).isEqualTo(404);
        assertThat(answer.body()).isEqualTo("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse xmlns=\"" + NS
                + "\"><Error><Type>Sender</Type><Code>NoSuchHostedZone</Code><Message>No hosted zone found with ID:"
                + " Z0000000000000000NONE</Message></Error><RequestId>" + answer.requestId()
                + "</RequestId></ErrorResponse>");
    }

    @Test
    void refusesADoctypeWithExternalEntitiesWithoutReadingThem(@TempDir Path dir) throws Exception {
        Path secret = dir.resolve("secret.txt");
        Files.writeString(secret, "TOP-SECRET-CONTENT");
        AtomicInteger connections = new AtomicInteger();
        try (ServerSocket listener = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                while (true) {
                    try (Socket ignored = listener.accept()) {
                        connections.incrementAndGet();
                    } catch (SocketException closed) {
                        return;
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            String http = "http://127.0.0.1:" + listener.getLocalPort() + "/evil.dtd";
            String[] bodies = {
                "<?xml version=\"1.0\"?>\n<!DOCTYPE CreateHostedZoneRequest [\n  <!ENTITY secret SYSTEM \""
                        + secret.toUri() + "\">\n  <!ENTITY remote SYSTEM \"" + http + "\">\n]>\n"
                        + "<CreateHostedZoneRequest xmlns=\"" + NS + "\"><Name>&secret;.example</Name>"
                        + "<VPC><VPCRegion>us-west-2</VPCRegion><VPCId>vpc-0123456789abcdef0</VPCId></VPC>"
                        + "<CallerReference>&remote;</CallerReference></CreateHostedZoneRequest>",
                "<?xml version=\"1.0\"?>\n<!DOCTYPE x [ <!ENTITY % p SYSTEM \"" + http + "\"> %p; ]>\n"
                        + "<CreateHostedZoneRequest xmlns=\"" + NS + "\"/>",
                "<?xml version=\"1.0\"?>\n<!DOCTYPE CreateHostedZoneRequest SYSTEM \"" + http + "\">\n"
                        + "<CreateHostedZoneRequest xmlns=\"" + NS + "\"/>",
                "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;\">"
                        + "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;\">]><CreateHostedZoneRequest xmlns=\"" + NS
                        + "\"><Name>&lol3;</Name></CreateHostedZoneRequest>"};
            for (String body : bodies) {
                Answer answer = send("POST", "/2013-04-01/hostedzone", body);

                assertThat(answer.status()).as(body).isEqualTo(400);
                assertThat(answer.code()).as(body).isEqualTo("InvalidInput");
                assertThat(answer.body()).as(body).contains("a DOCTYPE declaration is not allowed")
                        .doesNotContain("TOP-SECRET").doesNotContain("lollol");
            }
            Thread.sleep(200);
            assertThat(connections.get()).as("connections to the external entity's server").isZero();
        }
    }

    @Test
    void refusesBodiesThatAreNotTheOperationsDocument() {
        String good = createZoneBody("shape.example", vpc());
        record Case(String body, String expected) {
        }
        for (Case c : new Case[] {
            new Case("", "the request has no body"),
            new Case("<CreateHostedZoneRequest xmlns=\"" + NS + "\"><Name>x.io", "Invalid XML ;"),
            new Case(good.replace(NS, "https://route53.amazonaws.com/doc/2012-12-12/"), "in the namespace"),
            new Case(good.replace("CreateHostedZoneRequest", "ChangeResourceRecordSetsRequest"),
                    "document element must be &lt;CreateHostedZoneRequest&gt;"),
            new Case(good.replace("<Name>", "<Nom>x</Nom><Name>"), "unexpected element &lt;Nom&gt;"),
            new Case(good.replace("<Name>shape.example</Name>", "<Name>a</Name><Name>b</Name>"),
                    "appears more than once"),
            new Case(good.replace("<PrivateZone>true", "<PrivateZone>yes"), "must be true or false"),
            new Case(good.replace("<VPCId>", "<VPCId><b>x</b>"), "holds a value, not elements"),
            new Case(good.replaceAll("<CallerReference>[^<]*</CallerReference>", "<CallerReference/>"),
                    "CallerReference: length must be 1-128 characters, not 0"),
            new Case(good.replaceAll("<CallerReference>[^<]*</CallerReference>", ""), "CallerReference: is required"),
            new Case(good.replace("<Comment>wire</Comment>", "<Comment>" + "c".repeat(300) + "</Comment>"),
                    "HostedZoneConfig.Comment: length must be at most 256"),
            new Case(good.replace("<VPCRegion>us-west-2", "<VPCRegion>mars-1"), "VPC.VPCRegion: must be one of"),
        }) {
            Answer answer = send("POST", "/2013-04-01/hostedzone", c.body());
            assertThat(answer.status()).as(c.body()).isEqualTo(400);
            assertThat(answer.code()).as(c.body()).isEqualTo("InvalidInput");
            assertThat(answer.body()).as(c.body()).contains(c.expected());
        }
        String zone = createZone("typed.example");
        Answer badTtl = send("POST", "/2013-04-01/hostedzone/" + zone + "/rrset/",
                changeBody("t.typed.example").replace("<TTL>300", "<TTL>soon"));
        assertThat(badTtl.status()).isEqualTo(400);
        assertThat(badTtl.body()).contains("must be a whole number, not 'soon'");
        Answer fullwidthTtl = send("POST", "/2013-04-01/hostedzone/" + zone + "/rrset/",
                changeBody("t.typed.example").replace("<TTL>300", "<TTL>\uFF13\uFF10\uFF10"));
        assertThat(fullwidthTtl.status()).isEqualTo(400);
        assertThat(fullwidthTtl.body()).contains("must be a whole number");
        Answer badAction = send("POST", "/2013-04-01/hostedzone/" + zone + "/rrset/",
                changeBody("t.typed.example").replace("UPSERT", "RENAME"));
        assertThat(badAction.body()).contains("ChangeBatch.Changes[0].Action: must be one of CREATE, DELETE, UPSERT");
    }

    @Test
    void readsTextWithEntitiesAndCdataAndAnswersTheRealRouteForIdsWithThePrefix() {
        String zone = createZone("cdata.example");
        Answer changed = send("POST", "/2013-04-01/hostedzone/%2Fhostedzone%2F" + zone + "/rrset/",
                changeBody("<![CDATA[t.cdata.example]]>"));
        assertThat(changed.status()).as(changed.body()).isEqualTo(200);
        assertThat(changed.body()).contains("<ChangeResourceRecordSetsResponse xmlns=\"" + NS + "\"><ChangeInfo>");

        Answer listed = send("GET", "/2013-04-01/hostedzone/" + zone + "/rrset?maxitems=1&name=t.cdata.example"
                + "&type=TXT", (String) null);
        assertThat(listed.body()).contains("<ResourceRecordSets><ResourceRecordSet><Name>t.cdata.example.</Name>"
                + "<Type>TXT</Type><TTL>300</TTL><ResourceRecords><ResourceRecord><Value>\"a &amp; b\"</Value>"
                + "</ResourceRecord></ResourceRecords></ResourceRecordSet></ResourceRecordSets>"
                + "<IsTruncated>false</IsTruncated><MaxItems>1</MaxItems>");
        Answer fullwidth = send("GET", "/2013-04-01/hostedzone/" + zone + "/rrset?maxitems=%EF%BC%91", (String) null);
        assertThat(fullwidth.status()).isEqualTo(400);
        assertThat(fullwidth.body()).contains("MaxItems must be a whole number");
    }

    @Test
    void answersUnknownPathsAndUnservedOperationsWithInvalidInput() {
        Answer unknown = send("GET", "/nothing-here", (String) null);
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.code()).isEqualTo("InvalidInput");
        Answer healthCheck = send("GET", "/2013-04-01/healthcheck", (String) null);
        assertThat(healthCheck.status()).isEqualTo(400);
        assertThat(healthCheck.body()).contains("ListHealthChecks is not supported by Trellis");
    }

    @Test
    void neverAnswers500ToPerturbedRequests() {
        String zone = createZone("fuzz.example");
        Random random = new Random(53);
        String[][] requests = {
            {"POST", "/2013-04-01/hostedzone/" + zone + "/rrset/", changeBody("f.fuzz.example")},
            {"POST", "/2013-04-01/hostedzone", createZoneBody("fuzz2.example", vpc())},
            {"POST", "/2013-04-01/hostedzone/" + zone + "/associatevpc", "<AssociateVPCWithHostedZoneRequest xmlns=\""
                    + NS + "\"><VPC><VPCRegion>us-west-2</VPCRegion><VPCId>" + vpc() + "</VPCId></VPC>"
                    + "</AssociateVPCWithHostedZoneRequest>"},
        };
        int sent = 0;
        for (String[] request : requests) {
            byte[] body = request[2].getBytes(StandardCharsets.UTF_8);
            for (int cut = 0; cut < body.length; cut += 7) {
                byte[] truncated = java.util.Arrays.copyOf(body, cut);
                assertNot500(send(request[0], request[1], truncated), request[1], truncated);
                sent++;
            }
            for (int i = 0; i < 150; i++) {
                byte[] mutated = body.clone();
                for (int k = 0; k < 1 + random.nextInt(3); k++) {
                    String noise = "<>&;/\"'x0 \u00e9\t-.*\\]";
                    mutated[random.nextInt(mutated.length)] = (byte) noise.charAt(random.nextInt(noise.length()));
                }
                assertNot500(send(request[0], request[1], mutated), request[1], mutated);
                sent++;
            }
        }
        for (String path : new String[] {"/2013-04-01/hostedzone?maxitems=-1", "/2013-04-01/hostedzone?maxitems=x",
            "/2013-04-01/hostedzone?marker=%00", "/2013-04-01/hostedzone/" + zone + "/rrset?type=A",
            "/2013-04-01/hostedzone/" + zone + "/rrset?name=..&type=A", "/2013-04-01/hostedzone/%00",
            "/2013-04-01/hostedzone/" + "Z".repeat(40), "/2013-04-01/change/%2Fchange%2F",
            "/2013-04-01/hostedzone/" + zone + "/rrset?name=" + "a".repeat(300), "/2013-04-01/hostedzone/" + zone
                    + "/rrset?maxitems=99999999999999"}) {
            Answer answer = send("GET", path, (String) null);
            assertThat(answer.status()).as(path + ": " + answer.body()).isBetween(200, 499);
            sent++;
        }
        assertThat(sent).isGreaterThan(400);
    }

    private static void assertNot500(Answer answer, String path, byte[] body) {
        assertThat(answer.status()).as("%s %s -> %s", path, new String(body, StandardCharsets.UTF_8), answer.body())
                .isBetween(200, 499);
        if (answer.status() >= 400) {
            assertThat(answer.body()).startsWith("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse");
        }
    }
}
