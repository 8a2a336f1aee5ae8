package dev.trellis.gateway.fabric;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first hop's side of a TCP tunnel: the last handler of an HTTP/2 stream to the peer gateway. The request head
 * names the target group and carries the routing decision ({@link FabricHeaders}, plus {@code x-trellis-fabric-
 * tunnel: tcp}); the peer answers 200 once it has connected to a target, and from then on DATA frames carry the
 * client's bytes one way and the target's the other. END_STREAM is a side's end; a reset is a failure. The stream's
 * autoRead is HTTP/2 flow control towards the peer, its writability flow control from it.
 */
final class FabricTunnelClientStream extends ChannelInboundHandlerAdapter implements FabricTunnel {

    private static final Logger log = LoggerFactory.getLogger(FabricTunnelClientStream.class);

    private final TunnelRequest tunnel;
    private final FabricConnection connection;
    private Channel channel;
    private boolean added;
    private boolean open;
    private boolean detached;
    private boolean ended;

    FabricTunnelClientStream(TunnelRequest tunnel, FabricConnection connection) {
        this.tunnel = tunnel;
        this.connection = connection;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        added = true;
    }

    boolean added() {
        return added;
    }

    /** The stream is open: ask the peer for the tunnel. */
    void start(Channel stream) {
        this.channel = stream;
        HttpRequest head = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/");
        HttpHeaders headers = head.headers();
        headers.set(HttpHeaderNames.HOST, FabricTls.gatewayName(tunnel.targetGroup().vpcId()));
        headers.set(FabricHeaders.TUNNEL, "tcp");
        headers.set(FabricHeaders.TARGET_GROUP, tunnel.targetGroup().id());
        headers.set(FabricHeaders.SERVICE_ARN, tunnel.serviceArn());
        headers.set(FabricHeaders.NETWORK_ARN, tunnel.serviceNetworkArn());
        headers.set(FabricHeaders.SOURCE_VPC, tunnel.sourceVpcId());
        headers.set(FabricHeaders.SOURCE_VPC_ARN, tunnel.sourceVpcArn());
        headers.set(FabricHeaders.REQUEST_ID, tunnel.connectionId());
        headers.set(FabricHeaders.CLIENT_IP, tunnel.clientIp());
        headers.set(FabricHeaders.LISTENER_PORT, tunnel.listenerPort());
        headers.set(FabricHeaders.PROTO, "https");
        // Timeouts are the first hop's: it closes the client, which resets the stream. The peer needs no value.
        headers.set(FabricHeaders.TIMEOUT, 1);
        channel.writeAndFlush(head).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    }

    // --- FabricTunnel ------------------------------------------------------------------------------------------

    @Override
    public void write(ByteBuf data) {
        if (detached || ended) {
            data.release();
            return;
        }
        channel.write(new DefaultHttpContent(data)).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    }

    @Override
    public void flush() {
        if (!detached) {
            channel.flush();
        }
    }

    @Override
    public boolean isWritable() {
        return channel.isWritable();
    }

    @Override
    public void read(boolean read) {
        channel.config().setAutoRead(read);
    }

    @Override
    public void end() {
        if (detached || ended) {
            return;
        }
        ended = true;
        channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    }

    @Override
    public void cancel() {
        detached = true;
        if (channel != null && channel.isOpen()) {
            // Closing a stream channel that is still open resets the stream (RST_STREAM CANCEL).
            channel.close();
        }
    }

    // --- from the peer -----------------------------------------------------------------------------------------

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (detached) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpResponse response && !open) {
            if (!response.status().equals(HttpResponseStatus.OK)) {
                // The peer refused (unknown group, no targets, target unreachable): its reason, for the access log.
                String reason = response.headers().get(FabricHeaders.ERROR, "FabricTunnelRefused");
                ReferenceCountUtil.release(msg);
                detached = true;
                tunnel.onTunnelFailed(reason, "the gateway of " + tunnel.targetGroup().vpcId() + " refused the"
                        + " tunnel: " + response.status());
                ctx.close();
                return;
            }
            open = true;
            tunnel.onTunnelOpen(this, response.headers().get(FabricHeaders.TARGET));
        }
        if (msg instanceof HttpContent content) {
            if (!open) {
                content.release();
                return;
            }
            ByteBuf data = content.content();
            if (data.isReadable()) {
                tunnel.onTunnelData(data);
            } else {
                data.release();
            }
            if (content instanceof LastHttpContent) {
                // The target closed: tell the client side, and end ours so the stream closes.
                detached = true;
                tunnel.onTunnelEnd();
                if (!ended) {
                    ended = true;
                    ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
                }
            }
            return;
        }
        if (!(msg instanceof HttpResponse)) {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (open && !detached && ctx.channel().isWritable()) {
            tunnel.onTunnelWritable();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        connection.streamClosed();
        if (!detached) {
            detached = true;
            tunnel.onTunnelFailed("FabricConnectionError",
                    "the fabric stream to the gateway of " + tunnel.targetGroup().vpcId() + " closed");
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("{}: fabric tunnel stream failed: {}", tunnel.connectionId(), cause.toString());
        ctx.close();
    }
}
