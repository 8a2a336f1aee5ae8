package dev.trellis.gateway.accesslog;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes access-log records to a file, one JSON object per line, with Lattice's field names in Lattice's order and
 * {@code "-"} for missing values (facts §7).
 *
 * <p>{@link #log} only queues (event loops must not do file I/O); one daemon thread writes and flushes whenever the
 * queue runs dry. When the queue is full a record is dropped and counted ({@link #dropped()}) rather than slowing
 * request handling down.
 */
public final class JsonLinesAccessLog implements AccessLog, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(JsonLinesAccessLog.class);
    private static final JsonFactory JSON = new JsonFactory();
    private static final AccessLogRecord STOP = new AccessLogRecord(null, null, null, null, null, null, null, null,
            null, null, null, null, null, null, null, null, null, 0, 0, 0, 0, null, null, null, null, null, null, null,
            null, null, null, null, null, null, null, null);

    private final Path file;
    private final BlockingQueue<AccessLogRecord> queue;
    private final Thread writerThread;
    private final AtomicLong dropped = new AtomicLong();
    private volatile boolean closed;

    /** Appends to {@code file} (created if needed), queueing up to {@code capacity} records. */
    public JsonLinesAccessLog(Path file, int capacity) throws IOException {
        this.file = file;
        this.queue = new ArrayBlockingQueue<>(capacity);
        Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        this.writerThread = new Thread(() -> writeLoop(out), "trellis-access-log");
        writerThread.setDaemon(true);
        writerThread.start();
    }

    public JsonLinesAccessLog(Path file) throws IOException {
        this(file, 65_536);
    }

    @Override
    public void log(AccessLogRecord record) {
        if (closed || !queue.offer(record)) {
            dropped.incrementAndGet();
        }
    }

    /** Records dropped because the queue was full (or the log closed). */
    public long dropped() {
        return dropped.get();
    }

    /** Writes what is queued (waiting up to 10 seconds), then closes the file. */
    @Override
    public void close() {
        closed = true;
        try {
            queue.put(STOP);
            writerThread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void writeLoop(Writer out) {
        List<AccessLogRecord> batch = new ArrayList<>();
        try (Writer writer = out instanceof BufferedWriter ? out : new BufferedWriter(out)) {
            while (true) {
                batch.add(queue.take());
                queue.drainTo(batch);
                for (AccessLogRecord record : batch) {
                    if (record == STOP) {
                        writer.flush();
                        return;
                    }
                    writer.write(toJson(record));
                    writer.write('\n');
                }
                batch.clear();
                writer.flush();
            }
        } catch (IOException e) {
            log.error("cannot write the access log {}: {}", file, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One record as a single line of JSON. */
    public static String toJson(AccessLogRecord r) {
        StringWriter text = new StringWriter(1024);
        try (JsonGenerator g = JSON.createGenerator(text)) {
            g.writeStartObject();
            string(g, "serviceNetworkArn", r.serviceNetworkArn());
            string(g, "resolvedUser", r.resolvedUser());
            string(g, "listenerType", r.listenerType());
            string(g, "authDeniedReason", r.authDeniedReason());
            string(g, "targetGroupArn", r.targetGroupArn());
            string(g, "sourceVpcArn", r.sourceVpcArn());
            string(g, "destinationVpcId", r.destinationVpcId());
            string(g, "sourceIpPort", r.sourceIpPort());
            string(g, "listenerId", r.listenerId());
            string(g, "targetIpPort", r.targetIpPort());
            string(g, "failureReason", r.failureReason());
            string(g, "serviceArn", r.serviceArn());
            string(g, "sourceVpcId", r.sourceVpcId());
            string(g, "startTime", r.startTime() == null ? null
                    : r.startTime().truncatedTo(ChronoUnit.SECONDS).toString());
            string(g, "requestMethod", r.requestMethod());
            string(g, "requestPath", r.requestPath());
            string(g, "protocol", r.protocol());
            if (r.responseCode() == 0) {
                g.writeStringField("responseCode", "-");
            } else {
                g.writeNumberField("responseCode", r.responseCode());
            }
            g.writeNumberField("bytesReceived", r.bytesReceived());
            g.writeNumberField("bytesSent", r.bytesSent());
            g.writeNumberField("duration", r.duration());
            string(g, "userAgent", r.userAgent());
            string(g, "hostHeader", r.hostHeader());
            string(g, "serverNameIndication", r.serverNameIndication());
            number(g, "requestToTargetDuration", r.requestToTargetDuration());
            number(g, "responseFromTargetDuration", r.responseFromTargetDuration());
            string(g, "sslCipher", r.sslCipher());
            string(g, "tlsVersion", r.tlsVersion());
            string(g, "callerPrincipal", r.callerPrincipal());
            string(g, "callerPrincipalOrgID", r.callerPrincipalOrgID());
            string(g, "callerX509IssuerOU", r.callerX509IssuerOU());
            string(g, "callerX509SubjectCN", r.callerX509SubjectCN());
            string(g, "callerX509SANNameCN", r.callerX509SANNameCN());
            string(g, "callerX509SANDNS", r.callerX509SANDNS());
            string(g, "callerX509SANURI", r.callerX509SANURI());
            string(g, "requestId", r.requestId());
            g.writeEndObject();
        } catch (IOException e) {
            throw new IllegalStateException("writing JSON to a string", e);
        }
        return text.toString();
    }

    private static void string(JsonGenerator g, String name, String value) throws IOException {
        g.writeStringField(name, value == null || value.isEmpty() ? "-" : value);
    }

    private static void number(JsonGenerator g, String name, Long value) throws IOException {
        if (value == null) {
            g.writeStringField(name, "-");
        } else {
            g.writeNumberField(name, value);
        }
    }
}
