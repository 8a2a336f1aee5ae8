package dev.trellis.gateway.dns;

import dev.trellis.gateway.GatewayTransport;
import dev.trellis.gateway.GatewaySnapshots;
import dev.trellis.model.snapshot.VpcSnapshot;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LengthFieldPrepender;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;

/**
 * The DNS server of one VPC's gateway: UDP and TCP on the same address and port, answering from the current
 * {@link DnsTable} (swapped with one volatile write when a snapshot arrives) and forwarding the rest upstream.
 *
 * <p>Threading: each datagram or TCP message is parsed, answered and encoded on its channel's event loop with
 * bounded work (one parse, at most {@link DnsResponder#MAX_CHAIN} look-ups, one encode); forwarded queries complete
 * on the same loop. UDP clients over their rate are dropped before parsing ({@link ClientRateLimiter}); forwards are
 * capped per client and in all ({@link DnsForwarder}); TCP connections are capped and closed when idle. Nothing blocks a loop. The UDP channel never closes on bad input: a message that does not parse
 * gets FORMERR when it has a header and is dropped otherwise.
 *
 * <pre>{@code
 * DnsServer dns = new DnsServer(DnsServerConfig.builder(address, address).port(53).upstream(resolver).build());
 * dns.follow(gatewaySnapshots);   // or dns.serve(vpcSnapshot) for each new snapshot
 * dns.start();                    // binds UDP and TCP; dns.port() is the bound port
 * ...
 * dns.close();
 * }</pre>
 */
