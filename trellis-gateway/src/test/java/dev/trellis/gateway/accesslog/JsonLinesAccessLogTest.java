package dev.trellis.gateway.accesslog;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonLinesAccessLogTest {

    static AccessLogRecord denial() {
        return new AccessLogRecord("arn:aws:vpc-lattice:us-west-2:615847537300:servicenetwork/sn-0a1b2c3d4e5f60718",
                null, "HTTP", "Service", null, "arn:aws:ec2:us-west-2:615847537300:vpc/vpc-027baaaf7156c6075", null,
                "10.0.183.56:57086", "listener-0000000000000050", null, "ClientAccessDenied",
                "arn:aws:vpc-lattice:us-west-2:615847537300:service/svc-0891088e6cc27c501",
                "vpc-027baaaf7156c6075", Instant.parse("2024-08-04T11:28:40.123Z"), "GET", "/summary", "HTTP/1.1",
                403, 120, 310, 2, "curl/8.5.0", "datastore.sarathy.io", null, 0L, 0L, null, null, null, null, null,
                null, null, null, null, "0f8fad5b-d9cb-469f-a165-70867728950e");
    }

    @Test
    void writesLatticesFieldsInOrderWithDashForMissingValues() {
        String json = JsonLinesAccessLog.toJson(denial());

        assertThat(json).startsWith("{\"serviceNetworkArn\":\"arn:aws:vpc-lattice:us-west-2:615847537300:"
                + "servicenetwork/sn-0a1b2c3d4e5f60718\",\"resolvedUser\":\"-\",\"listenerType\":\"HTTP\","
                + "\"authDeniedReason\":\"Service\",\"targetGroupArn\":\"-\"");
        assertThat(json).contains("\"targetIpPort\":\"-\",\"failureReason\":\"ClientAccessDenied\"");
        assertThat(json).contains("\"startTime\":\"2024-08-04T11:28:40Z\"");
        assertThat(json).contains("\"responseCode\":403,\"bytesReceived\":120,\"bytesSent\":310,\"duration\":2");
        assertThat(json).contains("\"requestToTargetDuration\":0,\"responseFromTargetDuration\":0");
        assertThat(json).endsWith("\"callerX509SANURI\":\"-\",\"requestId\":\"0f8fad5b-d9cb-469f-a165-70867728950e\"}");
        assertThat(json).doesNotContain("\n");
    }

    @Test
    void appendsOneLinePerRecordToTheFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("access.log");
        try (JsonLinesAccessLog log = new JsonLinesAccessLog(file)) {
            log.log(denial());
            log.log(denial());
        }

        List<String> lines = Files.readAllLines(file);
        assertThat(lines).hasSize(2).allMatch(line -> line.startsWith("{\"serviceNetworkArn\":"));
    }
}
