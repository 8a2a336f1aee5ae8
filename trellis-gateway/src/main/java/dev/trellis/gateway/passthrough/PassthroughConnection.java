package dev.trellis.gateway.passthrough;

import dev.trellis.auth.Principal;
import dev.trellis.auth.policy.AuthorizationResult;
import dev.trellis.auth.policy.LatticeAction;
import dev.trellis.auth.policy.RequestContext;
import dev.trellis.gateway.GatewaySnapshot;
import dev.trellis.gateway.fabric.FabricTunnel;
import dev.trellis.gateway.fabric.TunnelRequest;
import dev.trellis.gateway.http.PipelineContext;
import dev.trellis.gateway.routing.Forwarding;
import dev.trellis.gateway.routing.ServiceRoute;
import dev.trellis.gateway.target.PoolTarget;
import dev.trellis.gateway.target.TargetPool;
import dev.trellis.model.snapshot.FabricPeer;
import dev.trellis.model.snapshot.TargetGroupEntry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One TLS_PASSTHROUGH connection after its SNI chose a service listener: authorizes the anonymous
 * {@code vpc-lattice-svcs:Connect}, picks a TCP target group by weight (the default rule is the only rule), connects
 * to a target of it — here ({@link TargetConnector}) or through the gateway of the group's VPC (a fabric tunnel) —
 * and splices bytes both ways, the ClientHello first. Nothing is added to or read from the stream beyond the
 * ClientHello's SNI: TLS is between the client and the target.
 *
 * <p>Backpressure by autoRead: the client is not read while the target side (connection or tunnel) is not
 * writable, and the target side not while the client is not writable. The client is not read at all until the
 * target side is ready; what arrived before waits here (the ClientHello, and whatever the client sent after it,
 * which its TCP window bounds).
 *
 * <p>Timeouts: the service's {@code idleTimeoutSeconds} without a byte either way, and the gateway's maximum
 * connection duration (10 minutes, facts §3) close both sides. Either side's end closes the other once what it sent
 * is written (half-close is not passed on). One access-log record when the client connection closes.
 *
 * <p>Everything runs on the client connection's event loop; the target connection and the fabric stream share it.
 */
