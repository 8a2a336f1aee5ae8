package dev.trellis.gateway.health;

import dev.trellis.model.gateway.TargetHealthReport;
import java.util.List;

/**
 * Where the gateway's view of its targets goes: the control plane, so that {@code ListTargets} shows it.
 *
 * <p>{@link HealthChecker} calls {@link #report} from its own reporting thread, never from an event loop, so an
 * implementation may block (an HTTP call to the control plane). Each call carries either the targets whose status
 * or reason changed since the last call, or the full state of every target in this VPC (at start, at least every
 * {@code targetHealthFullReportInterval} — 60 s by default — and after a call that threw). An implementation that
 * throws is logged; the next call then carries the full state, so nothing is lost.
 */
@FunctionalInterface
public interface TargetHealthSink {

    /** Reports nowhere: the default when no control plane is wired in. */
    TargetHealthSink NONE = reports -> { };

    void report(List<TargetHealthReport> reports);
}
