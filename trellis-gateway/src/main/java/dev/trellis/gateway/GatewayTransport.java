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
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringDatagramChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;

import java.util.Locale;
import java.util.concurrent.ThreadFactory;

/**
 * The I/O transport of the gateway's event loops: Linux's io_uring where the kernel allows it, else Linux's native
 * epoll when Netty's native library loads, else Java NIO. A channel must be registered with a loop of its own
 * transport, so every bootstrap in the gateway asks {@link #of(EventLoopGroup)} for the channel classes of the group
 * it connects or binds on, instead of naming {@code Nio*Channel}: listener, upstream pool, fabric, passthrough and
 * health probes follow whatever group they were given (tests that hand in a NIO group keep working).
 *
 * <p>Why io_uring first: it submits a loop turn's reads and writes to the kernel together, about a third less CPU
 * per proxied request than epoll on this project's machines, where kernel entries are the larger part of a
 * request's cost. It needed changes elsewhere (connections closed before the loops shut down; a resumed HTTP/2
 * stream's connection flushed at once); trellis-gateway/DESIGN.md "io_uring". Kernels before 5.x, containers whose
 * seccomp profile blocks io_uring, and kernels with it switched off ({@code kernel.io_uring_disabled}) get epoll:
 * fewer system calls than NIO and no selected-key set per wake-up, edge-triggered readiness, and direct buffers
 * written without NIO's copy.
 */
public enum GatewayTransport {
    NIO,
    EPOLL,
    IO_URING;

    /** The system property that chooses the transport when the configuration says {@code auto}. */
    public static final String PROPERTY = "trellis.transport";

    /**
     * The transport for {@code mode}: {@code nio}, {@code epoll}, {@code io_uring} or {@code auto} (io_uring when
     * available, else epoll when available, else NIO); null or blank is {@code auto}. Asking for a native transport
     * where it cannot load is an error that says why.
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
            case "io_uring":
                if (!IoUring.isAvailable()) {
                    throw new IllegalArgumentException("the io_uring transport is not available here: "
                            + IoUring.unavailabilityCause());
                }
                return IO_URING;
            case "auto":
                return IoUring.isAvailable() ? IO_URING : Epoll.isAvailable() ? EPOLL : NIO;
            default:
                throw new IllegalArgumentException(
                        "transport must be nio, epoll, io_uring or auto, not '" + mode + "'");
        }
    }

    /**
     * Why {@code auto} did not choose io_uring (and, when it fell back to NIO, epoll), for the start-up log; null
     * when io_uring is available.
     */
    public static String autoFallbackReason() {
        if (IoUring.isAvailable()) {
            return null;
        }
        String reason = "io_uring unavailable: " + IoUring.unavailabilityCause();
        return Epoll.isAvailable() ? reason : reason + "; epoll unavailable: " + Epoll.unavailabilityCause();
    }

    /** The transport of {@code group}'s loops; NIO for any group that is not a Netty 4.2 epoll or io_uring group. */
    public static GatewayTransport of(EventLoopGroup group) {
        if (group instanceof IoEventLoopGroup io) {
            if (io.isIoType(EpollIoHandler.class)) {
                return EPOLL;
            }
            if (io.isIoType(IoUringIoHandler.class)) {
                return IO_URING;
            }
        }
        return NIO;
    }

    /** A group of {@code threads} loops of this transport (0: Netty's default, twice the cores). */
    public EventLoopGroup newGroup(int threads, ThreadFactory threadFactory) {
        return threadFactory == null
                ? new MultiThreadIoEventLoopGroup(threads, ioHandlerFactory())
                : new MultiThreadIoEventLoopGroup(threads, threadFactory, ioHandlerFactory());
    }

    public IoHandlerFactory ioHandlerFactory() {
        return switch (this) {
            case EPOLL -> EpollIoHandler.newFactory();
            case IO_URING -> IoUringIoHandler.newFactory();
            case NIO -> NioIoHandler.newFactory();
        };
    }

    public Class<? extends SocketChannel> socketChannel() {
        return switch (this) {
            case EPOLL -> EpollSocketChannel.class;
            case IO_URING -> IoUringSocketChannel.class;
            case NIO -> NioSocketChannel.class;
        };
    }

    public Class<? extends ServerSocketChannel> serverSocketChannel() {
        return switch (this) {
            case EPOLL -> EpollServerSocketChannel.class;
            case IO_URING -> IoUringServerSocketChannel.class;
            case NIO -> NioServerSocketChannel.class;
        };
    }

    public Class<? extends DatagramChannel> datagramChannel() {
        return switch (this) {
            case EPOLL -> EpollDatagramChannel.class;
            case IO_URING -> IoUringDatagramChannel.class;
            case NIO -> NioDatagramChannel.class;
        };
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
