package dev.trellis.gateway.accesslog;

import dev.trellis.gateway.GatewaySnapshot;
import dev.trellis.gateway.GatewaySnapshots;
import dev.trellis.model.snapshot.ServiceEntry;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes each request's record where its service's access-log subscriptions point (facts §7): the snapshot gives
 * every service the destination ARNs of its own subscriptions and of its network's
 * ({@link ServiceEntry#accessLogDestinations()}), and each destination is one JSON-lines file under a directory:
 *
 * <table>
 *   <caption>destination ARN → file</caption>
 *   <tr><td>{@code arn:aws:s3:::<bucket>[/<prefix>]}</td><td>{@code s3/<bucket[/prefix]>.log}</td></tr>
 *   <tr><td>{@code arn:aws:logs:<region>:<account>:log-group:<name>[:*]}</td>
 *       <td>{@code logs/<region>/<account>/<name>.log}</td></tr>
 *   <tr><td>{@code arn:aws:firehose:<region>:<account>:deliverystream/<name>}</td>
 *       <td>{@code firehose/<region>/<account>/<name>.log}</td></tr>
 *   <tr><td>anything else</td><td>{@code other/<whole ARN>.log}</td></tr>
 * </table>
 *
 * Every segment taken from the ARN is escaped ({@link #safeSegment}): bytes other than letters, digits, {@code .},
 * {@code _} and {@code -} become {@code %XX}, a leading dot too, so no ARN can name {@code ..}, a separator or a
 * hidden file, and different names never share a file. Log groups and streams are per account and region (bucket
 * names are global), hence those two levels.
 *
 * <p><b>Threading.</b> {@link #log} runs on event loops: one map look-up (does the service log anywhere?) and a
 * queue offer; a full queue drops the record and counts it ({@link #dropped()}). One daemon thread resolves the
 * destinations, opens files lazily on their first record, writes one line per destination, flushes when the queue
 * runs dry, and after a snapshot swap closes the files no service refers to any more. Services without
 * subscriptions write nothing and open nothing.
 */
public final class DestinationAccessLog implements AccessLog, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DestinationAccessLog.class);
    private static final int MAX_SEGMENT = 200;
    /** Wakes the writer after a swap so that it closes unreferenced files even when no request comes. */
    private static final AccessLogRecord RECONFIGURED = marker();
    private static final AccessLogRecord STOP = marker();

    private final Path directory;
    private final BlockingQueue<AccessLogRecord> queue;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong written = new AtomicLong();
    /** Open files by path; written by the writer thread only, readable by anyone (tests, diagnostics). */
    private final Map<Path, Writer> open = new ConcurrentHashMap<>();
    /** Service ARN → the files its records go to, for the snapshot being served. */
    private volatile Map<String, List<Path>> destinations = Map.of();
    private Thread writerThread;
    private volatile boolean closed;

    /** Logs under {@code directory} (created when the first record arrives), queueing up to 65,536 records. */
    public DestinationAccessLog(Path directory) {
        this(directory, 65_536);
    }

    public DestinationAccessLog(Path directory, int capacity) {
        this.directory = Objects.requireNonNull(directory, "directory").toAbsolutePath().normalize();
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be positive, not " + capacity);
        }
        this.queue = new ArrayBlockingQueue<>(capacity);
    }

    /** Follows {@code snapshots}' services and starts the writer thread. */
    @Override
    public synchronized void bind(GatewaySnapshots snapshots) {
        if (writerThread != null) {
            throw new IllegalStateException("this access log already follows a gateway's snapshots");
        }
        snapshots.onSwap((previous, current) -> update(current));
        update(snapshots.current());
        writerThread = new Thread(this::writeLoop, "trellis-access-log-destinations");
        writerThread.setDaemon(true);
        writerThread.start();
    }

    /** Uses the destinations of {@code snapshot} from now on (for a log driven without a server: tests). */
    public void update(GatewaySnapshot snapshot) {
        Map<String, List<Path>> next = new HashMap<>();
        for (ServiceEntry service : snapshot.snapshot().services()) {
            Set<Path> files = new LinkedHashSet<>();
            for (String arn : service.accessLogDestinations()) {
                files.add(resolve(arn));
            }
            if (!files.isEmpty()) {
                next.put(service.arn(), List.copyOf(files));
            }
        }
        destinations = Map.copyOf(next);
        queue.offer(RECONFIGURED);
    }

    @Override
    public boolean wants(String serviceArn) {
        return serviceArn != null && destinations.containsKey(serviceArn);
    }

    @Override
    public void log(AccessLogRecord record) {
        if (!wants(record.serviceArn())) {
            return;
        }
        if (closed || !queue.offer(record)) {
            dropped.incrementAndGet();
        }
    }

    /** Records dropped: queue full, log closed, or a file that could not be written. */
    public long dropped() {
        return dropped.get();
    }

    /** Lines written, all destinations together. */
    public long written() {
        return written.get();
    }

    /** The files open now. */
    public Set<Path> openFiles() {
        return Set.copyOf(open.keySet());
    }

    /** The directory logs are written under. */
    public Path directory() {
        return directory;
    }

    /** Writes what is queued (waiting up to 10 seconds), then closes every file. */
    @Override
    public void close() {
        closed = true;
        Thread thread;
        synchronized (this) {
            thread = writerThread;
        }
        if (thread == null) {
            return;
        }
        try {
            queue.put(STOP);
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The file of destination {@code arn}: always under the directory, whatever the ARN contains. */
    public Path resolve(String arn) {
        Path file = directory.resolve(relativePath(arn)).normalize();
        if (!file.startsWith(directory)) {
            // Cannot happen with escaped segments; checked so that a future change cannot open a hole.
            throw new IllegalStateException("access-log destination " + arn + " resolves outside " + directory);
        }
        return file;
    }

    /** The file of destination {@code arn}, relative to the log directory (see the class comment). */
    public static String relativePath(String arn) {
        String[] parts = arn.split(":", 6);
        if (parts.length == 6 && parts[0].equals("arn")) {
            String service = parts[2];
            String region = parts[3];
            String account = parts[4];
            String resource = parts[5];
            if (service.equals("s3") && !resource.isEmpty()) {
                return "s3/" + safeSegment(resource) + ".log";
            }
            if (service.equals("logs") && resource.startsWith("log-group:")) {
                String name = resource.substring("log-group:".length());
                if (name.endsWith(":*")) {
                    name = name.substring(0, name.length() - 2);
                }
                return "logs/" + safeSegment(region) + "/" + safeSegment(account) + "/" + safeSegment(name) + ".log";
            }
            if (service.equals("firehose") && resource.startsWith("deliverystream/")) {
                String name = resource.substring("deliverystream/".length());
                return "firehose/" + safeSegment(region) + "/" + safeSegment(account) + "/" + safeSegment(name)
                        + ".log";
            }
        }
        return "other/" + safeSegment(arn) + ".log";
    }

    /**
     * One path segment made from untrusted text: letters, digits, {@code _}, {@code -} and non-leading {@code .}
     * stay, every other UTF-8 byte becomes {@code %XX} (so the mapping is one-to-one); an empty text is {@code %};
     * a segment longer than 200 characters keeps its first 180 and ends with {@code ~} and a hash of the whole.
     */
    static String safeSegment(String text) {
        if (text.isEmpty()) {
            return "%";
        }
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        StringBuilder out = new StringBuilder(bytes.length + 8);
        for (int i = 0; i < bytes.length; i++) {
            int b = bytes[i] & 0xff;
            boolean safe = (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') || b == '_'
                    || b == '-' || (b == '.' && i > 0);
            if (safe) {
                out.append((char) b);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(b >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
            }
        }
        if (out.length() <= MAX_SEGMENT) {
            return out.toString();
        }
        // '~' is always escaped above, so a shortened segment never equals an escaped one.
        return out.substring(0, 180) + "~" + sha256Prefix(bytes);
    }

    private static String sha256Prefix(byte[] bytes) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(bytes);
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    // --- the writer thread -------------------------------------------------------------------------------------

    private void writeLoop() {
        List<AccessLogRecord> batch = new ArrayList<>();
        Set<Writer> touched = new HashSet<>();
        Set<Path> failed = new HashSet<>();
        try {
            while (true) {
                batch.add(queue.take());
                queue.drainTo(batch);
                boolean reconfigured = false;
                boolean stop = false;
                Map<String, List<Path>> routes = destinations;
                for (AccessLogRecord record : batch) {
                    if (record == STOP) {
                        stop = true;
                        break;
                    }
                    if (record == RECONFIGURED) {
                        reconfigured = true;
                        continue;
                    }
                    List<Path> files = routes.get(record.serviceArn());
                    if (files == null) {
                        continue;
                    }
                    String line = JsonLinesAccessLog.toJson(record);
                    for (Path file : files) {
                        Writer writer = writer(file, failed);
                        if (writer == null) {
                            dropped.incrementAndGet();
                            continue;
                        }
                        try {
                            writer.write(line);
                            writer.write('\n');
                            touched.add(writer);
                            written.incrementAndGet();
                        } catch (IOException e) {
                            dropped.incrementAndGet();
                            log.error("cannot write the access log {}: {}", file, e.toString());
                            closeQuietly(file);
                        }
                    }
                }
                batch.clear();
                for (Writer writer : touched) {
                    try {
                        writer.flush();
                    } catch (IOException e) {
                        log.error("cannot flush an access log: {}", e.toString());
                    }
                }
                touched.clear();
                if (reconfigured) {
                    closeUnreferenced();
                    failed.clear();
                }
                if (stop) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            for (Path file : new ArrayList<>(open.keySet())) {
                closeQuietly(file);
            }
        }
    }

    /** The open writer of {@code file}, opening it (and its directories) on first use; null when it cannot. */
    private Writer writer(Path file, Set<Path> failed) {
        Writer writer = open.get(file);
        if (writer != null || failed.contains(file)) {
            return writer;
        }
        try {
            Files.createDirectories(file.getParent());
            writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND, StandardOpenOption.WRITE);
            open.put(file, writer);
            log.info("access log destination opened: {}", file);
            return writer;
        } catch (IOException e) {
            // Logged once per file until the next swap, not once per record.
            failed.add(file);
            log.error("cannot open the access log {}: {}", file, e.toString());
            return null;
        }
    }

    private void closeUnreferenced() {
        Set<Path> referenced = new HashSet<>();
        destinations.values().forEach(referenced::addAll);
        for (Path file : new ArrayList<>(open.keySet())) {
            if (!referenced.contains(file)) {
                closeQuietly(file);
                log.info("access log destination closed (no subscription refers to it): {}", file);
            }
        }
    }

    private void closeQuietly(Path file) {
        Writer writer = open.remove(file);
        if (writer != null) {
            try {
                writer.close();
            } catch (IOException e) {
                log.warn("closing the access log {}: {}", file, e.toString());
            }
        }
    }

    private static AccessLogRecord marker() {
        return new AccessLogRecord(null, null, null, null, null, null, null, null, null, null, null, null, null,
                null, null, null, null, 0, 0, 0, 0, null, null, null, null, null, null, null, null, null, null, null,
                null, null, null, null);
    }

    @Override
    public String toString() {
        return "DestinationAccessLog[" + directory + ", " + open.size() + " files open]";
    }
}
