package dev.trellis.gateway.fabric;

import dev.trellis.auth.Principal;
import dev.trellis.model.snapshot.FabricPeer;
import dev.trellis.model.snapshot.TargetGroupEntry;

/**
 * A request the first-hop gateway has routed to a target group in another VPC: the routing decision and the
 * verified caller, which travel with the request over the fabric, and the way to answer the client.
 *
 * <p>Streaming the request and response bodies over the fabric is not part of this interface yet: the fabric will
 * add it (the local proxy path in {@code dev.trellis.gateway.http.ClientExchangeHandler} shows the backpressure
 * rules to keep).
 */
public interface RemoteForward {

    /** The target group the rule picked (its targets live in {@code targetGroup().vpcId()}). */
    TargetGroupEntry targetGroup();

    /** The gateway serving the target group's VPC. */
    FabricPeer peer();

    String serviceArn();

    String serviceNetworkArn();

    /** The authenticated caller, or {@link Principal#anonymous()}. */
    Principal caller();

    /** The {@code x-amzn-requestid} the first hop gave the request. */
    String requestId();

    /** Answers the client with {@code status} and a plain-text body; the request body is discarded. */
    void respond(int status, String plainTextBody);
}
