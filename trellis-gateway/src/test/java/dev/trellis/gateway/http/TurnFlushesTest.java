package dev.trellis.gateway.http;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalServerChannel;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
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
    void theWritesAndFlushesOfOneTurnLeaveTogetherAfterItAsOneWrite() throws Exception {
        List<ChannelFuture> writes = new ArrayList<>();
        List<Long> heldDuringTheTurn = inOneTurn(() -> {
            List<Long> held = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                writes.add(client.writeAndFlush(bytes("frame " + i)));
                held.add(pendingBytes());
            }
            return held;
        });
        // Nothing reaches the outbound buffer during the turn; after it the three arrive as one write, in order.
        assertThat(heldDuringTheTurn).containsOnly(0L);
        assertThat(received.poll(5, TimeUnit.SECONDS)).isEqualTo("frame 0frame 1frame 2");
        assertThat(pendingBytesAfterTheTurn()).isZero();
        for (ChannelFuture write : writes) {
            assertThat(write.await(5, TimeUnit.SECONDS)).isTrue();
            assertThat(write.isSuccess()).isTrue();
        }

        // The next turn joins its own again.
        inOneTurn(() -> {
            client.writeAndFlush(bytes("next"));
            return List.of();
        });
        assertThat(received.poll(5, TimeUnit.SECONDS)).isEqualTo("next");
    }

    @Test
    void aLargeWriteGoesAfterWhatWasJoinedBeforeItAndAheadOfWhatFollows() throws Exception {
        String large = "b".repeat(TurnFlushes.JOINED_WRITE + 1);
        inOneTurn(() -> {
            client.write(bytes("a"));
            client.write(bytes(large));
            client.writeAndFlush(bytes("c"));
            return List.of();
        });
        assertThat(receivedText(large.length() + 2)).isEqualTo("a" + large + "c");
    }

    @Test
    void joinedBytesPastTheLimitGoOnWithoutWaitingForTheTurn() throws Exception {
        String piece = "x".repeat(TurnFlushes.JOINED_WRITE);
        List<Long> pending = inOneTurn(() -> {
            for (int i = 0; i < TurnFlushes.JOINED_LIMIT / TurnFlushes.JOINED_WRITE; i++) {
                client.write(bytes(piece));
            }
            return List.of(pendingBytes());
        });
        // Written on (counted by the outbound buffer for writability), though not flushed: nobody asked.
        assertThat(pending.get(0)).isGreaterThanOrEqualTo(TurnFlushes.JOINED_LIMIT);
        assertThat(received.poll(200, TimeUnit.MILLISECONDS)).isNull();
        client.flush();
        assertThat(receivedText(TurnFlushes.JOINED_LIMIT)).isEqualTo(piece.repeat(
                TurnFlushes.JOINED_LIMIT / TurnFlushes.JOINED_WRITE));
    }

    @Test
    void aJoinedWriteThatFailsFailsEveryPromiseAndReleasesItsBuffers() throws Exception {
        IOException refused = new IOException("refused");
        client.pipeline().addFirst(new ChannelOutboundHandlerAdapter() {
            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                ReferenceCountUtil.release(msg);
                promise.setFailure(refused);
            }
        });
        ByteBuf first = bytes("one");
        ByteBuf second = bytes("two");
        List<ChannelFuture> writes = new ArrayList<>();
        inOneTurn(() -> {
            writes.add(client.write(first));
            writes.add(client.writeAndFlush(second));
            return List.of();
        });
        for (ChannelFuture write : writes) {
            assertThat(write.await(5, TimeUnit.SECONDS)).isTrue();
            assertThat(write.cause()).isSameAs(refused);
        }
        assertThat(first.refCnt()).isZero();
        assertThat(second.refCnt()).isZero();
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
        // An entry counts its bytes and ~100 of overhead: a large write takes the buffer past the high mark.
        client.config().setWriteBufferWaterMark(new WriteBufferWaterMark(TurnFlushes.JOINED_WRITE,
                TurnFlushes.JOINED_WRITE + 200));
        String large = "l".repeat(TurnFlushes.JOINED_WRITE + 1);
        List<Long> pending = inOneTurn(() -> {
            client.writeAndFlush(bytes("held"));
            client.writeAndFlush(bytes("x".repeat(TurnFlushes.JOINED_WRITE)));
            long held = pendingBytes();
            // Over the high water mark: what was written goes out, so that the buffer can drain.
            client.write(bytes(large));
            return List.of(held, pendingBytes());
        });
        assertThat(pending.get(0)).isZero();
        assertThat(pending.get(1)).isZero();
        assertThat(receivedText(4 + TurnFlushes.JOINED_WRITE + large.length()))
                .isEqualTo("held" + "x".repeat(TurnFlushes.JOINED_WRITE) + large);
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