public final class DnsServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DnsServer.class);
    /** How often to try another port when port 0 gave UDP a port whose TCP twin is taken. */
    private static final int EPHEMERAL_BIND_ATTEMPTS = 10;

    private final DnsServerConfig config;
    private final DnsResponder responder;
    private final DnsForwarder forwarder;
    private final AtomicInteger tcpConnections = new AtomicInteger();
    /** Open TCP connections, closed with the server (a shared event loop group outlives it). */
    private final ChannelGroup tcpChildren = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final AtomicLong queries = new AtomicLong();
    private final AtomicLong malformed = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong rateLimited = new AtomicLong();
    private volatile DnsTable table = DnsTable.empty();
    private EventLoopGroup group;
    private boolean ownGroup;
    private Channel udp;
    private Channel tcp;

    public DnsServer(DnsServerConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        this.responder = new DnsResponder(config.upstream() != null, config.maxUdpResponseBytes());
        this.forwarder = config.upstream() == null ? null : new DnsForwarder(config);
    }

    /**
     * Answers from {@code snapshot} from now on. Compiles on the calling thread, then publishes with one volatile
     * write: queries in progress finish with the table they started with.
     */
    public void serve(VpcSnapshot snapshot) {
        // Built from the table served until now: what did not change is reused (DnsTable.compile).
        DnsTable compiled = DnsTable.compile(snapshot, config, table);
        table = compiled;
        log.debug("DNS serving {}", compiled);
    }

    /** Serves the current snapshot of {@code snapshots} and every one swapped in later. */
    public DnsServer follow(GatewaySnapshots snapshots) {
        snapshots.onSwap((previous, current) -> serve(current.snapshot()));
        serve(snapshots.current().snapshot());
        return this;
    }

    /** Binds UDP and TCP on its own one-thread event loop group. */
    public synchronized DnsServer start() {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        ownGroup = true;
        try {
            bind();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        return this;
    }

    /** Binds UDP and TCP on {@code shared} (for instance the gateway's event loops); closing leaves it running. */
    public synchronized DnsServer start(EventLoopGroup shared) {
        group = Objects.requireNonNull(shared, "shared");
        ownGroup = false;
        try {
            bind();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        return this;
    }

    private void bind() {
        if (udp != null) {
            throw new IllegalStateException("already started");
        }
        int attempts = config.port() == 0 ? EPHEMERAL_BIND_ATTEMPTS : 1;
        for (int attempt = 1; ; attempt++) {
            Channel udpChannel = bindUdp(config.port());
            int port = ((InetSocketAddress) udpChannel.localAddress()).getPort();
            ChannelFuture tcpBound = tcpBootstrap().bind(config.bindAddress(), port);
            if (tcpBound.awaitUninterruptibly(10, TimeUnit.SECONDS) && tcpBound.isSuccess()) {
                udp = udpChannel;
                tcp = tcpBound.channel();
                log.info("DNS listening on {} (UDP and TCP); upstream {}", udp.localAddress(),
                        config.upstream() == null ? "none (REFUSED)" : config.upstream());
                return;
            }
            udpChannel.close().awaitUninterruptibly();
            if (attempt >= attempts) {
                throw new IllegalStateException("cannot listen for DNS on TCP " + config.bindAddress() + ":" + port
                        + ": " + describe(tcpBound.cause()));
            }
        }
    }

    private Channel bindUdp(int port) {
        ChannelFuture bound = new Bootstrap()
                .group(group)
                .channel(GatewayTransport.of(group).datagramChannel())
                // Room for any datagram: a query cut short by a small buffer would look malformed.
                .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(DnsWire.TCP_LIMIT))
                // Room for bursts of a few thousand queries (the kernel caps it at net.core.rmem_max); deeper
                // would only queue a flood's packets ahead of other clients' for longer.
                .option(ChannelOption.SO_RCVBUF, 1 << 20)
                .handler(new UdpHandler())
                .bind(config.bindAddress(), port);
        if (!bound.awaitUninterruptibly(10, TimeUnit.SECONDS) || !bound.isSuccess()) {
            bound.channel().close();
            throw new IllegalStateException("cannot listen for DNS on UDP " + config.bindAddress() + ":" + port
                    + ": " + describe(bound.cause()));
        }
        return bound.channel();
    }

    private ServerBootstrap tcpBootstrap() {
        return new ServerBootstrap()
                .group(group)
                .channel(GatewayTransport.of(group).serverSocketChannel())
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (tcpConnections.incrementAndGet() > config.maxTcpConnections()) {
                            tcpConnections.decrementAndGet();
                            dropped.incrementAndGet();
                            ch.close();
                            return;
                        }
                        ch.closeFuture().addListener(f -> tcpConnections.decrementAndGet());
                        tcpChildren.add(ch);
                        long idle = config.tcpIdleTimeout().toMillis();
                        ch.pipeline()
                                .addLast(new IdleStateHandler(0, 0, idle, TimeUnit.MILLISECONDS))
                                // RFC 1035 §4.2.2: a two-byte length before each message, both ways.
                                .addLast(new LengthFieldBasedFrameDecoder(DnsWire.TCP_LIMIT, 0, 2, 0, 2))
                                .addLast(new LengthFieldPrepender(2))
                                .addLast(new TcpHandler());
                    }
                });
    }

    private static String describe(Throwable cause) {
        return cause == null ? "timed out" : cause.toString();
    }

    /** The bound port (UDP and TCP), once started. */
    public synchronized int port() {
        if (udp == null) {
            throw new IllegalStateException("not started");
        }
        return ((InetSocketAddress) udp.localAddress()).getPort();
    }

    /** The bound UDP address, once started. */
    public synchronized InetSocketAddress address() {
        if (udp == null) {
            throw new IllegalStateException("not started");
        }
        return (InetSocketAddress) udp.localAddress();
    }

    /** Queries received (parsed or not). */
    public long queries() {
        return queries.get();
    }

    /** Messages that did not parse (answered FORMERR or dropped). */
    public long malformed() {
        return malformed.get();
    }

    /** UDP answers dropped because the socket's buffer was full, and TCP connections refused over the cap. */
    public long dropped() {
        return dropped.get();
    }

    /** UDP queries dropped unparsed because their client was over its rate. */
    public long rateLimited() {
        return rateLimited.get();
    }

    /** The revision of the snapshot being answered from. */
    public long revision() {
        return table.revision();
    }

    @Override
    public synchronized void close() {
        if (udp != null) {
            udp.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
            udp = null;
        }
        if (tcp != null) {
            tcp.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
            tcp = null;
        }
        tcpChildren.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        if (group != null && ownGroup) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        group = null;
    }

    /**
     * One message from a client, on its channel's event loop: answer it (now or when the upstream answers) through
     * {@code send}, or drop it.
     */
    private void handle(byte[] bytes, InetSocketAddress client, boolean overTcp, Executor loop,
                        Consumer<byte[]> send) {
        queries.incrementAndGet();
        Message query;
        try {
            query = new Message(bytes);
        } catch (IOException | RuntimeException e) {
            malformed.incrementAndGet();
            byte[] formErr = DnsWire.formErrFor(bytes);
            if (formErr != null) {
                send.accept(formErr);
            }
            return;
        }
        if (query.getHeader().getFlag(Flags.QR)) {
            return; // a response, not a query: never answered
        }
        int maxUdp = config.maxUdpResponseBytes();
        try {
            DnsResponder.Outcome outcome = responder.respond(query, table);
            if (outcome instanceof DnsResponder.Outcome.Answer answer) {
                send.accept(DnsWire.encode(answer.response(), query, overTcp, maxUdp));
            } else if (outcome instanceof DnsResponder.Outcome.Forward forward) {
                forwarder.forward(forward.name(), forward.type(), client.getAddress(), loop, upstream ->
                        send.accept(DnsWire.encode(responder.complete(forward, upstream), query, overTcp, maxUdp)));
            }
        } catch (RuntimeException e) {
            // A bug must cost one query, not the server.
            log.warn("DNS query {} from {} failed: {}", query.getQuestion(), client, e.toString(), e);
            send.accept(DnsWire.encode(responder.reply(query, Rcode.SERVFAIL), query, overTcp, maxUdp));
        }
    }

    /** Datagrams: one query each, the answer to the sender. */
    private final class UdpHandler extends SimpleChannelInboundHandler<DatagramPacket> {
        private final ClientRateLimiter rateLimiter = new ClientRateLimiter(config.maxUdpQueriesPerClientPerSecond());

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
            InetSocketAddress sender = packet.sender();
            if (!rateLimiter.allow(sender.getAddress(), System.nanoTime())) {
                rateLimited.incrementAndGet();
                return; // before parsing: a flood costs a look-up per packet
            }
            Channel channel = ctx.channel();
            handle(ByteBufUtil.getBytes(packet.content()), sender, false, ctx.executor(), reply -> {
                // UDP may lose answers; an unbounded send queue under a flood may not grow.
                if (channel.isWritable()) {
                    channel.writeAndFlush(new DatagramPacket(Unpooled.wrappedBuffer(reply), sender));
                } else {
                    dropped.incrementAndGet();
                }
            });
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // Datagram errors (an ICMP error surfacing, a send failure) concern one packet; the socket stays open.
            log.debug("DNS UDP error: {}", cause.toString());
        }
    }

    /** Length-prefixed messages on one TCP connection; answers may go out of order (RFC 7766 §7). */
    private final class TcpHandler extends SimpleChannelInboundHandler<ByteBuf> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
            Channel channel = ctx.channel();
            handle(ByteBufUtil.getBytes(frame), (InetSocketAddress) channel.remoteAddress(), true, ctx.executor(),
                    reply -> {
                        if (channel.isActive()) {
                            channel.writeAndFlush(Unpooled.wrappedBuffer(reply));
                        }
                    });
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
            if (event instanceof IdleStateEvent) {
                ctx.close();
                return;
            }
            super.userEventTriggered(ctx, event);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // A frame over 65535 bytes cannot happen with a two-byte length; resets and the like end the connection.
            log.debug("DNS TCP connection {} closed: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }
    }
}
