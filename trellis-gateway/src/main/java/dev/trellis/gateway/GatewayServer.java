package dev.trellis.gateway;

import dev.trellis.gateway.fabric.FabricServer;
import dev.trellis.gateway.fabric.FabricTls;
import dev.trellis.gateway.health.HealthChecker;
import dev.trellis.gateway.http.GatewayChannelInitializer;
import dev.trellis.gateway.http.PipelineContext;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's listeners: it binds {@link GatewayConfig#bindAddress()} on the port of every HTTP listener of every
 * service the current snapshot reaches (through {@link GatewayConfig#localPort(int)}), and opens and closes ports
 * as snapshots change. Each port speaks HTTP/1.1 with keep-alive and cleartext HTTP/2 (prior knowledge and h2c
 * upgrade); see {@code DESIGN.md}.
 *
 * <p>Ports are opened after a new snapshot is published and closed after that too: a port still needed is never
 * closed in between, and a closed port's open connections live on (their requests are routed with the current
 * snapshot, so a service no longer reachable answers 404).
 */
public final class GatewayServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(GatewayServer.class);

    private final GatewayConfig config;
    private final GatewaySnapshots snapshots;
    private final PipelineContext context;
    private final Map<Integer, Channel> listeners = new TreeMap<>();
    private EventLoopGroup group;
    private EventLoopGroup healthGroup;
    private FabricServer fabricServer;
    private HealthChecker healthChecker;
    private boolean closed;

    public GatewayServer(GatewayConfig config, GatewaySnapshots snapshots) {
        this.config = config;
        this.snapshots = snapshots;
        this.context = new PipelineContext(config, snapshots);
        // Metrics and the access log follow snapshot swaps (meters and destinations are prepared per snapshot).
        config.metrics().bind(snapshots, context::openConnections);
        config.accessLog().bind(snapshots);
    }

    /** Binds the ports of the current snapshot and follows later swaps. Returns once those ports are bound. */
    public synchronized GatewayServer start() {
        if (group != null) {
            throw new IllegalStateException("already started");
        }
        GatewayTransport transport = config.transport();
        // Named, so that top -H, jstack and perf tell the request loops from the health loop and the rest.
        group = transport.newGroup(config.ioThreads(), new DefaultThreadFactory("trellis-io"));
        // nice 0 unless -Dtrellis.eventloop.nice asks for more (ThreadPriorities)
        ThreadPriorities.raiseEventLoops(group);
        String fallback = transport == GatewayTransport.IO_URING ? null : GatewayTransport.autoFallbackReason();
        String threads = config.ioThreads() == 0 ? "default" : String.valueOf(config.ioThreads());
        if (fallback == null) {
            log.info("event loops: {} x {}", transport, threads);
        } else {
            log.info("event loops: {} x {} ({})", transport, threads, fallback);
        }
        if (config.fabricTls() != null) {
            // Peers' requests run on the same event loops and target pools as this VPC's clients.
            try {
                fabricServer = FabricServer.start(config.fabricTls(), snapshots, context.upstreams(), group,
                        config.fabricBindAddress(), config.fabricPort());
                log.info("fabric TLS: {}", FabricTls.provider());
            } catch (IllegalStateException e) {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
                group = null;
                throw e;
            }
        }
        snapshots.onSwap((previous, current) -> reconcilePorts(current));
        reconcilePorts(snapshots.current());
        // Health checks have their own event loop, so that probing many targets (a VPC with 50,000 of them checks
        // well over a thousand per second) never delays a client's request; they follow every swap.
        healthGroup = transport.newGroup(1, new DefaultThreadFactory("trellis-health", true));
        healthChecker = new HealthChecker(healthGroup, config.targetHealthSink(), snapshots::current,
                config.healthCheckTimeUnit(), config.targetHealthReportInterval(),
                config.targetHealthFullReportInterval());
        HealthChecker checker = healthChecker;
        snapshots.onSwap(checker::update);
        checker.startWith(snapshots.current());
        return this;
    }

    /**
     * Opens the ports {@code snapshot} needs and closes the others. Runs on the thread that swapped the snapshot
     * (never an event loop) and waits for the binds, so that when {@code swap} returns the ports are open.
     */
    private synchronized void reconcilePorts(GatewaySnapshot snapshot) {
        if (closed || group == null) {
            return;
        }
        Set<Integer> wanted = new TreeSet<>(snapshot.httpPorts());
        wanted.addAll(snapshot.passthroughPorts());
        for (int port : wanted) {
            if (!listeners.containsKey(port)) {
                bind(port);
            }
        }
        for (Integer port : new TreeSet<>(listeners.keySet())) {
            if (!wanted.contains(port)) {
                Channel channel = listeners.remove(port);
                channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
                log.info("closed listener port {} ({})", port, channel.localAddress());
            }
        }
    }

    private void bind(int listenerPort) {
        int localPort = config.localPort(listenerPort);
        if (localPort > 65535) {
            log.error("cannot listen for listener port {}: the port offset puts it at {}", listenerPort, localPort);
            return;
        }
        ChannelFuture bound = new ServerBootstrap()
                .group(group)
                .channel(config.transport().serverSocketChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new GatewayChannelInitializer(context, listenerPort))
                .bind(config.bindAddress(), localPort);
        if (!bound.awaitUninterruptibly(10, TimeUnit.SECONDS) || !bound.isSuccess()) {
            // Logged, not thrown: the other ports (and the snapshot) are fine; the next swap tries again.
            log.error("cannot listen on {}:{} for listener port {}: {}", config.bindAddress(), localPort,
                    listenerPort, bound.cause() == null ? "timed out" : bound.cause().toString());
            bound.channel().close();
            return;
        }
        listeners.put(listenerPort, bound.channel());
        log.info("listening on {} for listener port {}", bound.channel().localAddress(), listenerPort);
    }

    /** The local port listener port {@code listenerPort} is bound on, or -1 when it is not bound. */
    public synchronized int localPort(int listenerPort) {
        Channel channel = listeners.get(listenerPort);
        return channel == null ? -1 : ((InetSocketAddress) channel.localAddress()).getPort();
    }

    /** The transport of the event loops serving listeners, the fabric and targets (null before {@link #start()}). */
    public synchronized GatewayTransport transport() {
        return group == null ? null : GatewayTransport.of(group);
    }

    /**
     * The event loops serving listeners, the fabric and targets (null before {@link #start()}): to schedule a probe
     * of their responsiveness on, never to block.
     */
    public synchronized EventLoopGroup eventLoops() {
        return group;
    }

    /** The listener ports bound now. */
    public synchronized Set<Integer> listenerPorts() {
        return Set.copyOf(listeners.keySet());
    }

    /** The port the fabric listener is bound on, or -1 without one. */
    public synchronized int fabricPort() {
        return fabricServer == null ? -1 : fabricServer.port();
    }

    /** The fabric listener, or null when the configuration has no fabric material. */
    public synchronized FabricServer fabricServer() {
        return fabricServer;
    }

    /** The health checker (null before {@link #start()}). */
    public synchronized HealthChecker healthChecker() {
        return healthChecker;
    }

    /** Client connections open now, all ports together. */
    public int openConnections() {
        return context.openConnections();
    }

    /** Closes every port and every connection. */
    @Override
    public synchronized void close() {
        closed = true;
        if (healthChecker != null) {
            healthChecker.close();
        }
        if (healthGroup != null) {
            healthGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
        for (Channel channel : listeners.values()) {
            channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        listeners.clear();
        // Connections are closed here, while their loops run, not left to the loops' shutdown: on io_uring a
        // socket whose loop stops first can stay open (DESIGN.md "io_uring").
        context.acceptedConnections().close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        if (fabricServer != null) {
            fabricServer.close();
        }
        if (group != null) {
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
        }
    }

    @Override
    public String toString() {
        return "GatewayServer[" + config.bindAddress() + ", ports " + listeners.keySet() + "]";
    }
}
