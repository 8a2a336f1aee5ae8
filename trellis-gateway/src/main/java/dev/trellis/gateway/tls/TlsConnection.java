package dev.trellis.gateway.tls;

import io.netty.channel.Channel;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AttributeKey;
import javax.net.ssl.SSLSession;

/**
 * What a client connection negotiated, recorded on the connection once its TLS handshake completes: the server
 * name, the protocol version and the cipher suite, as the access log writes them ({@code serverNameIndication},
 * {@code tlsVersion} {@code TLSv1.2}, {@code sslCipher} by its OpenSSL name; facts §7).
 * A connection without this attribute is cleartext.
 */
public record TlsConnection(String serverName, String protocol, String cipherSuite, String applicationProtocol) {

    public static final AttributeKey<TlsConnection> ATTRIBUTE = AttributeKey.valueOf("trellis.tls.connection");

    /** Reads the session of a completed handshake and records it on {@code connection}. */
    public static TlsConnection record(Channel connection, SslHandler ssl) {
        SSLSession session = ssl.engine().getSession();
        TlsConnection tls = new TlsConnection(connection.attr(SniCertificateHandler.SERVER_NAME).get(),
                session.getProtocol(), TlsPolicy.openSslName(session.getCipherSuite()), ssl.applicationProtocol());
        connection.attr(ATTRIBUTE).set(tls);
        return tls;
    }

    /** The TLS facts of a connection (pass the parent of an HTTP/2 stream channel), or null when it is cleartext. */
    public static TlsConnection of(Channel connection) {
        return connection.attr(ATTRIBUTE).get();
    }
}
