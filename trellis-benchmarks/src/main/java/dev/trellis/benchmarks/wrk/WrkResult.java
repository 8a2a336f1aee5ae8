package dev.trellis.benchmarks.wrk;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What one wrk run measured, parsed from its {@code --latency} report.
 *
 * @param requestsPerSecond wrk's {@code Requests/sec}
 * @param p50Micros the median latency, µs
 * @param p99Micros the 99th percentile, µs
 * @param maxMicros the slowest request, µs
 * @param requests responses counted
 * @param badResponses non-2xx/3xx responses
 * @param socketErrors connect, read, write errors and timeouts together
 * @param proxyCpuSeconds CPU the proxy process used during the run ({@link ProcessCpu}), NaN when not measured
 */
record WrkResult(double requestsPerSecond, double p50Micros, double p99Micros, double maxMicros, long requests,
                 long badResponses, long socketErrors, double proxyCpuSeconds) {

    private static final Pattern RATE = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
    private static final Pattern PERCENTILE = Pattern.compile("^\\s+(50|99)(?:\\.000)?%\\s+([0-9.]+)(us|ms|s)\\s*$",
            Pattern.MULTILINE);
    private static final Pattern LATENCY_LINE = Pattern.compile(
            "^\\s+Latency\\s+([0-9.]+)(us|ms|s)\\s+([0-9.]+)(us|ms|s)\\s+([0-9.]+)(us|ms|s)", Pattern.MULTILINE);
    private static final Pattern REQUESTS = Pattern.compile("(\\d+) requests in");
    private static final Pattern NON_2XX = Pattern.compile("Non-2xx or 3xx responses:\\s+(\\d+)");
    private static final Pattern SOCKET = Pattern.compile(
            "Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");

    /** Parses wrk 4's output; throws naming what is missing when wrk did not produce a report. */
    static WrkResult parse(String output) {
        Matcher rate = RATE.matcher(output);
        Matcher requests = REQUESTS.matcher(output);
        Matcher latency = LATENCY_LINE.matcher(output);
        if (!rate.find() || !requests.find() || !latency.find()) {
            throw new IllegalStateException("wrk printed no report:\n" + output);
        }
        double p50 = Double.NaN;
        double p99 = Double.NaN;
        Matcher percentile = PERCENTILE.matcher(output);
        while (percentile.find()) {
            double micros = micros(percentile.group(2), percentile.group(3));
            if (percentile.group(1).equals("50")) {
                p50 = micros;
            } else {
                p99 = micros;
            }
        }
        if (Double.isNaN(p50) || Double.isNaN(p99)) {
            throw new IllegalStateException("wrk printed no latency distribution (was --latency given?):\n" + output);
        }
        long bad = 0;
        Matcher non2xx = NON_2XX.matcher(output);
        if (non2xx.find()) {
            bad = Long.parseLong(non2xx.group(1));
        }
        long errors = 0;
        Matcher socket = SOCKET.matcher(output);
        if (socket.find()) {
            for (int g = 1; g <= 4; g++) {
                errors += Long.parseLong(socket.group(g));
            }
        }
        return new WrkResult(Double.parseDouble(rate.group(1)), p50, p99,
                micros(latency.group(5), latency.group(6)), Long.parseLong(requests.group(1)), bad, errors,
                Double.NaN);
    }

    private static double micros(String value, String unit) {
        double v = Double.parseDouble(value);
        return switch (unit) {
            case "us" -> v;
            case "ms" -> v * 1_000;
            default -> v * 1_000_000;
        };
    }

    WrkResult withProxyCpuSeconds(double seconds) {
        return new WrkResult(requestsPerSecond, p50Micros, p99Micros, maxMicros, requests, badResponses,
                socketErrors, seconds);
    }

    /** The proxy's CPU per request, µs; NaN when not measured. */
    double proxyCpuMicrosPerRequest() {
        return requests == 0 ? Double.NaN : proxyCpuSeconds * 1e6 / requests;
    }

    /** True when every request got a 2xx/3xx answer and no socket failed: otherwise the figures mean nothing. */
    boolean clean() {
        return badResponses == 0 && socketErrors == 0 && requests > 0;
    }

    String problems() {
        return clean() ? "" : badResponses + " non-2xx responses, " + socketErrors + " socket errors";
    }
}
