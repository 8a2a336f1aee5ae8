package dev.trellis.benchmarks.wrk;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The harness's Markdown report: the figures, the ratios to nginx, and the pass/fail of each target.
 *
 * <p>With several rounds, each row shows the round with the median rate (paced rows: the median p99), and each
 * target is judged on the median of its per-round ratios: nginx and the gateway of one round ran minutes apart on
 * the same machine, so a round's ratio is less disturbed by other load than figures taken across rounds.
 */
final class Report {

    private Report() {
    }

    static String render(WrkOptions options, Map<String, List<WrkResult>> max,
                         Map<String, List<WrkHarness.Paced>> paced, Map<String, String> notRun,
                         Map<String, String> descriptions, Map<String, String> baselines, String loadBefore,
                         String loadAfter, Duration took) {
        StringBuilder out = new StringBuilder();
        out.append("## ./bench wrk\n\n");
        out.append(String.format(Locale.ROOT, "wrk -t1 -c%d, %d s measured after %d s of warm-up (two wrk runs) "
                        + "per scenario, %d round(s)%s; %s; load average %s before, %s after; %d s in all.%n%n",
                options.connections(), options.duration().toSeconds(), options.warmup().toSeconds(), options.rounds(),
                options.interleave() ? " interleaved (every scenario started once, each on its own port; a round"
                        + " runs their maximum-throughput runs back to back, each after an unmeasured 3 s run, then"
                        + " the paced runs; even rounds in reverse order)" : "",
                options.pin() ? "proxy pinned to CPU " + BenchContext.PROXY_CPU + ", backend and wrk to CPU "
                        + BenchContext.LOAD_CPU : "no pinning", loadBefore, loadAfter, took.toSeconds()));
        for (String version : WrkHarness.versions()) {
            out.append("- ").append(version).append('\n');
        }
        out.append("- gateway JVM options: `").append(options.gatewayJavaOpts().trim()).append("`\n");
        out.append('\n');
        descriptions.forEach((name, text) -> out.append("- `").append(name).append("`: ").append(text).append('\n'));
        out.append('\n');

        WrkResult nginx = median(max.get(Scenarios.NGINX), WrkResult::requestsPerSecond);
        out.append("| scenario | requests/s | p50 | p99 | max | vs nginx | errors | req/s of each round "
                + "| proxy CPU µs/request, each round |\n");
        out.append("|---|---:|---:|---:|---:|---:|---|---|---|\n");
        for (Map.Entry<String, List<WrkResult>> entry : max.entrySet()) {
            WrkResult r = median(entry.getValue(), WrkResult::requestsPerSecond);
            // Each scenario is compared with its counterpart: the HTTPS ones with nginx doing the same TLS work.
            WrkResult base = median(max.get(baselines.getOrDefault(entry.getKey(), Scenarios.NGINX)),
                    WrkResult::requestsPerSecond);
            out.append(row(entry.getKey() + " (max)", r, base == null ? Double.NaN
                    : r.requestsPerSecond() / base.requestsPerSecond(), errors(entry.getValue()),
                    rounds(entry.getValue(), WrkResult::requestsPerSecond) + " | "
                            + cpuRounds(entry.getValue())));
        }
        for (Map.Entry<String, List<WrkHarness.Paced>> entry : paced.entrySet()) {
            WrkHarness.Paced p = median(entry.getValue(), x -> x.result().p99Micros());
            List<WrkResult> results = entry.getValue().stream().map(WrkHarness.Paced::result).toList();
            out.append(row(String.format(Locale.ROOT, "%s paced at %s req/s (%s; delay %.3f ms)", entry.getKey(),
                    rate(p.targetRate()), options.paceRate() > 0 ? "--pace-rate" : "50 % of nginx", p.delayMillis()),
                    p.result(), p.result().requestsPerSecond() / p.targetRate(),
                    errors(results), "p99 " + rounds(results, WrkResult::p99Micros) + " µs | "));
        }
        notRun.forEach((name, why) -> out.append("| ").append(name).append(" | — | — | — | — | — | ").append(why)
                .append(" | | |\n"));
        out.append("\n\"vs nginx\": over `nginx` for the cleartext scenarios, over `nginx-https` for `gateway-https`"
                + " and over `nginx-handshakes` for `gateway-handshakes` (nginx doing the same TLS work). Paced rows:"
                + " the achieved rate over the rate asked for (the pacing's accuracy). In the `*-handshakes` rows"
                + " every request is a new TLS connection: requests/s is full handshakes per second, CPU per"
                + " request is CPU per handshake + request.\n\n");

        out.append("### Targets (issue 5, \"Performance\")\n\n");
        out.append("| target | measured | result |\n|---|---|---|\n");
        out.append(ratioTarget("gateway throughput ≥ 1.0 × nginx", max.get(Scenarios.GATEWAY),
                max.get(Scenarios.NGINX), 1.0));
        out.append(p99Target(paced.get(Scenarios.GATEWAY), paced.get(Scenarios.NGINX)));
        out.append(ratioTarget("gateway with SigV4 + auth policies ≥ 0.8 × nginx", max.get(Scenarios.GATEWAY_AUTH),
                max.get(Scenarios.NGINX), 0.8));
        if (notRun.containsKey(Scenarios.FABRIC)) {
            out.append("| across the fabric ≥ 0.5 × nginx | ").append(notRun.get(Scenarios.FABRIC))
                    .append(" | not run |\n");
        } else {
            out.append(ratioTarget("across the fabric ≥ 0.5 × nginx", max.get(Scenarios.FABRIC),
                    max.get(Scenarios.NGINX), 0.5));
        }
        out.append(cpuTarget("gateway", max.get(Scenarios.GATEWAY), max.get(Scenarios.NGINX), 1.0));
        out.append(cpuTarget("gateway with SigV4 + auth policies", max.get(Scenarios.GATEWAY_AUTH),
                max.get(Scenarios.NGINX), 0.8));
        if (!notRun.containsKey(Scenarios.FABRIC)) {
            out.append(cpuTarget("fabric", max.get(Scenarios.FABRIC), max.get(Scenarios.NGINX), 0.5));
        }
        if (max.containsKey(Scenarios.NGINX_HEADERS)) {
            // like for like: the targets above are judged against plain nginx, which adds none of these headers
            out.append(ratioTarget("(informational) gateway ÷ nginx doing the gateway's header work (`"
                    + Scenarios.NGINX_HEADERS + "`)", max.get(Scenarios.GATEWAY), max.get(Scenarios.NGINX_HEADERS),
                    Double.NaN));
        }
        out.append("\n### HTTPS (issue 6: ratios to nginx terminating TLS with the same certificate; no threshold)\n\n");
        out.append("| figure | measured | result |\n|---|---|---|\n");
        out.append(ratioTarget("HTTPS requests/s on kept-alive connections, gateway ÷ nginx",
                max.get(Scenarios.GATEWAY_HTTPS), max.get(Scenarios.NGINX_HTTPS), Double.NaN));
        out.append(ratioTarget("new TLS handshakes/s (one request each), gateway ÷ nginx",
                max.get(Scenarios.GATEWAY_HANDSHAKES), max.get(Scenarios.NGINX_HANDSHAKES), Double.NaN));
        out.append(cpuTarget("gateway-https", max.get(Scenarios.GATEWAY_HTTPS), max.get(Scenarios.NGINX_HTTPS),
                Double.NaN).replace("nginx CPU/request", "nginx-https CPU/request"));
        out.append(cpuTarget("gateway-handshakes", max.get(Scenarios.GATEWAY_HANDSHAKES),
                max.get(Scenarios.NGINX_HANDSHAKES), Double.NaN)
                .replace("nginx CPU/request", "nginx-handshakes CPU/request"));
        out.append("\nThe CPU rows are an estimate that other load on the machine disturbs less: nginx's CPU per "
                + "request over the gateway's, i.e. the rate ratio each would reach with a core to itself.\n");
        WrkResult direct = median(max.get(Scenarios.DIRECT), WrkResult::requestsPerSecond);
        if (direct != null && nginx != null) {
            out.append(String.format(Locale.ROOT, "%nnginx reaches %.2f × the direct baseline's rate.%n",
                    nginx.requestsPerSecond() / direct.requestsPerSecond()));
        }
        return out.toString();
    }

