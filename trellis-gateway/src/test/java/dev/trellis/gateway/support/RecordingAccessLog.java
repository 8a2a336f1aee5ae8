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

    public void clear() {
        records.clear();
    }

    public List<AccessLogRecord> all() {
        return List.copyOf(records);
    }
}
