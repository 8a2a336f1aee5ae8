package dev.trellis.gateway.support;

import dev.trellis.gateway.accesslog.AccessLog;
import dev.trellis.gateway.accesslog.AccessLogRecord;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Keeps the gateway's access-log records for assertions. */
public final class RecordingAccessLog implements AccessLog {

    private final BlockingQueue<AccessLogRecord> records = new LinkedBlockingQueue<>();

    @Override
    public void log(AccessLogRecord record) {
        records.add(record);
    }

    /** The next record, waiting up to 5 seconds. */
    public AccessLogRecord take() throws InterruptedException {
        AccessLogRecord record = records.poll(5, TimeUnit.SECONDS);
        if (record == null) {
            throw new AssertionError("no access-log record within 5 seconds");
        }
        return record;
    }

    /**
     * The record of the request the gateway gave {@code requestId} (the response's {@code x-amzn-requestid}),
     * waiting up to 5 seconds: records are written when an exchange ends, which may be after its client moved on.
     */
    public AccessLogRecord take(String requestId) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            for (AccessLogRecord record : records) {
                if (requestId.equals(record.requestId())) {
                    records.remove(record);
                    return record;
                }
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no access-log record for request " + requestId + " within 5 seconds");
    }

    /** The record of the request that got {@code response}. */
    public AccessLogRecord take(java.net.http.HttpResponse<?> response) throws InterruptedException {
        return take(response.headers().firstValue("x-amzn-requestid")
                .orElseThrow(() -> new AssertionError("the response has no x-amzn-requestid")));
    }

    /** The first record whose request path is {@code path}, waiting up to 5 seconds. */
    public AccessLogRecord takePath(String path) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            for (AccessLogRecord record : records) {
                if (path.equals(record.requestPath())) {
                    records.remove(record);
                    return record;
                }
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no access-log record for " + path + " within 5 seconds");
    }

    public void clear() {
        records.clear();
    }

    public List<AccessLogRecord> all() {
        return List.copyOf(records);
    }
}
