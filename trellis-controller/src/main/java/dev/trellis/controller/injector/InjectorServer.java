package dev.trellis.controller.injector;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.fabric8.kubernetes.client.internal.CertUtils;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The webhook's HTTPS server: {@code POST /mutate} answers AdmissionReviews with a {@link SidecarInjector}, {@code GET
 * /healthz} answers 200. Built on the JDK's {@link HttpsServer}: an admission webhook answers a few requests a second,
 * and its handlers run on a pool of four threads of their own, so a slow namespace look-up holds one worker, never the
 * server's accept loop. A request waiting too long is abandoned by the API server after the webhook's timeoutSeconds,
 * which then applies the failurePolicy (Ignore in deploy/kubernetes).
 */
public final class InjectorServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(InjectorServer.class);
    /** The path of the webhook, as aws-sigv4-proxy-admission-controller serves it. */
    public static final String MUTATE_PATH = "/mutate";
    public static final String HEALTH_PATH = "/healthz";
    /** How much of an oversized body is read and thrown away so that the 413 reaches the client. */
    private static final long DRAIN_LIMIT = 64L * 1024 * 1024;

    private final HttpsServer server;
    private final ThreadPoolExecutor workers;
    private final ReloadingCertificate certificate;

    private InjectorServer(HttpsServer server, ThreadPoolExecutor workers, ReloadingCertificate certificate) {
        this.server = server;
        this.workers = workers;
        this.certificate = certificate;
    }

    /**
     * Loads the certificate and key, then listens; fails with a message naming the file if either is unusable. The files
     * are looked at again every few seconds ({@link ReloadingCertificate}): a rotated certificate serves new connections
     * without a restart.
     */
    public static InjectorServer start(InjectorConfig config, SidecarInjector injector) throws IOException {
        return start(config, injector, ReloadingCertificate.DEFAULT_INTERVAL);
    }

    /** As {@link #start(InjectorConfig, SidecarInjector)}, with the certificate files looked at every {@code checkEvery}. */
    static InjectorServer start(InjectorConfig config, SidecarInjector injector, java.time.Duration checkEvery)
            throws IOException {
        ReloadingCertificate certificate = ReloadingCertificate.start(config.certificateFile(), config.keyFile(), checkEvery);
        try {
            return listen(config, injector, certificate);
        } catch (IOException | RuntimeException e) {
            certificate.close();
            throw e;
        }
    }

    private static InjectorServer listen(InjectorConfig config, SidecarInjector injector, ReloadingCertificate certificate)
            throws IOException {
        SSLContext tls = certificate.context();
        InetSocketAddress address = config.bindAddress() == null || config.bindAddress().isBlank()
                ? new InetSocketAddress(config.port()) : new InetSocketAddress(config.bindAddress(), config.port());
        HttpsServer server = HttpsServer.create(address, 64);
        server.setHttpsConfigurator(new HttpsConfigurator(tls));
        AtomicInteger threads = new AtomicInteger();
        ThreadPoolExecutor workers = new ThreadPoolExecutor(4, 4, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                r -> {
                    Thread thread = new Thread(r, "trellis-injector-" + threads.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
        server.setExecutor(workers);
        server.createContext(MUTATE_PATH, exchange -> handle(exchange, () -> mutate(exchange, injector,
                config.maxReviewBytes())));
        server.createContext(HEALTH_PATH, exchange -> handle(exchange, () -> {
            exchange.getRequestBody().transferTo(OutputStream.nullOutputStream());
            send(exchange, 200, "text/plain; charset=utf-8", "ok\n".getBytes(StandardCharsets.UTF_8));
        }));
        server.createContext("/", exchange -> handle(exchange, () -> send(exchange, 404, "text/plain; charset=utf-8",
                ("no such path: the webhook is POST " + MUTATE_PATH + ", health GET " + HEALTH_PATH + "\n")
                        .getBytes(StandardCharsets.UTF_8))));
        server.start();
        log.info("injector listening on https://{}:{}{} (sidecar image {})", server.getAddress().getHostString(),
                server.getAddress().getPort(), MUTATE_PATH, config.image());
        return new InjectorServer(server, workers, certificate);
    }

    private interface Handler {
        void run() throws IOException;
    }

    /** Runs a handler; whatever it throws ends this exchange only. */
    private static void handle(HttpExchange exchange, Handler handler) {
        try (exchange) {
            handler.run();
        } catch (IOException | RuntimeException e) {
            log.debug("request from {} ended: {}", exchange.getRemoteAddress(), e.toString());
        }
    }

    private static void mutate(HttpExchange exchange, SidecarInjector injector, int maxBytes) throws IOException {
        if (!exchange.getRequestMethod().equals("POST")) {
            exchange.getResponseHeaders().set("Allow", "POST");
            send(exchange, 405, "text/plain; charset=utf-8",
                    "the webhook takes POST with an AdmissionReview\n".getBytes(StandardCharsets.UTF_8));
            return;
        }
        String length = exchange.getRequestHeaders().getFirst("Content-Length");
        byte[] body = length != null && length.matches("\\d{1,18}") && Long.parseLong(length) > maxBytes
                ? null : readAtMost(exchange.getRequestBody(), maxBytes);
        if (body == null) {
            // Read the rest before answering (up to a bound): closing a socket with unread bytes resets the connection,
            // and the reset would destroy the 413 on its way to the client.
            discardAtMost(exchange.getRequestBody(), DRAIN_LIMIT);
            exchange.getResponseHeaders().set("Connection", "close");
            send(exchange, 413, "text/plain; charset=utf-8", tooLarge(maxBytes));
            return;
        }
        SidecarInjector.Answer answer = injector.review(body);
        if (answer.status() != 200) {
            log.warn("refused a request from {}: {}", exchange.getRemoteAddress(), answer.text().trim());
        }
        send(exchange, answer.status(), answer.contentType(), answer.body());
    }

    private static void discardAtMost(InputStream in, long max) throws IOException {
        byte[] buffer = new byte[65536];
        long total = 0;
        int n;
        while (total < max && (n = in.read(buffer)) > 0) {
            total += n;
        }
    }

    private static byte[] tooLarge(int maxBytes) {
        return ("AdmissionReview larger than " + maxBytes + " bytes refused\n").getBytes(StandardCharsets.UTF_8);
    }

    /** The body, or null when it is longer than {@code max} (chunked bodies have no Content-Length to check first). */
    private static byte[] readAtMost(InputStream in, int max) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[16384];
        int n;
        while ((n = in.read(buffer)) > 0) {
            if (out.size() + n > max) {
                return null;
            }
            out.write(buffer, 0, n);
        }
        return out.toByteArray();
    }

    private static void send(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    /** A certificate and key made into a TLS context, with the certificate it presents. */
    record TlsIdentity(SSLContext context, X509Certificate leaf) {
    }

    /**
     * A TLS context presenting the PEM certificate chain and key (PKCS#8, PKCS#1 RSA or SEC1 EC — what cert-manager and
     * openssl write), as a webhook gets them from a mounted Secret. The key must belong to the certificate: a Java key
     * store takes a mismatched pair without a word and every handshake would then fail, so a signature made with the
     * key is checked with the certificate's public key first.
     */
    static TlsIdentity tlsIdentity(byte[] certificate, byte[] key, Path certificateFile, Path keyFile) throws IOException {
        String keyText = new String(key, StandardCharsets.US_ASCII);
        if (!keyText.contains("PRIVATE KEY-----")) {
            throw new IOException("key file " + keyFile + " holds no PEM private key");
        }
        if (keyText.contains("ENCRYPTED PRIVATE KEY")) {
            throw new IOException("key file " + keyFile + " is encrypted; the webhook needs an unencrypted key");
        }
        // PKCS#8 does not say its algorithm in the PEM header: try RSA, then EC.
        String[] algorithms = keyText.contains("BEGIN EC PRIVATE KEY") ? new String[] {"EC"}
                : keyText.contains("BEGIN RSA PRIVATE KEY") ? new String[] {"RSA"} : new String[] {"RSA", "EC"};
        char[] password = new char[0];
        KeyStore store = null;
        Exception last = null;
        for (String algorithm : algorithms) {
            try {
                store = CertUtils.createKeyStore(new ByteArrayInputStream(certificate),
                        new ByteArrayInputStream(key), algorithm, password, null, password);
                break;
            } catch (GeneralSecurityException | IOException | RuntimeException e) {
                last = e;
            }
        }
        if (store == null) {
            throw new IOException("cannot use certificate " + certificateFile + " with key " + keyFile + ": " + last, last);
        }
        try {
            if (!store.aliases().hasMoreElements()) {
                throw new IOException("no certificate in " + certificateFile);
            }
            String alias = store.aliases().nextElement();
            if (!(store.getCertificate(alias) instanceof X509Certificate leaf)
                    || !(store.getKey(alias, password) instanceof PrivateKey privateKey)) {
                throw new IOException("no X.509 certificate with its key in " + certificateFile + " and " + keyFile);
            }
            if (!belongsTogether(privateKey, leaf)) {
                throw new IOException("the key in " + keyFile + " does not belong to the certificate in " + certificateFile
                        + " (" + leaf.getSubjectX500Principal().getName() + ")");
            }
            KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(store, password);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys.getKeyManagers(), null, null);
            return new TlsIdentity(context, leaf);
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot use certificate " + certificateFile + " with key " + keyFile + ": " + e, e);
        }
    }

    /** Whether a signature made with the private key verifies with the certificate's public key. */
    private static boolean belongsTogether(PrivateKey key, X509Certificate certificate) throws GeneralSecurityException {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            default -> throw new GeneralSecurityException("keys of type " + key.getAlgorithm() + " are not supported");
        };
        if (!key.getAlgorithm().equals(certificate.getPublicKey().getAlgorithm())) {
            return false;
        }
        byte[] challenge = "trellis injector key check".getBytes(StandardCharsets.US_ASCII);
        Signature signer = Signature.getInstance(algorithm);
        signer.initSign(key);
        signer.update(challenge);
        byte[] signature = signer.sign();
        Signature verifier = Signature.getInstance(algorithm);
        verifier.initVerify(certificate.getPublicKey());
        verifier.update(challenge);
        try {
            return verifier.verify(signature);
        } catch (java.security.SignatureException malformed) {
            return false;
        }
    }

    static byte[] read(Path file, String what) throws IOException {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IOException("cannot read the " + what + " file " + file + ": " + e, e);
        }
    }

    /** The certificate the server presents, followed on disk. */
    ReloadingCertificate certificate() {
        return certificate;
    }

    /** The address listened on (its port when the configured one was 0). */
    public InetSocketAddress address() {
        return server.getAddress();
    }

    @Override
    public void close() {
        server.stop(1);
        workers.shutdownNow();
        certificate.close();
    }
}
