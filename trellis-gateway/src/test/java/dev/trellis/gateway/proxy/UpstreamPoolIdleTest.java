package dev.trellis.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.trellis.gateway.GatewayConfig;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The pool closes HTTP/1.1 connections that stayed idle for {@code upstreamIdleTimeout}, measured from their last
 * release (one sweep timer per pool, not a timer per release), and keeps those that were used in between. A plain
 * socket server stands in for the target and counts the connections that its peer closed.
 */
class UpstreamPoolIdleTest {

    private static final Duration IDLE = Duration.ofSeconds(3);

    private MultiThreadIoEventLoopGroup group;
    private EventLoop loop;
    private ServerSocket server;
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicInteger closedByGateway = new AtomicInteger();

    @BeforeEach
    void start() throws IOException {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        loop = group.next();
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    Socket socket = server.accept();
                    accepted.incrementAndGet();
                    Thread reader = new Thread(() -> awaitClose(socket));
                    reader.setDaemon(true);
                    reader.start();
                } catch (IOException e) {
                    return;
                }
            }
        });
        acceptor.setDaemon(true);
        acceptor.start();
    }

    private void awaitClose(Socket socket) {
        try (socket; InputStream in = socket.getInputStream()) {
            while (in.read() >= 0) {
                // the pool sends nothing here; EOF means it closed the connection
            }
            closedByGateway.incrementAndGet();
        } catch (IOException e) {
            closedByGateway.incrementAndGet();
        }
    }

    @AfterEach
    void stop() throws IOException {
        server.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    @Test
    void closesAConnectionIdleForTheTimeoutButKeepsOneReusedInBetween() throws Exception {
        UpstreamPool pool = new UpstreamPool(loop, GatewayConfig.builder().upstreamIdleTimeout(IDLE).build());
        InetSocketAddress target = new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());

        UpstreamConnection first = acquire(pool, target);
        UpstreamConnection second = acquire(pool, target);
        assertThat(first).isNotSameAs(second);
        loop.submit(() -> {
            first.release(true);
            second.release(true);
        }).get();
        await().until(() -> accepted.get() == 2);

        // A third of the timeout later, one of them serves again and goes back: its idle time starts over.
        Thread.sleep(IDLE.toMillis() / 3);
        UpstreamConnection reused = acquire(pool, target);
        assertThat(reused.reused()).isTrue();
        loop.submit(() -> reused.release(true)).get();

        // The other one is closed once its timeout has passed; the reused one is still open then.
        await().atMost(Duration.ofSeconds(10)).until(() -> closedByGateway.get() == 1);
        assertThat(loop.submit(pool::idleConnections).get()).isEqualTo(1);
        assertThat(reused.channel().isActive()).isTrue();

        // And it goes too, a timeout after its own release.
        await().atMost(Duration.ofSeconds(10)).until(() -> closedByGateway.get() == 2);
        await().until(() -> loop.submit(pool::idleConnections).get() == 0);
        assertThat(accepted.get()).isEqualTo(2);
    }

    private UpstreamConnection acquire(UpstreamPool pool, InetSocketAddress target) throws Exception {
        CompletableFuture<UpstreamConnection> done = new CompletableFuture<>();
        loop.execute(() -> pool.acquire(target, (connection, cause) -> {
            if (cause != null) {
                done.completeExceptionally(cause);
            } else {
                done.complete(connection);
            }
        }));
        return done.get(5, TimeUnit.SECONDS);
    }
}
