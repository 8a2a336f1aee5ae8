package dev.trellis.gateway;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;

import java.util.Locale;
import java.util.concurrent.ThreadFactory;

/**
 * The I/O transport of the gateway's event loops: Linux's native epoll when Netty's native library loads, Java NIO
 * elsewhere. A channel must be registered with a loop of its own transport, so every bootstrap in the gateway asks
 * {@link #of(EventLoopGroup)} for the channel classes of the group it connects or binds on, instead of naming
 * {@code Nio*Channel}: listener, upstream pool, fabric, passthrough and health probes follow whatever group they were
 * given (tests that hand in a NIO group keep working).
 *
 * <p>Why epoll: fewer system calls and no selected-key set per wake-up, edge-triggered readiness, and direct
 * buffers written without NIO's copy (trellis-gateway/DESIGN.md "Performance").
 */
public enum GatewayTransport {
    NIO,
    EPOLL;

    /** The system property that chooses the transport when the configuration says {@code auto}. */
    public static final String PROPERTY = "trellis.transport";

    /**
     * The transport for {@code mode}: {@code nio}, {@code epoll} or {@code auto} (epoll when available, else NIO);
     * null or blank is {@code auto}. Asking for epoll where it cannot load is an error that says why.
     */
    public static GatewayTransport select(String mode) {
        String m = mode == null || mode.isBlank() ? "auto" : mode.trim().toLowerCase(Locale.ROOT);
        switch (m) {
            case "nio":
                return NIO;
            case "epoll":
                if (!Epoll.isAvailable()) {
                    throw new IllegalArgumentException("the epoll transport is not available here: "
                            + Epoll.unavailabilityCause());
                }
                return EPOLL;
            case "auto":
                return Epoll.isAvailable() ? EPOLL : NIO;
            default:
                throw new IllegalArgumentException("transport must be nio, epoll or auto, not '" + mode + "'");
        }
    }

    /** Why epoll is not used under {@code auto}, for the start-up log; null when it is available. */
    public static Throwable epollUnavailabilityCause() {
        return Epoll.isAvailable() ? null : Epoll.unavailabilityCause();
    }

    /** The transport of {@code group}'s loops; NIO for any group that is not a Netty 4.2 epoll group. */
    public static GatewayTransport of(EventLoopGroup group) {
        return group instanceof IoEventLoopGroup io && io.isIoType(EpollIoHandler.class) ? EPOLL : NIO;
    }

    /** A group of {@code threads} loops of this transport (0: Netty's default, twice the cores). */
    public EventLoopGroup newGroup(int threads, ThreadFactory threadFactory) {
        return threadFactory == null
                ? new MultiThreadIoEventLoopGroup(threads, ioHandlerFactory())
                : new MultiThreadIoEventLoopGroup(threads, threadFactory, ioHandlerFactory());
    }

    public IoHandlerFactory ioHandlerFactory() {
        return this == EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    }

    public Class<? extends SocketChannel> socketChannel() {
        return this == EPOLL ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    public Class<? extends ServerSocketChannel> serverSocketChannel() {
        return this == EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    public Class<? extends DatagramChannel> datagramChannel() {
        return this == EPOLL ? EpollDatagramChannel.class : NioDatagramChannel.class;
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