    private static String row(String label, WrkResult r, double ratio, String errors, String rounds) {
        return String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s |%n", label,
                rate(r.requestsPerSecond()), ms(r.p50Micros()), ms(r.p99Micros()), ms(r.maxMicros()),
                Double.isNaN(ratio) ? "—" : String.format(Locale.ROOT, "%.2f", ratio), errors, rounds);
    }

    private static String cpuRounds(List<WrkResult> results) {
        List<String> each = new ArrayList<>();
        for (WrkResult r : results) {
            double cpu = r.proxyCpuMicrosPerRequest();
            each.add(Double.isNaN(cpu) ? "—" : String.format(Locale.ROOT, "%.1f", cpu));
        }
        return String.join(" / ", each);
    }

    /** nginx's CPU per request over the scenario's, median over rounds (rounds where both were measured). */
    private static String cpuTarget(String what, List<WrkResult> measured, List<WrkResult> nginx, double threshold) {
        String target = "(estimate) " + what + ": nginx CPU/request ÷ " + what + " CPU/request"
                + (Double.isNaN(threshold) ? "" : " ≥ " + threshold);
        if (measured == null || nginx == null || measured.size() != nginx.size()) {
            return "| " + target + " | not measured | not run |\n";
        }
        List<Double> ratios = new ArrayList<>();
        for (int i = 0; i < measured.size(); i++) {
            double ratio = nginx.get(i).proxyCpuMicrosPerRequest() / measured.get(i).proxyCpuMicrosPerRequest();
            if (!Double.isNaN(ratio) && !Double.isInfinite(ratio)) {
                ratios.add(ratio);
            }
        }
        if (ratios.isEmpty()) {
            return "| " + target + " | CPU time not readable | not run |\n";
        }
        double ratio = medianOf(ratios, false);
        return String.format(Locale.ROOT, "| %s | %.2f × (rounds: %s) | %s |%n", target, ratio,
                rounds(ratios, r -> r * 100).replace(",", "") + " %", verdict(ratio, threshold, true));
    }

    private static String errors(List<WrkResult> results) {
        List<String> problems = results.stream().filter(r -> !r.clean()).map(WrkResult::problems).toList();
        return problems.isEmpty() ? "none" : String.join("; ", problems);
    }

    private static boolean clean(List<WrkResult> results) {
        return results.stream().allMatch(WrkResult::clean);
    }

    private static <T> String rounds(List<T> values, ToDoubleFunction<T> figure) {
        List<String> each = new ArrayList<>();
        for (T value : values) {
            each.add(String.format(Locale.ROOT, "%,.0f", figure.applyAsDouble(value)));
        }
        return String.join(" / ", each);
    }

    /** The element with the median figure (the lower middle one for an even count), or null for none. */
    static <T> T median(List<T> values, ToDoubleFunction<T> figure) {
        if (values == null || values.isEmpty()) {
            return null;
        }
        List<T> sorted = new ArrayList<>(values);
        sorted.sort(Comparator.comparingDouble(figure));
        return sorted.get((sorted.size() - 1) / 2);
    }

    /** The median; for an even count the middle value that is worse for the gateway ({@code higherIsWorse}). */
    private static double medianOf(List<Double> values, boolean higherIsWorse) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(Comparator.naturalOrder());
        return sorted.get(higherIsWorse ? sorted.size() / 2 : (sorted.size() - 1) / 2);
    }

    private static String ratioTarget(String target, List<WrkResult> measured, List<WrkResult> nginx,
                                      double threshold) {
        if (measured == null || nginx == null || measured.size() != nginx.size()) {
            return "| " + target + " | not measured (scenario not selected) | not run |\n";
        }
        List<Double> ratios = new ArrayList<>();
        for (int i = 0; i < measured.size(); i++) {
            ratios.add(measured.get(i).requestsPerSecond() / nginx.get(i).requestsPerSecond());
        }
        double ratio = medianOf(ratios, false);
        String verdict = verdict(ratio, threshold, clean(measured) && clean(nginx));
        return String.format(Locale.ROOT, "| %s | %.2f × (rounds: %s) | %s |%n", target, ratio,
                rounds(ratios, r -> r * 100).replace(",", "") + " %", verdict);
    }

    /** PASS/FAIL against {@code threshold}; "no target" for an informational figure (NaN threshold). */
    private static String verdict(double ratio, double threshold, boolean clean) {
        if (!clean) {
            return Double.isNaN(threshold) ? "invalid (errors)" : "FAIL (errors, figures invalid)";
        }
        if (Double.isNaN(threshold)) {
            return "— (no target)";
        }
        return ratio >= threshold ? "PASS" : "FAIL";
    }

    /**
     * The p99 target, judged on the median of the per-round differences over the rounds in which both paced runs
     * achieved the rate asked for: p99s at different rates are not comparable, so a round whose nginx or gateway
     * missed its pace by more than {@link WrkHarness.Paced#ON_PACE} is left out (and named); with no round left
     * the target is not judged.
     */
    static String p99Target(List<WrkHarness.Paced> gateway, List<WrkHarness.Paced> nginx) {
        String target = "gateway p99 at 50 % of nginx's max ≤ nginx's p99 + 0.5 ms";
        if (gateway == null || nginx == null || gateway.size() != nginx.size()) {
            return "| " + target + " | not measured (scenario not selected) | not run |\n";
        }
        List<Double> gaps = new ArrayList<>();
        List<String> each = new ArrayList<>();
        List<String> offPace = new ArrayList<>();
        for (int i = 0; i < gateway.size(); i++) {
            double g = gateway.get(i).result().p99Micros();
            double n = nginx.get(i).result().p99Micros();
            each.add(String.format(Locale.ROOT, "%.3f vs %.3f ms", g / 1000, n / 1000));
            List<String> missed = new ArrayList<>();
            offPace(missed, "nginx", nginx.get(i));
            offPace(missed, "gateway", gateway.get(i));
            if (missed.isEmpty()) {
                gaps.add(g - n);
            } else {
                offPace.add("round " + (i + 1) + ": " + String.join(", ", missed));
            }
        }
        boolean valid = gateway.stream().allMatch(p -> p.result().clean())
                && nginx.stream().allMatch(p -> p.result().clean());
        String left = offPace.isEmpty() ? "" : String.format(Locale.ROOT, "; left out, the pace missed by more "
                + "than %.0f %% (%s the rate asked for)", WrkHarness.Paced.ON_PACE * 100, String.join("; ", offPace));
        if (gaps.isEmpty()) {
            return String.format(Locale.ROOT, "| %s | gateway vs nginx p99 per round: %s%s | %s |%n", target,
                    String.join("; ", each), left, valid ? "not judged (no round on pace)"
                            : "FAIL (errors, figures invalid)");
        }
        double gap = medianOf(gaps, true);
        String verdict = !valid ? "FAIL (errors, figures invalid)" : gap <= 500 ? "PASS" : "FAIL";
        return String.format(Locale.ROOT, "| %s | median difference %+.3f ms over %d of %d rounds (gateway vs nginx "
                + "p99 per round: %s)%s | %s |%n", target, gap / 1000, gaps.size(), gateway.size(),
                String.join("; ", each), left, verdict);
    }

    /** Adds "{@code who} <achieved share> ×" to {@code offPace} when {@code run} missed its pace. */
    private static void offPace(List<String> offPace, String who, WrkHarness.Paced run) {
        if (!run.onPace()) {
            offPace.add(String.format(Locale.ROOT, "%s %.2f ×", who, run.achievedShare()));
        }
    }

    static String rate(double perSecond) {
        return String.format(Locale.ROOT, "%,.0f", perSecond);
    }

    static String ms(double micros) {
        return String.format(Locale.ROOT, "%.3f ms", micros / 1000);
    }
}
