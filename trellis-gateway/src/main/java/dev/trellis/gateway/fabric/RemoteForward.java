package dev.trellis.gateway.fabric;

import dev.trellis.auth.Principal;
import dev.trellis.model.snapshot.FabricPeer;
import dev.trellis.model.snapshot.TargetGroupEntry;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import java.time.Duration;

/**
 * A request the first-hop gateway has routed to a target group in another VPC: the routing decision and the
 * verified caller, which travel with the request over the fabric, the request head, and the callbacks through which
 * the fabric streams the request body out and the response back.
 *
 * <p>Every method is called on {@link #eventLoop()}, the client connection's event loop, and none blocks. The
 * sequence: the forwarder either answers at once ({@link #fail}/{@link #respond}: peer unknown or unreachable) or
 * opens a stream and calls {@link #onFabricStream} once; the exchange then writes its body to that
 * {@link FabricStream}; the response arrives as {@link #onResponseHead} then {@link #onResponseContent} pieces up to a
 * {@code LastHttpContent}, or the stream ends early with {@link #onFabricStreamClosed}.
 */
public interface RemoteForward {

    /** The target group the rule picked (its targets live in {@code targetGroup().vpcId()}). */
    TargetGroupEntry targetGroup();

    /** The gateway serving the target group's VPC, or null when the snapshot names none. */
    FabricPeer peer();

    String serviceArn();

    String serviceNetworkArn();

    /** The authenticated caller, or {@link Principal#anonymous()}. */
    Principal caller();

    /** The {@code x-amzn-requestid} the first hop gave the request. */
    String requestId();

    /** The first hop's VPC: the caller's source VPC. */
    String sourceVpcId();

    /** {@code arn:aws:ec2:<region>:<account>:vpc/<vpc>} of {@link #sourceVpcId()}. */
    String sourceVpcArn();

    /** The client's IP address as the first hop saw it. */
    String clientIp();

    /** The Lattice listener port the request came in on. */
    int listenerPort();

    /** {@code http} or {@code https}: the listener's protocol. */
    String forwardedProto();

    /** The service's idle timeout: the longest silence before 504. */
    Duration responseTimeout();

    /**
     * The request head for the peer: method, target, Host and the client's headers, without hop-by-hop headers and
     * without client-supplied {@code x-amzn-lattice-*}/{@code x-amzn-source-vpc}. The fabric adds its own headers.
     */
    HttpRequest requestHead();

    /** The client connection's event loop: where every call happens and where the fabric connection lives. */
    EventLoop eventLoop();

    /** The stream to the peer is open; the exchange writes the body it holds and what follows. */
    void onFabricStream(FabricStream stream);

    /** The response head from the peer (its own error answers included); nothing to release. */
    void onResponseHead(HttpResponse response);

    /** A piece of the response body; the callee owns it. */
    void onResponseContent(HttpContent content);

    /** The stream has passed on everything one read brought: flush what was written to the client since. */
    default void onReadComplete() {
    }

    /** The stream can take more request bytes again. */
    void onFabricWritable();

    /** The stream ended before the whole response arrived (connection lost, reset by the peer). */
    void onFabricStreamClosed(Throwable cause);

    /** Records why the peer failed the request ({@code x-trellis-fabric-error}), for the access log. */
    void remoteFailure(String failureReason);

    /** Answers the client with {@code status} and a plain-text body, recording {@code failureReason}. */
    void fail(int status, String failureReason, String plainTextBody);

    /** Answers the client with {@code status} and a plain-text body; the request body is discarded. */
    void respond(int status, String plainTextBody);
}
