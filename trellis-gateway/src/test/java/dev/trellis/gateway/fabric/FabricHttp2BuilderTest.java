package dev.trellis.gateway.fabric;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http2.Http2ConnectionHandler;
import org.junit.jupiter.api.Test;

/** Each end of the fabric's HTTP/2 gets its own end's settings from the builder. */
class FabricHttp2BuilderTest {

    @Test
    void onlyTheReceivingEndHasTheServersRstStreamFloodLimits() {
        Http2ConnectionHandler server = FabricHttp2.Builder.server(stream -> null);
        Http2ConnectionHandler client = FabricHttp2.Builder.client(() -> { });

        assertThat(server.connection().isServer()).isTrue();
        assertThat(client.connection().isServer()).isFalse();
        // Netty wraps a server's encoder and decoder to count the RST_STREAM frames it sends and receives (rapid
        // reset); a client's not.
        assertThat(server.encoder().getClass().getSimpleName()).isEqualTo("Http2MaxRstFrameLimitEncoder");
        assertThat(server.decoder().getClass().getSimpleName()).isEqualTo("Http2MaxRstFrameDecoder");
        assertThat(client.encoder().getClass().getSimpleName()).isNotEqualTo("Http2MaxRstFrameLimitEncoder");
        assertThat(client.decoder().getClass().getSimpleName()).isNotEqualTo("Http2MaxRstFrameDecoder");
    }
}
