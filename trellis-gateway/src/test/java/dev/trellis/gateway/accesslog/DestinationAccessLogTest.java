package dev.trellis.gateway.accesslog;

import static dev.trellis.gateway.support.Fixtures.ACCOUNT;
import static dev.trellis.gateway.support.Fixtures.DATASTORE_DOMAIN;
import static dev.trellis.gateway.support.Fixtures.DATASTORE_ID;
import static dev.trellis.gateway.support.Fixtures.NETWORK_ARN;
import static dev.trellis.gateway.support.Fixtures.NETWORK_ID;
import static dev.trellis.gateway.support.Fixtures.VPC_A;
import static dev.trellis.gateway.support.Fixtures.defaultRule;
import static dev.trellis.gateway.support.Fixtures.forward;
import static dev.trellis.gateway.support.Fixtures.group;
import static dev.trellis.gateway.support.Fixtures.http;
import static dev.trellis.gateway.support.Fixtures.serviceArn;
import static dev.trellis.gateway.support.Fixtures.snapshot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trellis.gateway.GatewayConfig;
import dev.trellis.gateway.support.TestBackend;
import dev.trellis.gateway.support.TestGateway;
import dev.trellis.model.snapshot.AuthLevel;
import dev.trellis.model.snapshot.ServiceEntry;
import dev.trellis.model.snapshot.VpcSnapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Access-log records written through a real gateway to one file per subscription destination: the right records in
 * the right files, nothing for services without subscriptions, hostile ARNs kept inside the directory, and files
 * closed once no subscription refers to them.
 */
class DestinationAccessLogTest {

    static final String BUCKET = "arn:aws:s3:::lattice-logs-615847537300";
    static final String LOG_GROUP = "arn:aws:logs:us-west-2:" + ACCOUNT + ":log-group:/aws/vpclattice/datastore:*";
    static final String STREAM = "arn:aws:firehose:us-west-2:" + ACCOUNT + ":deliverystream/lattice-stream";
    static final String QUIET_ID = "svc-0555555555555555d";
    static final String QUIET_DOMAIN = "quiet-0555555555555555d.7d67968.vpc-lattice-svcs.us-west-2.on.aws";
    static final String HOSTILE_ID = "svc-0666666666666666e";
    static final String HOSTILE_DOMAIN = "hostile-0666666666666666e.7d67968.vpc-lattice-svcs.us-west-2.on.aws";

    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path temp;
    Path dir;
    TestBackend target;
    DestinationAccessLog accessLog;
    TestGateway gateway;

