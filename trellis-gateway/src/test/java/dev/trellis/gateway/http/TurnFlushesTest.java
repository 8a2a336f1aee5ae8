package dev.trellis.gateway.http;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalServerChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link TurnFlushes} on a real (in-process) connection and event loop: what a loop task flushes stays in the
 * connection's outbound buffer until the task is over, then reaches the peer.
 */
class TurnFlushesTest {

    private EventLoopGroup group;
    private Channel server;
    private Channel client;
    private final BlockingQueue<String> received = new LinkedBlockingQueue<>();

    @BeforeEach
    void connect() throws Exception {
        group = new DefaultEventLoopGroup(1);
        LocalAddress address = new LocalAddress("turn-flushes-" + UUID.randomUUID());
        server = new ServerBootstrap().group(group).channel(LocalServerChannel.class)
                .childHandler(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        ByteBuf buf = (ByteBuf) msg;
                        received.add(buf.toString(StandardCharsets.US_ASCII));
                        buf.release();
                    }
                })
                .bind(address).sync().channel();
        client = new Bootstrap().group(group).channel(LocalChannel.class).handler(new TurnFlushes())
                .connect(address).sync().channel();
    }

    @AfterEach
    void close() {
        client.close().syncUninterruptibly();
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void theFlushesOfOneTurnLeaveTogetherAfterIt() throws Exception {
        List<Long> heldDuringTheTurn = inOneTurn(() -> {
            List<Long> held = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                client.writeAndFlush(bytes("frame " + i));
                held.add(pendingBytes());
            }
            return held;
        });
        // Each write stays in the outbound buffer, unflushed, until the turn is over.
        assertThat(heldDuringTheTurn).isSorted().doesNotHaveDuplicates().allMatch(bytes -> bytes > 0);
        assertThat(receivedText(21)).isEqualTo("frame 0frame 1frame 2");
        assertThat(pendingBytesAfterTheTurn()).isZero();

        // The next turn holds its own again.
        assertThat(inOneTurn(() -> {
            client.writeAndFlush(bytes("next"));
            return List.of(pendingBytes());
        })).allMatch(bytes -> bytes > 0);
        assertThat(receivedText(4)).isEqualTo("next");
    }

    @Test
    void aTurnOfManyFlushesDoesNotHoldThemAll() throws Exception {
        List<Long> afterAll = inOneTurn(() -> {
            for (int i = 0; i < TurnFlushes.MAX_HELD; i++) {
                client.writeAndFlush(bytes("f"));
            }
            return List.of(pendingBytes());
        });
        // The last flush went out at once, with everything written before it, within the turn.
        assertThat(afterAll).containsExactly(0L);
        assertThat(receivedText(TurnFlushes.MAX_HELD)).isEqualTo("f".repeat(TurnFlushes.MAX_HELD));
    }

    @Test
    void closingSendsWhatIsHeld() throws Exception {
        inOneTurn(() -> {
            client.writeAndFlush(bytes("last words"));
            client.close();
            return List.of();
        });
        assertThat(receivedText(10)).isEqualTo("last words");
    }

    @Test
    void aConnectionThatStopsBeingWritableSendsWhatIsHeld() throws Exception {
        // An entry counts its bytes and ~100 of overhead: the first write stays below the high mark, the second not.
        client.config().setWriteBufferWaterMark(new WriteBufferWaterMark(150, 200));
        List<Long> pending = inOneTurn(() -> {
            client.writeAndFlush(bytes("held"));
            long held = pendingBytes();
            // Over the high water mark: what was written goes out, so that the buffer can drain.
            client.write(bytes("more than the high water mark"));
            return List.of(held, pendingBytes());
        });
        assertThat(pending.get(0)).isPositive();
        assertThat(pending.get(1)).isZero();
        assertThat(receivedText(33)).isEqualTo("heldmore than the high water mark");
    }

    /** Runs {@code work} as one task of the connection's loop; the loop's later tasks end the turn. */
    private List<Long> inOneTurn(java.util.concurrent.Callable<List<Long>> work) throws Exception {
        return client.eventLoop().submit(work).get(5, TimeUnit.SECONDS);
    }

    private long pendingBytes() {
        return client.unsafe().outboundBuffer().totalPendingWriteBytes();
    }

    private long pendingBytesAfterTheTurn() throws Exception {
        return client.eventLoop().submit(this::pendingBytes).get(5, TimeUnit.SECONDS);
    }

    /** The next {@code length} characters the peer received, however the reads split them. */
    private String receivedText(int length) throws InterruptedException {
        StringBuilder text = new StringBuilder();
        while (text.length() < length) {
            String piece = received.poll(5, TimeUnit.SECONDS);
            assertThat(piece).as("after %s", text).isNotNull();
            text.append(piece);
        }
        return text.toString();
    }

    private static ByteBuf bytes(String text) {
        return Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII);
    }
}
