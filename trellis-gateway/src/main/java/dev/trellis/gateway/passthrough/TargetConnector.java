package dev.trellis.gateway.passthrough;

import dev.trellis.gateway.GatewayTransport;
import dev.trellis.gateway.target.PoolTarget;
import dev.trellis.gateway.target.TargetPool;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * Opens a TCP connection to a target of a TCP target group, for TLS passthrough (the first hop's local targets and a
 * fabric peer's): round robin through the group's {@link TargetPool} (healthy first, fail-open, never draining), on
 * the caller's event loop, so the two spliced channels share one thread. A connect that fails other than by timing
 * out (refused, unreachable: nothing reached a target) is tried once more on another target, as for HTTP.
 *
 * <p>The new channel starts with autoRead off: the caller turns reading on once it can pass the target's bytes on.
 */
public final class TargetConnector {

    /** What became of a connect. Called on the loop the connect ran on. */
    public interface Outcome {
        void connected(Channel target, PoolTarget picked);

        /** {@code failureReason} is an access-log value ({@code NoTargets}, {@code TargetConnectionFailed}). */
        void failed(String failureReason, String message);
    }

    private TargetConnector() {
    }

    /**
     * Picks a target of {@code pool} and connects to it with a new {@code handler} as its channel's only handler (a
     * new one per attempt: handlers are not sharable).
     */
    public static void connect(EventLoop loop, TargetPool pool, Duration connectTimeout,
                               Supplier<? extends ChannelHandler> handler, Outcome outcome) {
        PoolTarget target = pool.pick();
        if (target == null) {
            outcome.failed("NoTargets", "target group " + pool.group().id() + " has no targets");
            return;
        }
        attempt(loop, pool, target, connectTimeout, handler, outcome, false);
    }

    private static void attempt(EventLoop loop, TargetPool pool, PoolTarget target, Duration connectTimeout,
                                Supplier<? extends ChannelHandler> handler, Outcome outcome, boolean retried) {
        ChannelFuture connect = new Bootstrap()
                .group(loop)
                .channel(GatewayTransport.of(loop).socketChannel())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE,
                        connectTimeout.toMillis()))
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.AUTO_READ, false)
                .handler(handler.get())
                .connect(target.address());
        connect.addListener((ChannelFuture f) -> {
            if (f.isSuccess()) {
                outcome.connected(f.channel(), target);
                return;
            }
            PoolTarget other = retried || f.cause() instanceof ConnectTimeoutException ? null
                    : pool.pickOtherThan(target);
            if (other != null) {
                attempt(loop, pool, other, connectTimeout, handler, outcome, true);
            } else {
                outcome.failed("TargetConnectionFailed", "could not connect to target " + target.ipPort() + ": "
                        + f.cause().getMessage());
            }
        });
    }
}
