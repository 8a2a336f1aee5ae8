package dev.trellis.controller.injector;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyManagementException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The webhook's certificate and key, followed as they change on disk. In Kubernetes they are a mounted Secret which
 * cert-manager (or deploy/kubernetes/injector-certificate.sh) rotates; the kubelet updates such a mount by writing the new
 * files into a fresh directory and swapping the {@code ..data} symlink, so readers never see a half-updated directory —
 * but a plain file mount, or an operator copying files by hand, can show a new certificate with the old key for a moment.
 *
 * <p>Every {@code interval} the two files are read and hashed (they are a few kilobytes; reading them also follows a
 * swapped symlink, which a directory's mtime would not show). Contents not seen before are loaded; if they make a
 * working TLS identity (both parse, the key belongs to the certificate) the new context serves every connection accepted
 * from then on, otherwise the error is logged and the last good certificate stays, the bad contents being tried again
 * only once they change. Connections already open keep the certificate they were made with.
 *
 * <p>{@link #context()} is one {@link SSLContext} for the life of the server — the JDK's {@code HttpsServer} takes its
 * context once, when it is configured — whose engines come from the current identity's context (one volatile read per
 * connection). Each identity has its own context, so TLS sessions made with an old certificate are not resumed after
 * the change.
 */
final class ReloadingCertificate implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ReloadingCertificate.class);

    /** How often the files are looked at in the injector: a rotation is served within this, and 2 small reads cost nothing. */
    static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(5);

    private final Path certificateFile;
    private final Path keyFile;
    private final SSLContext facade;
    private final ScheduledExecutorService checks;

    /** The identity connections get now. */
    private volatile Identity current;
    /** The hash of the last contents looked at, loaded or refused: unchanged contents are not loaded again. */
    private byte[] lastSeen;
    /** How many changed contents were refused (for the tests: proof that a bad change was looked at). */
    private final AtomicInteger refusals = new AtomicInteger();

    /** A loaded certificate: its context and what the log says of it. */
    private record Identity(SSLContext context, String description) {
    }

    /** The bytes of the two files, as read by one check. */
    private record Contents(byte[] certificate, byte[] key) {
    }

    private ReloadingCertificate(Path certificateFile, Path keyFile, Identity first, byte[] firstHash, Duration interval) {
        this.certificateFile = certificateFile;
        this.keyFile = keyFile;
        this.current = first;
        this.lastSeen = firstHash;
        this.facade = new Facade(this);
        this.checks = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "trellis-injector-certificate");
            thread.setDaemon(true);
            return thread;
        });
        long millis = interval.toMillis();
        checks.scheduleWithFixedDelay(this::checkQuietly, millis, millis, TimeUnit.MILLISECONDS);
    }

    /**
     * Loads the certificate and key (an unusable pair fails the start with a message naming the files) and looks at
     * them again every {@code interval}.
     */
    static ReloadingCertificate start(Path certificateFile, Path keyFile, Duration interval) throws IOException {
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("the certificate check interval must be positive, not " + interval);
        }
        Contents files = read(certificateFile, keyFile);
        Identity first = load(files, certificateFile, keyFile);
        log.info("injector certificate {} (from {}; checked for changes every {} ms)", first.description(),
                certificateFile, interval.toMillis());
        return new ReloadingCertificate(certificateFile, keyFile, first, hash(files), interval);
    }

    /** The context to give the server: always the current certificate's. */
    SSLContext context() {
        return facade;
    }

    /**
     * Looks at the files now: true when a new certificate was taken. Called by the schedule; the tests call it too.
     * Synchronized so that a check and a scheduled one do not interleave (the connections never wait on it).
     */
    synchronized boolean check() throws IOException {
        Contents files = read(certificateFile, keyFile);
        byte[] seen = hash(files);
        if (Arrays.equals(seen, lastSeen)) {
            return false;
        }
        lastSeen = seen;
        try {
            Identity next = load(files, certificateFile, keyFile);
            current = next;
            log.info("injector certificate changed on disk: now serving {}", next.description());
            return true;
        } catch (IOException refused) {
            refusals.incrementAndGet();
            log.error("injector certificate changed on disk but cannot be used; still serving {} until the files change"
                    + " again: {}", current.description(), refused.getMessage());
            return false;
        }
    }

    /** How many changes of the files could not be used (each distinct contents counts once). */
    int refusals() {
        return refusals.get();
    }

    private void checkQuietly() {
        try {
            check();
        } catch (IOException | RuntimeException e) {
            // a file missing for a moment (being replaced by hand): looked at again at the next check
            log.warn("cannot read the injector certificate files (keeping the current certificate): {}", e.getMessage());
        }
    }

    private static Contents read(Path certificateFile, Path keyFile) throws IOException {
        return new Contents(InjectorServer.read(certificateFile, "certificate"), InjectorServer.read(keyFile, "key"));
    }

    private static Identity load(Contents files, Path certificateFile, Path keyFile) throws IOException {
        InjectorServer.TlsIdentity identity = InjectorServer.tlsIdentity(files.certificate(), files.key(), certificateFile,
                keyFile);
        X509Certificate leaf = identity.leaf();
        return new Identity(identity.context(), "'" + leaf.getSubjectX500Principal().getName() + "' serial "
                + leaf.getSerialNumber().toString(16) + " valid until " + leaf.getNotAfter().toInstant());
    }

    private static byte[] hash(Contents files) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(files.certificate());
            digest.update((byte) 0);
            digest.update(files.key());
            return digest.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    @Override
    public void close() {
        checks.shutdownNow();
    }

    /** The one context the server holds; everything it is asked goes to the current identity's context. */
    private static final class Facade extends SSLContext {
        Facade(ReloadingCertificate owner) {
            super(new Spi(owner), owner.current.context().getProvider(), owner.current.context().getProtocol());
        }
    }

    private static final class Spi extends SSLContextSpi {
        private final ReloadingCertificate owner;

        Spi(ReloadingCertificate owner) {
            this.owner = owner;
        }

        private SSLContext now() {
            return owner.current.context();
        }

        @Override
        protected void engineInit(KeyManager[] keys, TrustManager[] trust, SecureRandom random)
                throws KeyManagementException {
            throw new KeyManagementException("the injector's TLS context is initialised from its certificate files");
        }

        @Override
        protected SSLSocketFactory engineGetSocketFactory() {
            return now().getSocketFactory();
        }

        @Override
        protected SSLServerSocketFactory engineGetServerSocketFactory() {
            return now().getServerSocketFactory();
        }

        @Override
        protected SSLEngine engineCreateSSLEngine() {
            return now().createSSLEngine();
        }

        @Override
        protected SSLEngine engineCreateSSLEngine(String host, int port) {
            return now().createSSLEngine(host, port);
        }

        @Override
        protected SSLSessionContext engineGetServerSessionContext() {
            return now().getServerSessionContext();
        }

        @Override
        protected SSLSessionContext engineGetClientSessionContext() {
            return now().getClientSessionContext();
        }

        @Override
        protected SSLParameters engineGetDefaultSSLParameters() {
            return now().getDefaultSSLParameters();
        }

        @Override
        protected SSLParameters engineGetSupportedSSLParameters() {
            return now().getSupportedSSLParameters();
        }
    }
}
