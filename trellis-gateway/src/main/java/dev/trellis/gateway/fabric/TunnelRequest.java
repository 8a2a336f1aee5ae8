package dev.trellis.gateway.fabric;

import dev.trellis.model.snapshot.FabricPeer;
import dev.trellis.model.snapshot.TargetGroupEntry;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;

/**
 * A TLS_PASSTHROUGH connection the first-hop gateway has routed (by SNI) and authorized, whose TCP target group lives
 * in another VPC: the fabric carries its bytes, both ways, to that VPC's gateway, which splices them to a target.
 *
 * <p>Every method is called on {@link #eventLoop()}, the client connection's loop, and none blocks. The sequence: the
 * fabric either refuses at once or after the peer answered ({@link #onTunnelFailed}), or calls
 * {@link #onTunnelOpen} once the peer is connected to its target; then bytes from the target arrive as
 * {@link #onTunnelData} until {@link #onTunnelEnd} (the target closed) or {@link #onTunnelFailed} (the stream or the
 * fabric connection broke).
 */
public interface TunnelRequest {

    /** The TCP target group the listener's default rule picked (its targets live in {@code targetGroup().vpcId()}). */
    TargetGroupEntry targetGroup();

    /** The gateway serving the target group's VPC, or null when the snapshot names none. */
    FabricPeer peer();

    String serviceArn();

    String serviceNetworkArn();

    /** The first hop's VPC: the client's source VPC. */
    String sourceVpcId();

    /** {@code arn:aws:ec2:<region>:<account>:vpc/<vpc>} of {@link #sourceVpcId()}. */
    String sourceVpcArn();

    /** The client's IP address. */
    String clientIp();

    /** The Lattice listener port the connection came in on. */
    int listenerPort();

    /** An id for logs on both gateways (the first hop's access-log {@code requestId}). */
    String connectionId();

    /** The client connection's event loop: where every call happens and where the fabric connection lives. */
    EventLoop eventLoop();

    /** The peer has connected to a target ({@code targetIpPort}, as the peer sees it); bytes may flow. */
    void onTunnelOpen(FabricTunnel tunnel, String targetIpPort);

    /** Bytes from the target; the callee owns them. */
    void onTunnelData(ByteBuf data);

    /** The target closed its side: nothing more will arrive. */
    void onTunnelEnd();

    /** The tunnel can take more bytes again after {@link FabricTunnel#isWritable()} said false. */
    void onTunnelWritable();

    /**
     * The tunnel could not be opened, or broke: {@code failureReason} for the access log (the peer's own reason when
     * it refused), {@code message} for the gateway's log. No more calls follow.
     */
    void onTunnelFailed(String failureReason, String message);
}
