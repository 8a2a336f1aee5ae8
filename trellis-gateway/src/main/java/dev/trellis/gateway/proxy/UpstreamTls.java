package dev.trellis.gateway.proxy;

import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.buffer.ByteBufAllocator;
import java.net.InetSocketAddress;
import java.util.List;
import javax.net.ssl.SSLException;

/**
 * TLS from the gateway to targets and for HTTPS health checks (facts §3 and §5): TLS 1.2 and 1.3 with Lattice's
 * cipher list in its order, target certificates <em>not validated</em> (Lattice does not; self-signed and expired
 * certificates work), and no SNI: targets are registered by IP address and SNI cannot carry one (RFC 6066 §3), so
 * the handshake names no host. That also lets one pooled connection serve every service that forwards to the
 * target. ALPN offers exactly the protocol the target group is configured for.
 */
public final class UpstreamTls {

    /** Lattice's policy (facts §3), in JDK names; suites the JDK does not offer are dropped by the filter. */
    private static final List<String> CIPHERS = List.of(
            "TLS_AES_128_GCM_SHA256",
            "TLS_AES_256_GCM_SHA384",
            "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
            "TLS_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_RSA_WITH_AES_128_CBC_SHA",
            "TLS_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_RSA_WITH_AES_256_CBC_SHA");

    private static final SslContext HTTP1 = build(ApplicationProtocolNames.HTTP_1_1);
    private static final SslContext H2 = build(ApplicationProtocolNames.HTTP_2);

    private UpstreamTls() {
    }

    /**
     * A client-side {@code SslHandler} towards {@code target}, offering ALPN {@code h2} when {@code http2}, else
     * {@code http/1.1}. The IP literal given as peer host keeps the JDK from sending SNI.
     */
    public static SslHandler newHandler(ByteBufAllocator alloc, InetSocketAddress target, boolean http2) {
        return (http2 ? H2 : HTTP1).newHandler(alloc, target.getAddress().getHostAddress(), target.getPort());
    }

    /** As {@link #newHandler(ByteBufAllocator, InetSocketAddress, boolean)}, the handshake bounded by {@code millis}. */
    static SslHandler newHandler(ByteBufAllocator alloc, InetSocketAddress target, boolean http2, long millis) {
        SslHandler handler = newHandler(alloc, target, http2);
        handler.setHandshakeTimeoutMillis(millis);
        return handler;
    }

    private static SslContext build(String alpn) {
        try {
            return SslContextBuilder.forClient()
                    .sslProvider(SslProvider.JDK)
                    .protocols("TLSv1.3", "TLSv1.2")
                    .ciphers(CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                    .trustManager(InsecureTrustManagerFactory.INSTANCE)
                    .applicationProtocolConfig(new ApplicationProtocolConfig(
                            ApplicationProtocolConfig.Protocol.ALPN,
                            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                            alpn))
                    .build();
        } catch (SSLException e) {
            throw new IllegalStateException("cannot build the TLS client context for targets", e);
        }
    }
}
