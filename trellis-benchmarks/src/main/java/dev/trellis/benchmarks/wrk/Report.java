package dev.trellis.benchmarks.wrk;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/** The harness's Markdown report: the figures, the ratios to nginx, and the pass/fail of each target. */
final class Report {

    private Report() {
    }

    static String render(WrkOptions options, Map<String, WrkResult> max, Map<String, WrkHarness.Paced> paced,
                         Map<String, String> notRun, Map<String, String> descriptions, String loadBefore,
                         String loadAfter, Duration took) {
        StringBuilder out = new StringBuilder();
        out.append("## ./bench wrk\n\n");
        out.append(String.format(Locale.ROOT, "wrk -t1 -c%d, %d s measured after %d s of warm-up per scenario; "
                        + "%s; load average %s before, %s after; %d s in all.%n%n", options.connections(),
                options.duration().toSeconds(), options.warmup().toSeconds(),
                options.pin() ? "proxy pinned to CPU " + BenchContext.PROXY_CPU + ", backend and wrk to CPU "
                        + BenchContext.LOAD_CPU : "no pinning", loadBefore, loadAfter, took.toSeconds()));
        for (String version : WrkHarness.versions()) {
            out.append("- ").append(version).append('\n');
        }
        out.append('\n');
        descriptions.forEach((name, text) -> out.append("- `").append(name).append("`: ").append(text).append('\n'));
        out.append('\n');

        WrkResult nginx = max.get(Scenarios.NGINX);
        out.append("| scenario | requests/s | p50 | p99 | max | vs nginx | errors |\n");
        out.append("|---|---:|---:|---:|---:|---:|---|\n");
        for (Map.Entry<String, WrkResult> entry : max.entrySet()) {
            WrkResult r = entry.getValue();
            out.append(row(entry.getKey() + " (max)", r, nginx == null ? Double.NaN
                    : r.requestsPerSecond() / nginx.requestsPerSecond()));
        }
        for (Map.Entry<String, WrkHarness.Paced> entry : paced.entrySet()) {
            WrkHarness.Paced p = entry.getValue();
            out.append(row(String.format(Locale.ROOT, "%s @ %s req/s (50 %% of nginx; delay %.3f ms)",
                    entry.getKey(), rate(p.targetRate()), p.delayMillis()), p.result(),
                    p.result().requestsPerSecond() / p.targetRate()).replace("| vs nginx", ""));
        }
        notRun.forEach((name, why) -> out.append("| ").append(name).append(" | — | — | — | — | — | ").append(why)
                .append(" |\n"));
        out.append("\nFor paced rows, \"vs nginx\" is the achieved rate over the rate asked for.\n\n");

        out.append("### Targets (issue 5, \"Performance\")\n\n");
        out.append("| target | measured | result |\n|---|---|---|\n");
        out.append(ratioTarget("gateway throughput ≥ 1.0 × nginx", max.get(Scenarios.GATEWAY), nginx, 1.0));
        out.append(p99Target(paced.get(Scenarios.GATEWAY), paced.get(Scenarios.NGINX)));
        out.append(ratioTarget("gateway with SigV4 + auth policies ≥ 0.8 × nginx", max.get(Scenarios.GATEWAY_AUTH),
                nginx, 0.8));
        if (notRun.containsKey(Scenarios.FABRIC)) {
            out.append("| across the fabric ≥ 0.5 × nginx | ").append(notRun.get(Scenarios.FABRIC))
                    .append(" | not run |\n");
        } else {
            out.append(ratioTarget("across the fabric ≥ 0.5 × nginx", max.get(Scenarios.FABRIC), nginx, 0.5));
        }
        WrkResult direct = max.get(Scenarios.DIRECT);
        if (direct != null && nginx != null) {
            out.append(String.format(Locale.ROOT, "%nnginx reaches %.2f × the direct baseline's rate.%n",
                    nginx.requestsPerSecond() / direct.requestsPerSecond()));
        }
        return out.toString();
    }

    private static String row(String label, WrkResult r, double ratio) {
        return String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s |%n", label, rate(r.requestsPerSecond()),
                ms(r.p50Micros()), ms(r.p99Micros()), ms(r.maxMicros()),
                Double.isNaN(ratio) ? "—" : String.format(Locale.ROOT, "%.2f", ratio),
                r.clean() ? "none" : r.problems());
    }

    private static String ratioTarget(String target, WrkResult measured, WrkResult nginx, double threshold) {
        if (measured == null || nginx == null) {
            return "| " + target + " | not measured (scenario not selected) | not run |\n";
        }
        double ratio = measured.requestsPerSecond() / nginx.requestsPerSecond();
        String verdict = !measured.clean() || !nginx.clean() ? "FAIL (errors, figures invalid)"
                : ratio >= threshold ? "PASS" : "FAIL";
        return String.format(Locale.ROOT, "| %s | %.2f × (%s vs %s req/s) | %s |%n", target, ratio,
                rate(measured.requestsPerSecond()), rate(nginx.requestsPerSecond()), verdict);
    }

    private static String p99Target(WrkHarness.Paced gateway, WrkHarness.Paced nginx) {
        String target = "gateway p99 at 50 % of nginx's max ≤ nginx's p99 + 0.5 ms";
        if (gateway == null || nginx == null) {
            return "| " + target + " | not measured (scenario not selected) | not run |\n";
        }
        double gap = gateway.result().p99Micros() - nginx.result().p99Micros();
        String verdict = !gateway.result().clean() || !nginx.result().clean() ? "FAIL (errors, figures invalid)"
                : gap <= 500 ? "PASS" : "FAIL";
        return String.format(Locale.ROOT, "| %s | %s vs %s (%+.3f ms) | %s |%n", target, ms(gateway.result().p99Micros()),
                ms(nginx.result().p99Micros()), gap / 1000, verdict);
    }

    static String rate(double perSecond) {
        return String.format(Locale.ROOT, "%,.0f", perSecond);
    }

    static String ms(double micros) {
        return String.format(Locale.ROOT, "%.3f ms", micros / 1000);
    }
}
