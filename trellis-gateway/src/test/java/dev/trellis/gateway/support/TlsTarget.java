package dev.trellis.gateway.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A TLS server on 127.0.0.1 with its own self-signed certificate (for {@code dnsName}, subject {@code CN=<name>}),
 * standing for the target of a TCP target group behind a TLS_PASSTHROUGH listener: only the client and this server
 * hold TLS keys, so a client that completes a handshake through the gateway and sees this certificate proves the
 * gateway did not terminate TLS. Line commands after the handshake, a thread per connection:
 * <ul>
 *   <li>{@code NAME} → {@code <name>\n}</li>
 *   <li>{@code DOWN <n>} → n pseudo-random bytes (seeded by n), then it waits for the client to close</li>
 *   <li>{@code UP <n>} → reads n bytes, answers {@code <n> <crc32>\n}</li>
 * </ul>
 */
public final class TlsTarget implements AutoCloseable {

    private final String name;
    private final X509Certificate certificate;
    private final SSLServerSocket server;
    private final ExecutorService threads = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "tls-target");
        thread.setDaemon(true);
        return thread;
    });
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger handshakes = new AtomicInteger();
    private final AtomicInteger accepted = new AtomicInteger();

    private TlsTarget(String name, String dnsName) throws Exception {
        this.name = name;
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(256);
        KeyPair keys = generator.generateKeyPair();
        Instant now = Instant.now();
        X500Name subject = new X500Name("CN=" + name);
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject,
                new BigInteger(64, new SecureRandom()), Date.from(now.minus(Duration.ofMinutes(5))),
                Date.from(now.plus(Duration.ofDays(1))), subject, keys.getPublic());
        builder.addExtension(Extension.subjectAlternativeName, false,
                new GeneralNames(new GeneralName(GeneralName.dNSName, dnsName)));
        this.certificate = new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("target", keys.getPrivate(), new char[0], new Certificate[] {certificate});
        KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(store, new char[0]);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keyManagers.getKeyManagers(), null, null);
        this.server = (SSLServerSocket) context.getServerSocketFactory()
                .createServerSocket(0, 50, InetAddress.getLoopbackAddress());
        threads.execute(this::acceptLoop);
    }

    /** A target named {@code name} whose certificate is for {@code dnsName}. */
    public static TlsTarget start(String name, String dnsName) {
        try {
            return new TlsTarget(name, dnsName);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public int port() {
        return server.getLocalPort();
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /** TCP connections accepted (whether or not a handshake followed). */
    public int accepted() {
        return accepted.get();
    }

    /** Connections open now: a closed client must end its target connection too (the gateway passes the end on). */
    public int open() {
        return open.size();
    }

    /** TLS handshakes completed. */
    public int handshakes() {
        return handshakes.get();
    }

    /** A client context that trusts exactly this target's certificate. */
    public SSLContext clientContext() {
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("target", certificate);
            TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(
                    TrustManagerFactory.getDefaultAlgorithm());
            trustManagers.init(trust);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trustManagers.getTrustManagers(), null);
            return context;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A TLS client socket to {@code port} on 127.0.0.1 sending SNI {@code serverName} (none when null), trusting
     * {@code context}'s certificates; the handshake runs on first use.
     */
    public static SSLSocket connect(SSLContext context, int port, String serverName) throws IOException {
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), port);
        socket.setSoTimeout(20_000);
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setServerNames(serverName == null ? List.<SNIServerName>of()
                : List.of(new SNIHostName(serverName)));
        socket.setSSLParameters(parameters);
        return socket;
    }

    /** Deterministic pseudo-random bytes for {@code DOWN n}. */
    public static byte[] pattern(int length) {
        byte[] bytes = new byte[length];
        new java.util.Random(length).nextBytes(bytes);
        return bytes;
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                accepted.incrementAndGet();
                open.add(socket);
                threads.execute(() -> serve((SSLSocket) socket));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(SSLSocket socket) {
        try (socket) {
            socket.setSoTimeout(30_000);
            socket.startHandshake();
            handshakes.incrementAndGet();
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            String line = readLine(in);
            if (line == null) {
                return;
            }
            if (line.equals("NAME")) {
                out.write((name + "\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                drain(in);
            } else if (line.startsWith("DOWN ")) {
                out.write(pattern(Integer.parseInt(line.substring(5))));
                out.flush();
                drain(in);
            } else if (line.startsWith("UP ")) {
                int length = Integer.parseInt(line.substring(3));
                CRC32 crc = new CRC32();
                byte[] buffer = new byte[64 * 1024];
                int left = length;
                while (left > 0) {
                    int n = in.read(buffer, 0, Math.min(buffer.length, left));
                    if (n < 0) {
                        return;
                    }
                    crc.update(buffer, 0, n);
                    left -= n;
                }
                out.write((length + " " + crc.getValue() + "\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                drain(in);
            }
        } catch (SocketException e) {
            // the client went away
        } catch (IOException e) {
            // handshake failures and resets are the tests' business, not the server's
        } finally {
            open.remove(socket);
        }
    }

    /** Reads one line of ASCII byte by byte (so no byte after it is consumed). */
    public static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0) {
            if (b == '\n') {
                return line.toString();
            }
            line.append((char) b);
        }
        return line.length() == 0 ? null : line.toString();
    }

    private static void drain(InputStream in) throws IOException {
        byte[] buffer = new byte[8192];
        while (in.read(buffer) >= 0) {
            // until the client closes
        }
    }

    @Override
    public void close() {
        try {
            server.close();
            for (Socket socket : open) {
                socket.close();
            }
        } catch (IOException e) {
            // closing anyway
        }
        threads.shutdownNow();
    }
}
