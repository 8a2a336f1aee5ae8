package dev.trellis.gateway.tls;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.AbstractSniHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.Future;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first handler of an HTTPS connection: it reads the ClientHello's server name and replaces itself with an
 * {@link SslHandler} of the certificate the <em>current</em> snapshot has for that name. Choosing per handshake,
 * from whatever snapshot is current, is what lets a re-imported or rotated certificate take effect for new
 * connections while connections already open keep the session they negotiated.
 *
 * <p>No server name, or a name without a certificate, fails the handshake — there is no fallback certificate
 * (facts §1, §3): the client gets a fatal TLS alert ({@code missing_extension} for no SNI, as RFC 8446 §9.2 asks of
 * servers that require it; {@code unrecognized_name} otherwise, RFC 6066 §3) and the connection is closed. Bytes
 * that are not a TLS record close the connection.
 */
public final class SniCertificateHandler extends AbstractSniHandler<SslContext> {

    private static final Logger log = LoggerFactory.getLogger(SniCertificateHandler.class);

    /** The server name the client sent, set on the connection once the certificate is chosen. */
    public static final AttributeKey<String> SERVER_NAME = AttributeKey.valueOf("trellis.tls.serverName");

    /** The pipeline name of the {@link SslHandler} this handler is replaced with. */
    public static final String SSL_HANDLER_NAME = "tls";

    /** TLS alert descriptions (RFC 8446 §6). */
    static final byte ALERT_UNRECOGNIZED_NAME = 112;
    static final byte ALERT_MISSING_EXTENSION = 109;

    /** How long a client may take to send its ClientHello. */
    private static final long CLIENT_HELLO_TIMEOUT_MILLIS = 10_000;

    private final Supplier<SniCertificates> certificates;

    /** @param certificates the current snapshot's certificates, read once per handshake */
    public SniCertificateHandler(Supplier<SniCertificates> certificates) {
        super(CLIENT_HELLO_TIMEOUT_MILLIS);
        this.certificates = certificates;
    }

    @Override
    protected Future<SslContext> lookup(ChannelHandlerContext ctx, String hostname) {
        if (hostname == null) {
            return ctx.executor().newFailedFuture(new NoCertificateException(null));
        }
        ServerCertificate certificate = certificates.get().find(hostname);
        return certificate == null
                ? ctx.executor().newFailedFuture(new NoCertificateException(hostname))
                : ctx.executor().newSucceededFuture(certificate.sslContext());
    }

    @Override
    protected void onLookupComplete(ChannelHandlerContext ctx, String hostname, Future<SslContext> future) {
        if (!future.isSuccess()) {
            byte alert = hostname == null ? ALERT_MISSING_EXTENSION : ALERT_UNRECOGNIZED_NAME;
            log.debug("{}: TLS handshake refused: {}", ctx.channel().remoteAddress(),
                    future.cause().getMessage());
            // alert record: type 21, version 3.3, length 2, level fatal (2), description
            ctx.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {21, 3, 3, 0, 2, 2, alert}))
                    .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        ctx.channel().attr(SERVER_NAME).set(hostname);
        SslHandler ssl = future.getNow().newHandler(ctx.alloc());
        ctx.pipeline().replace(this, SSL_HANDLER_NAME, ssl);
    }

    /** No certificate for a server name (null: the ClientHello had none). */
    static final class NoCertificateException extends Exception {
        NoCertificateException(String hostname) {
            super(hostname == null ? "the ClientHello names no server (SNI is required)"
                    : "no certificate for '" + hostname + "'", null, false, false);
        }
    }
}