    @BeforeEach
    void start() throws Exception {
        dir = temp.resolve("access-logs");
        target = TestBackend.start("datastore");
        accessLog = new DestinationAccessLog(dir);
    }

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
        accessLog.close();
        target.close();
    }

    static ServiceEntry service(String id, String name, String domain, List<String> destinations) {
        return new ServiceEntry(id, serviceArn(id), name, domain, null, null, NETWORK_ID, NETWORK_ARN,
                AuthLevel.NONE, AuthLevel.NONE, 60, List.of(http(80, defaultRule(forward("tg-v1", 1)))),
                destinations);
    }

    VpcSnapshot snapshotWith(long revision, ServiceEntry... services) {
        return snapshot(revision, List.of(services), List.of(group("tg-v1", VPC_A, target)), List.of());
    }

    static List<String> files(Path root) throws Exception {
        if (!Files.exists(root)) {
            return List.of();
        }
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.filter(Files::isRegularFile).map(p -> root.relativize(p).toString().replace('\\', '/'))
                    .sorted().collect(Collectors.toList());
        }
    }

    static List<JsonNode> records(Path file) throws Exception {
        if (!Files.exists(file)) {
            return List.of();
        }
        return Files.readAllLines(file).stream().map(line -> {
            try {
                return JSON.readTree(line);
            } catch (Exception e) {
                throw new AssertionError("not a JSON line: " + line, e);
            }
        }).collect(Collectors.toList());
    }

    @Test
    void mapsEachDestinationArnToOneFileUnderItsKind() {
        assertThat(DestinationAccessLog.relativePath(BUCKET)).isEqualTo("s3/lattice-logs-615847537300.log");
        assertThat(DestinationAccessLog.relativePath(LOG_GROUP))
                .isEqualTo("logs/us-west-2/615847537300/%2Faws%2Fvpclattice%2Fdatastore.log");
        assertThat(DestinationAccessLog.relativePath(STREAM))
                .isEqualTo("firehose/us-west-2/615847537300/lattice-stream.log");
        assertThat(DestinationAccessLog.relativePath("arn:aws:sqs:us-west-2:1:q"))
                .isEqualTo("other/arn%3Aaws%3Asqs%3Aus-west-2%3A1%3Aq.log");
        assertThat(DestinationAccessLog.relativePath("arn:aws:s3:::a".repeat(1) + "b".repeat(300)))
                .startsWith("s3/a" + "b".repeat(179) + "~").hasSize("s3/".length() + 180 + 1 + 16 + ".log".length());
    }

    @Test
    void writesOneRecordPerRequestToEveryDestinationOfTheServiceAndNothingForServicesWithout() throws Exception {
        gateway = TestGateway.start(snapshotWith(1,
                        service(DATASTORE_ID, "datastore", DATASTORE_DOMAIN, List.of(BUCKET, LOG_GROUP)),
                        service(QUIET_ID, "quiet", QUIET_DOMAIN, List.of())),
                config -> config.accessLog(accessLog));

        assertThat(gateway.get(DATASTORE_DOMAIN, 80, "/summary?days=7").statusCode()).isEqualTo(200);
        assertThat(gateway.get(DATASTORE_DOMAIN, 80, "/other").statusCode()).isEqualTo(200);
        assertThat(gateway.get(QUIET_DOMAIN, 80, "/quiet").statusCode()).isEqualTo(200);
        assertThat(gateway.get("nobody.example.com", 80, "/").statusCode()).isEqualTo(404);

        Path bucketFile = dir.resolve("s3/lattice-logs-615847537300.log");
        Path groupFile = dir.resolve("logs/us-west-2/615847537300/%2Faws%2Fvpclattice%2Fdatastore.log");
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            assertThat(records(bucketFile)).hasSize(2);
            assertThat(records(groupFile)).hasSize(2);
        });
        for (Path file : List.of(bucketFile, groupFile)) {
            List<JsonNode> lines = records(file);
            assertThat(lines).extracting(r -> r.get("requestPath").asText()).containsExactly("/summary?days=7",
                    "/other");
            JsonNode first = lines.get(0);
            assertThat(first.get("serviceArn").asText()).isEqualTo(serviceArn(DATASTORE_ID));
            assertThat(first.get("serviceNetworkArn").asText()).isEqualTo(NETWORK_ARN);
            assertThat(first.get("responseCode").asInt()).isEqualTo(200);
            assertThat(first.get("resolvedUser").asText()).isEqualTo("-");
            assertThat(first.get("sslCipher").asText()).isEqualTo("-");
            assertThat(first.get("targetIpPort").asText()).isEqualTo("127.0.0.1:" + target.port());
        }
        // Only the two destinations exist: the quiet service and the unknown host wrote nothing.
        assertThat(files(dir)).containsExactly(
                "logs/us-west-2/615847537300/%2Faws%2Fvpclattice%2Fdatastore.log",
                "s3/lattice-logs-615847537300.log");
        assertThat(accessLog.written()).isEqualTo(4);
        assertThat(accessLog.dropped()).isZero();
    }

    @Test
    void keepsHostileDestinationArnsInsideTheDirectory() throws Exception {
        List<String> hostile = List.of(
                "arn:aws:s3:::../../escaped-bucket",
                "arn:aws:logs:../..:..:log-group:../../../escaped-group",
                "arn:aws:firehose:us-west-2:/tmp:deliverystream/..",
                "../../../escaped-other",
                "arn:aws:s3:::.hidden/\u0000nul");
        gateway = TestGateway.start(snapshotWith(1, service(HOSTILE_ID, "hostile", HOSTILE_DOMAIN, hostile)),
                config -> config.accessLog(accessLog));

        assertThat(gateway.get(HOSTILE_DOMAIN, 80, "/").statusCode()).isEqualTo(200);

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(files(dir)).hasSize(5));
        assertThat(files(dir)).containsExactlyInAnyOrder(
                "s3/%2E.%2F..%2Fescaped-bucket.log",
                "logs/%2E.%2F../%2E./%2E.%2F..%2F..%2Fescaped-group.log",
                "firehose/us-west-2/%2Ftmp/%2E..log",
                "other/%2E.%2F..%2F..%2Fescaped-other.log",
                "s3/%2Ehidden%2F%00nul.log");
        // Nothing was created next to the directory or above it.
        assertThat(files(temp)).allMatch(path -> path.startsWith("access-logs/"));
    }

    @Test
    void closesFilesNoSubscriptionRefersToAfterASwap() throws Exception {
        gateway = TestGateway.start(snapshotWith(1,
                        service(DATASTORE_ID, "datastore", DATASTORE_DOMAIN, List.of(BUCKET, STREAM))),
                config -> config.accessLog(accessLog));
        assertThat(gateway.get(DATASTORE_DOMAIN, 80, "/before").statusCode()).isEqualTo(200);
        Path bucketFile = dir.resolve("s3/lattice-logs-615847537300.log");
        Path streamFile = dir.resolve("firehose/us-west-2/615847537300/lattice-stream.log");
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(accessLog.openFiles()).containsExactlyInAnyOrder(bucketFile, streamFile));

        gateway.snapshots().swap(snapshotWith(2,
                service(DATASTORE_ID, "datastore", DATASTORE_DOMAIN, List.of(BUCKET))));

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(accessLog.openFiles()).containsExactly(bucketFile));
        assertThat(gateway.get(DATASTORE_DOMAIN, 80, "/after").statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(records(bucketFile)).hasSize(2));
        assertThat(records(streamFile)).extracting(r -> r.get("requestPath").asText()).containsExactly("/before");
    }

    @Test
    void theConfigOptionWritesUnderTheGivenDirectory() {
        GatewayConfig config = GatewayConfig.builder().accessLogDirectory(dir).build();

        assertThat(config.accessLog()).isInstanceOf(DestinationAccessLog.class);
        assertThat(((DestinationAccessLog) config.accessLog()).directory()).isEqualTo(dir.toAbsolutePath());
    }
}
