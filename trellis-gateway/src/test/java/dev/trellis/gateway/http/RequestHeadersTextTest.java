package dev.trellis.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The request path's hand-made header text: request ids written as bytes, hop-by-hop names found in one walk. */
class RequestHeadersTextTest {

    @Test
    void requestIdsAreDistinctLowerCaseVersion4UuidsInTheirUsualForm() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            AsciiString id = Exchange.newRequestId();
            String text = id.toString();
            assertThat(text).matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
            UUID parsed = UUID.fromString(text);
            assertThat(parsed.version()).isEqualTo(4);
            assertThat(parsed.variant()).isEqualTo(2);
            assertThat(parsed.toString()).isEqualTo(text);
            seen.add(text);
        }
        assertThat(seen).hasSize(10_000);
    }

    @Test
    void hopByHopNamesAreRecognisedInAnyCaseAndOthersOfTheSameLengthAreNot() {
        for (String name : new String[] {"Connection", "KEEP-ALIVE", "proxy-connection", "TE", "Trailer",
                "transfer-encoding", "Upgrade", "Proxy-Authorization", "proxy-authenticate", "HTTP2-Settings"}) {
            assertThat(LatticeHeaders.isHopByHop(name)).as(name).isTrue();
            assertThat(LatticeHeaders.isHopByHop(new AsciiString(name))).as(name).isTrue();
        }
        for (String name : new String[] {"user-agent", "Host", "trailers", "tx", "content-length", "upgrade-x", "",
                "x-forwarded-for", "transfer-encodings"}) {
            assertThat(LatticeHeaders.isHopByHop(name)).as(name).isFalse();
        }
    }

    @Test
    void removeHopByHopKeepsEndToEndHeadersInTheirOrderAndRemovesEveryCopyOfTheOthers() {
        HttpHeaders headers = new DefaultHttpHeaders();
        headers.add("Host", "example");
        headers.add("Keep-Alive", "timeout=5");
        headers.add("User-Agent", "wrk");
        headers.add("te", "trailers");
        headers.add("Connection", "X-Hop, keep-alive");
        headers.add("X-Hop", "1");
        headers.add("Accept", "*/*");
        headers.add("keep-alive", "max=2");
        LatticeHeaders.removeHopByHop(headers);
        assertThat(headers.names()).containsExactly("Host", "User-Agent", "Accept");
    }

    @Test
    void headerValuesMadeOnceForTargetHeadsAreCheckedWhenMade() {
        // Target heads do not validate what the gateway adds (Exchange.upstreamRequestHead): the values it reuses
        // are checked here instead, once.
        String target = LatticeHeaders.target("arn:aws:vpc-lattice:us-west-2:111122223333:service/svc-1",
                "arn:aws:vpc-lattice:us-west-2:111122223333:servicenetwork/sn-1",
                "arn:aws:vpc-lattice:us-west-2:111122223333:targetgroup/tg-1");
        assertThat(LatticeHeaders.headerValue(target).toString()).isEqualTo(target);
        assertThat(LatticeHeaders.headerValue("tab\tis allowed").toString()).isEqualTo("tab\tis allowed");
        for (String bad : new String[] {"vpc-1\r\nx-injected: 1", "vpc-1\n", "nul\0", "bell\u0007"}) {
            assertThatThrownBy(() -> LatticeHeaders.headerValue(bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("invalid character")
                    .hasMessageNotContaining("\r").hasMessageNotContaining("\n");
        }
    }
}