final class PassthroughConnection extends ChannelInboundHandlerAdapter
        implements TargetConnector.Outcome, TargetLink.Peer, TunnelRequest {

    private static final Logger log = LoggerFactory.getLogger(PassthroughConnection.class);

    private final PipelineContext context;
    private final int listenerPort;
    private final GatewaySnapshot snapshot;
    private final ServiceRoute route;
    private final String serverName;
    private final long startNanos;
    private final long startMillis;
    private final String connectionId = PassthroughLog.newConnectionId();
    private final ArrayDeque<ByteBuf> pending = new ArrayDeque<>();

    private ChannelHandlerContext ctx;
    private InetSocketAddress remote;
    private TargetGroupEntry group;
    private Channel target;
    private FabricTunnel tunnel;
    private boolean connecting;
    private String targetIpPort;
    private Long toTargetMillis;
    private String failureReason;
    private String authDeniedReason;
    private boolean refused;
    private boolean logged;
    private long bytesReceived;
    private long bytesSent;
    private long lastActivityNanos;
    private long idleTimeoutNanos;
    private ScheduledFuture<?> idleTimer;
    private ScheduledFuture<?> lifetimeTimer;

    PassthroughConnection(PipelineContext context, int listenerPort, GatewaySnapshot snapshot, ServiceRoute route,
                          String serverName, long startNanos, long startMillis) {
        this.context = context;
        this.listenerPort = listenerPort;
        this.snapshot = snapshot;
        this.route = route;
        this.serverName = serverName;
        this.startNanos = startNanos;
        this.startMillis = startMillis;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.remote = (InetSocketAddress) ctx.channel().remoteAddress();
        // Nothing more is read from the client until the target side is ready; the replayed bytes still arrive.
        ctx.channel().config().setAutoRead(false);
        lastActivityNanos = System.nanoTime();
        idleTimeoutNanos = TimeUnit.SECONDS.toNanos(Math.max(1, route.service().idleTimeoutSeconds()));
        scheduleIdleCheck(idleTimeoutNanos);
        long lifetimeLeft = context.config().maxConnectionDuration().toNanos() - (System.nanoTime() - startNanos);
        lifetimeTimer = ctx.executor().schedule(this::lifetimeEnded, Math.max(0, lifetimeLeft),
                TimeUnit.NANOSECONDS);
        start();
    }

    private void start() {
        if (!authorized()) {
            return;
        }
        Forwarding forwarding = route.defaultRule().forwarding();
        String groupId = forwarding == null ? null : forwarding.pick();
        group = groupId == null ? null : snapshot.targetGroup(groupId);
        if (group == null) {
            refuse("NoTargets", TlsAlert.INTERNAL_ERROR, "the listener forwards to no target group");
            return;
        }
        if (!"TCP".equals(group.protocol())) {
            // The control plane refuses this combination (RuleActions); an old or hand-made snapshot might not.
            refuse("TargetGroupNotSupported", TlsAlert.INTERNAL_ERROR, "target group " + group.id()
                    + " is not a TCP target group");
            return;
        }
        connecting = true;
        if (!group.vpcId().equals(snapshot.snapshot().vpcId())) {
            context.config().fabric().openTunnel(this);
            return;
        }
        TargetPool pool = snapshot.targetPool(group.id());
        TargetConnector.connect(ctx.channel().eventLoop(), pool, context.config().targetConnectTimeout(),
                () -> new TargetLink(this), this);
    }

    /**
     * Facts §3/§6: only anonymous principals, with {@code vpc-lattice-svcs:Connect} on the service ARN. With both
     * auth types NONE nothing is checked; with AWS_IAM a policy must allow the anonymous Connect.
     */
    private boolean authorized() {
        if (!route.authorizer().enforcesAuthorization()) {
            return true;
        }
        RequestContext request = RequestContext.builder(Principal.anonymous())
                .port(listenerPort)
                .serviceArn(route.service().arn())
                .serviceNetworkArn(route.service().networkArn())
                .sourceVpc(snapshot.snapshot().vpcId())
                .sourceVpcOwnerAccount(snapshot.snapshot().accountId())
                .sourceIp(remote.getAddress().getHostAddress())
                // The client speaks TLS to its target end to end.
                .secureTransport(true)
                .requestTimeMillis(startMillis)
                .build();
        AuthorizationResult result = route.authorizer().authorize(LatticeAction.CONNECT, "", List.of(), request);
        if (result.isAllowed()) {
            return true;
        }
        authDeniedReason = result.deniedBy().map(level -> level.accessLogReason()).orElse(null);
        context.config().metrics().authorizationDenied(route.service().id(), authDeniedReason);
        refuse("ClientAccessDenied", TlsAlert.ACCESS_DENIED, result.accessDeniedMessage());
        return false;
    }

    // --- the client --------------------------------------------------------------------------------------------

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf data)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (refused) {
            data.release();
            return;
        }
        bytesReceived += data.readableBytes();
        lastActivityNanos = System.nanoTime();
        if (target != null) {
            target.writeAndFlush(data);
            if (!target.isWritable()) {
                ctx.channel().config().setAutoRead(false);
            }
        } else if (tunnel != null) {
            tunnel.write(data);
            tunnel.flush();
            if (!tunnel.isWritable()) {
                ctx.channel().config().setAutoRead(false);
            }
        } else {
            pending.add(data);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        boolean writable = ctx.channel().isWritable();
        if (target != null) {
            target.config().setAutoRead(writable);
        } else if (tunnel != null) {
            tunnel.read(writable);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelTimers();
        releasePending();
        if (target != null) {
            closeAfterWrites(target);
        } else if (tunnel != null) {
            tunnel.end();
        }
        logOnce();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("{}: client connection failed: {}", connectionId, cause.toString());
        ctx.close();
    }

    // --- a local target ----------------------------------------------------------------------------------------

    @Override
    public void connected(Channel channel, PoolTarget picked) {
        connecting = false;
        if (!ctx.channel().isActive()) {
            channel.close();
            return;
        }
        target = channel;
        targetIpPort = picked.ipPort();
        toTargetMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
        ByteBuf data;
        while ((data = pending.poll()) != null) {
            target.write(data);
        }
        target.flush();
        target.config().setAutoRead(ctx.channel().isWritable());
        ctx.channel().config().setAutoRead(target.isWritable());
    }

    @Override
    public void failed(String reason, String message) {
        connecting = false;
        refuse(reason, TlsAlert.INTERNAL_ERROR, message);
    }

    @Override
    public void fromTarget(ByteBuf data) {
        fromTargetSide(data);
        if (!ctx.channel().isWritable()) {
            target.config().setAutoRead(false);
        }
    }

    @Override
    public void targetWritabilityChanged(boolean writable) {
        ctx.channel().config().setAutoRead(writable);
    }

    @Override
    public void targetClosed() {
        closeAfterWrites(ctx.channel());
    }

    // --- a target group in another VPC (TunnelRequest) ---------------------------------------------------------

    @Override
    public TargetGroupEntry targetGroup() {
        return group;
    }

    @Override
    public FabricPeer peer() {
        return snapshot.peer(group.vpcId());
    }

    @Override
    public String serviceArn() {
        return route.service().arn();
    }

    @Override
    public String serviceNetworkArn() {
        return route.service().networkArn();
    }

    @Override
    public String sourceVpcId() {
        return snapshot.snapshot().vpcId();
    }

    @Override
    public String sourceVpcArn() {
        return snapshot.sourceVpcArn();
    }

    @Override
    public String clientIp() {
        return remote.getAddress().getHostAddress();
    }

    @Override
    public int listenerPort() {
        return listenerPort;
    }

    @Override
    public String connectionId() {
        return connectionId;
    }

    @Override
    public EventLoop eventLoop() {
        return ctx.channel().eventLoop();
    }

    @Override
    public void onTunnelOpen(FabricTunnel opened, String peerTargetIpPort) {
        connecting = false;
        if (!ctx.channel().isActive()) {
            opened.cancel();
            return;
        }
        tunnel = opened;
        targetIpPort = peerTargetIpPort;
        toTargetMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
        ByteBuf data;
        while ((data = pending.poll()) != null) {
            tunnel.write(data);
        }
        tunnel.flush();
        tunnel.read(ctx.channel().isWritable());
        ctx.channel().config().setAutoRead(tunnel.isWritable());
    }

    @Override
    public void onTunnelData(ByteBuf data) {
        fromTargetSide(data);
        if (!ctx.channel().isWritable()) {
            tunnel.read(false);
        }
    }

    @Override
    public void onTunnelEnd() {
        closeAfterWrites(ctx.channel());
    }

    @Override
    public void onTunnelWritable() {
        ctx.channel().config().setAutoRead(true);
    }

    @Override
    public void onTunnelFailed(String reason, String message) {
        if (connecting) {
            connecting = false;
            refuse(reason, TlsAlert.INTERNAL_ERROR, message);
            return;
        }
        // The tunnel broke after it was open: the client sees its TLS session cut, as with a local target.
        log.debug("{}: the tunnel to {} failed: {}", connectionId, group.vpcId(), message);
        if (failureReason == null) {
            failureReason = reason;
        }
        tunnel = null;
        ctx.close();
    }

    // --- common ------------------------------------------------------------------------------------------------

    private void fromTargetSide(ByteBuf data) {
        if (!ctx.channel().isActive()) {
            data.release();
            return;
        }
        bytesSent += data.readableBytes();
        lastActivityNanos = System.nanoTime();
        ctx.writeAndFlush(data);
    }

    /** Ends the connection before any byte reached a target: a fatal TLS alert the client can read, then close. */
    private void refuse(String reason, TlsAlert alert, String message) {
        if (refused) {
            return;
        }
        refused = true;
        failureReason = reason;
        releasePending();
        log.debug("{}: {} ({}) refused on port {}: {}: {}", connectionId, remote, serverName, listenerPort, reason,
                message);
        alert.sendAndClose(ctx);
    }

    private void scheduleIdleCheck(long delayNanos) {
        idleTimer = ctx.executor().schedule(this::idleCheck, Math.max(delayNanos, 1_000_000L), TimeUnit.NANOSECONDS);
    }

    private void idleCheck() {
        if (!ctx.channel().isActive()) {
            return;
        }
        long idleFor = System.nanoTime() - lastActivityNanos;
        if (idleFor >= idleTimeoutNanos) {
            if (failureReason == null) {
                failureReason = "IdleTimeout";
            }
            ctx.close();
            return;
        }
        scheduleIdleCheck(idleTimeoutNanos - idleFor);
    }

    private void lifetimeEnded() {
        if (ctx.channel().isActive()) {
            if (failureReason == null) {
                failureReason = "MaxConnectionDuration";
            }
            ctx.close();
        }
    }

    private void cancelTimers() {
        if (idleTimer != null) {
            idleTimer.cancel(false);
        }
        if (lifetimeTimer != null) {
            lifetimeTimer.cancel(false);
        }
    }

    private void logOnce() {
        if (logged) {
            return;
        }
        logged = true;
        PassthroughLog.write(context, PassthroughLog.record(snapshot, route, group, remote, targetIpPort,
                failureReason, authDeniedReason, serverName, startMillis, bytesReceived, bytesSent,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos), toTargetMillis, connectionId));
    }

    private void releasePending() {
        ByteBuf data;
        while ((data = pending.poll()) != null) {
            data.release();
        }
    }

    private static void closeAfterWrites(Channel channel) {
        if (channel.isActive()) {
            channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public String toString() {
        return "PassthroughConnection[" + connectionId + ", " + serverName + ":" + listenerPort + "]";
    }
}
