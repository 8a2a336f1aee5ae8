package dev.trellis.benchmarks.wrk;

import java.util.List;
import java.util.Map;

/**
 * One thing wrk is pointed at: the backend itself, or a proxy in front of it. A scenario is one small class: it
 * starts its proxy (listening on {@link BenchContext#proxyPort()}, forwarding to {@link BenchContext#backendPort()})
 * and says which headers the request carries. The harness does the rest (warm-up, measured runs, pacing, table).
 */
interface Scenario {

    /** Short name used by {@code --only} and in the table. */
    String name();

    /** One line for the report: what runs and how it is configured. */
    String description();

    /** Why the scenario cannot run on this build, or null when it can. */
    default String unavailableReason() {
        return null;
    }

    /**
     * Starts what wrk will talk to and waits until it listens.
     *
     * @return the running proxy, stopped by the harness after the scenario; {@link Running#port()} is where wrk
     *     connects
     */
    Running start(BenchContext context) throws Exception;

    /**
     * Whether wrk speaks HTTPS to it. wrk then connects to {@code https://<datastore's generated name>:<port>/},
     * so that its TLS client sends that name as SNI, and the script resolves the name to 127.0.0.1
     * ({@link LuaScripts}): no hosts file is touched.
     */
    default boolean tls() {
        return false;
    }

    /**
     * The scenario whose rate this one is compared with in the "vs" column (its counterpart doing the same work):
     * nginx for the cleartext scenarios, nginx terminating TLS the same way for the HTTPS ones.
     */
    default String baseline() {
        return Scenarios.NGINX;
    }

    /** The headers of the request, made right before each wrk run (signatures expire). */
    default Map<String, String> requestHeaders() {
        return LuaScripts.plainHeaders();
    }

    /**
     * A started scenario: where wrk connects, the proxy's process ids (their CPU time is measured together: both
     * gateways of the fabric scenario are one proxy's work; empty when there is no proxy), and how to stop it.
     */
    record Running(int port, List<Long> pids, AutoCloseable stop) implements AutoCloseable {

        Running(int port, long pid, AutoCloseable stop) {
            this(port, pid > 0 ? List.of(pid) : List.of(), stop);
        }

        /** CPU seconds the proxy's processes (and their children) have used so far; NaN without a proxy. */
        double cpuSeconds() {
            double total = pids.isEmpty() ? Double.NaN : 0;
            for (long pid : pids) {
                total += ProcessCpu.seconds(pid);
            }
            return total;
        }

        /** CPU seconds the JIT compiler threads of the proxy's JVMs have used so far (NaN: not JVMs). */
        double compilerSeconds() {
            double total = pids.isEmpty() ? Double.NaN : 0;
            for (long pid : pids) {
                total += ProcessCpu.compilerSeconds(pid);
            }
            return total;
        }

        @Override
        public void close() throws Exception {
            stop.close();
        }
    }
}
