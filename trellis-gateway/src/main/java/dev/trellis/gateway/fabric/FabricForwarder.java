package dev.trellis.gateway.fabric;

/**
 * Carries requests whose target group lives in another VPC to that VPC's gateway (ARCHITECTURE.md, step 7). The
 * request pipeline has already routed, authenticated and authorized the request when it calls
 * {@link #forwardToRemoteTargetGroup}; the fabric's job is only to deliver it and bring the response back.
 *
 * <p>{@link FabricClient} is the real one; {@link #unavailable()} answers 502 (a gateway without fabric material).
 */
@FunctionalInterface
public interface FabricForwarder {

    /** The body of the 502 a client gets while the fabric is not available. */
    String UNAVAILABLE_MESSAGE = "target group in another VPC: the fabric is not available";

    /**
     * Forwards one request to the gateway of {@code forward.targetGroup().vpcId()}. Called on the client
     * connection's event loop; must not block.
     */
    void forwardToRemoteTargetGroup(RemoteForward forward);

    /**
     * Opens a TCP tunnel for a TLS_PASSTHROUGH connection to the gateway of {@code tunnel.targetGroup().vpcId()}.
     * Called on the client connection's event loop; must not block. Without a fabric the tunnel is refused.
     */
    default void openTunnel(TunnelRequest tunnel) {
        tunnel.onTunnelFailed("RemoteTargetGroupUnavailable", UNAVAILABLE_MESSAGE);
    }

    /** Answers every remote forward with 502 and {@link #UNAVAILABLE_MESSAGE}. */
    static FabricForwarder unavailable() {
        return forward -> forward.respond(502, UNAVAILABLE_MESSAGE);
    }
}
