package dev.trellis.gateway.fabric;

import dev.trellis.gateway.GatewaySnapshot;
import dev.trellis.gateway.passthrough.TargetConnector;
import dev.trellis.gateway.passthrough.TargetLink;
import dev.trellis.gateway.target.PoolTarget;
import dev.trellis.gateway.target.TargetPool;
import dev.trellis.model.snapshot.TargetGroupEntry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The receiving gateway's side of a TCP tunnel (TLS passthrough across VPCs): one HTTP/2 stream from a peer gateway
 * whose head carries {@code x-trellis-fabric-tunnel: tcp}. It looks the TCP target group up in this gateway's own
 * snapshot, connects to a target ({@link TargetConnector}: round robin, fail-open, one retry on a refused connect),
 * answers 200 with {@code x-trellis-fabric-target: ip:port}, then splices: DATA from the stream to the target, the
 * target's bytes back as DATA. Backpressure both ways: the stream is not read (no WINDOW_UPDATE to the
 * first hop) while the target connection is not writable, the target is not read while the stream is not writable.
 *
 * <p>Refusals carry {@code x-trellis-fabric-error}: 400 {@code FabricBadRequest}, 502 {@code UnknownTargetGroup},
 * 502 {@code TargetGroupNotSupported} (not TCP), 503 {@code NoTargets}, 502 {@code TargetConnectionFailed}. The
 * first hop owns the timeouts (idle, 10-minute maximum): it closes its client and resets the stream, which closes
 * the target connection here.
 */
final class FabricTunnelServerStream implements FabricHttp2Stream.Handler, TargetLink.Peer,
        TargetConnector.Outcome {

    private static final Logger log = LoggerFactory.getLogger(FabricTunnelServerStream.class);

    /** How long the peer may take to connect to a target (as {@code GatewayConfig}'s default target timeout). */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

    private final FabricServer server;
    private final FabricRequest.Reader reader;
    private final ArrayDeque<ByteBuf> pending = new ArrayDeque<>();
    private final FabricHttp2Stream stream;
    private FabricRequest fabric;
    private Channel target;
    private boolean clientEnded;
    private boolean finished;

    FabricTunnelServerStream(FabricServer server, FabricRequest.Reader reader, FabricHttp2Stream stream) {
        this.server = server;
        this.reader = reader;
        this.stream = stream;
    }

    /** Whether a stream's head asks for a tunnel rather than a proxied request. */
    static boolean isTunnel(HttpRequest head) {
        return "tcp".equals(head.headers().get(FabricHeaders.TUNNEL));
    }

    /** Takes over the stream from its first message: the head, and the body already received with it (or null). */
    void start(HttpRequest head, HttpContent body) {
        if (body != null) {
            onContent(body);
        }
        try {
            fabric = reader.read(head.headers());
        } catch (IllegalArgumentException e) {
            refuse(HttpResponseStatus.BAD_REQUEST, "FabricBadRequest", "Bad Request: " + e.getMessage());
            return;
        }
        GatewaySnapshot snapshot = server.snapshots().current();
        TargetGroupEntry group = snapshot.targetGroup(fabric.targetGroupId());
        TargetPool pool = snapshot.targetPool(fabric.targetGroupId());
        if (group == null || pool == null) {
            refuse(HttpResponseStatus.BAD_GATEWAY, "UnknownTargetGroup", "Bad Gateway: target group "
                    + fabric.targetGroupId() + " is not served by the gateway of " + server.vpcId());
            return;
        }
        if (!"TCP".equals(group.protocol())) {
            refuse(HttpResponseStatus.BAD_GATEWAY, "TargetGroupNotSupported", "Bad Gateway: target group "
                    + group.id() + " is not a TCP target group");
            return;
        }
        // Hold the client's bytes (they queue here, then in HTTP/2 flow control) until the target is connected.
        stream.read(false);
        TargetConnector.connect(stream.eventLoop(), pool, CONNECT_TIMEOUT, () -> new TargetLink(this), this);
    }

    // --- TargetConnector.Outcome -------------------------------------------------------------------------------

    @Override
    public void connected(Channel channel, PoolTarget picked) {
        if (finished) {
            channel.close();
            return;
        }
        target = channel;
        HttpResponse ok = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        ok.headers().set(FabricHeaders.TARGET, picked.ipPort());
        stream.write(ok);
        stream.flush();
        ByteBuf data;
        while ((data = pending.poll()) != null) {
            target.write(data);
        }
        target.flush();
        if (clientEnded) {
            closeTargetAfterWrites();
            return;
        }
        target.config().setAutoRead(true);
        stream.read(target.isWritable());
    }

    @Override
    public void failed(String failureReason, String message) {
        log.debug("{}: tunnel for {} refused: {}", fabric.requestId(), fabric.targetGroupId(), message);
        HttpResponseStatus status = "NoTargets".equals(failureReason) ? HttpResponseStatus.SERVICE_UNAVAILABLE
                : HttpResponseStatus.BAD_GATEWAY;
        refuse(status, failureReason, status.reasonPhrase() + ": " + message);
    }

    // --- from the first hop ------------------------------------------------------------------------------------

    @Override
    public void onMessage(HttpObject msg) {
        if (msg instanceof HttpContent content) {
            onContent(content);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onContent(HttpContent content) {
        ByteBuf data = content.content();
        boolean last = content instanceof LastHttpContent;
        if (finished || clientEnded) {
            data.release();
            return;
        }
        if (!data.isReadable()) {
            data.release();
        } else if (target == null) {
            pending.add(data);
        } else {
            target.writeAndFlush(data);
            if (!target.isWritable()) {
                stream.read(false);
            }
        }
        if (last) {
            clientEnded = true;
            if (target != null) {
                closeTargetAfterWrites();
            }
        }
    }

    @Override
    public void onWritable() {
        if (target != null) {
            target.config().setAutoRead(true);
        }
    }

    @Override
    public void onClosed() {
        // The stream closed (both sides ended, reset by the first hop, or the fabric connection is gone).
        finished = true;
        releasePending();
        if (target != null) {
            target.close();
        }
    }

    // --- TargetLink.Peer ---------------------------------------------------------------------------------------

    @Override
    public void fromTarget(ByteBuf data) {
        if (finished) {
            data.release();
            return;
        }
        stream.write(new DefaultHttpContent(data));
        stream.flush();
        if (!stream.isWritable()) {
            target.config().setAutoRead(false);
        }
    }

    @Override
    public void targetWritabilityChanged(boolean writable) {
        if (!finished && !clientEnded) {
            stream.read(writable);
        }
    }

    @Override
    public void targetClosed() {
        if (finished) {
            return;
        }
        // The target's end is the stream's END_STREAM; the stream closes once the first hop has ended its side too.
        finished = true;
        stream.end();
        stream.flush();
        stream.read(true);
    }

    // --- endings -----------------------------------------------------------------------------------------------

    private void closeTargetAfterWrites() {
        target.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    private void refuse(HttpResponseStatus status, String reason, String message) {
        if (finished) {
            return;
        }
        finished = true;
        releasePending();
        byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
        DefaultFullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.wrappedBuffer(bytes));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        response.headers().set(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
        response.headers().set(FabricHeaders.ERROR, reason);
        // The first hop closes the stream on a refusal; reading on lets its END_STREAM or reset arrive.
        stream.write(response);
        stream.flush();
        stream.read(true);
    }

    private void releasePending() {
        ByteBuf data;
        while ((data = pending.poll()) != null) {
            data.release();
        }
    }
}
