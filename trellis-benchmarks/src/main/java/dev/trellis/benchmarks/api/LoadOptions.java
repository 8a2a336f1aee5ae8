package dev.trellis.benchmarks.api;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The options of {@link ControlPlaneLoad}, parsed and checked. */
record LoadOptions(boolean help, List<String> stores, Optional<String> postgresUrl, List<Integer> clients,
                   Duration jvmWarmup, Duration warmup, Duration duration, int services, Duration fleetLimit,
                   Path output) {

    static final String POSTGRES_URL_VARIABLE = "TRELLIS_BENCH_POSTGRES_URL";

    static final String USAGE = """
            Usage: ./bench control-plane [options]
                   java -cp trellis-benchmarks/target/benchmarks.jar dev.trellis.benchmarks.api.ControlPlaneLoad [options]

            Starts a Trellis control plane in-process on 127.0.0.1 for each store and drives it with the AWS SDK's
            VpcLatticeClient (SigV4-signed with the bootstrapped admin's key). First the JVM is warmed up on a
            throwaway H2 control plane (not reported); then, per store:
              phase 1   per client count: the baseline, raw durable commits/s of the same database through
                        JDBC (one 1 KB insert per transaction), then RegisterTargets/DeregisterTargets API
                        calls/s and p50/p99/max latency
              phase 2   time to create N services, each with an HTTP listener, 2 rules and 2 target groups of
                        10 targets (largest client count), then the heap after a GC and the store's size
            Prints a markdown report and writes it to --output. docs/benchmarks-control-plane.md explains it.
            Progress goes to standard error.

            Options:
              --postgres URL     also run on PostgreSQL: a jdbc:postgresql: URL of a loopback server (user and
                                 password in the URL); fresh schemas are made and dropped.
                                 Default: $TRELLIS_BENCH_POSTGRES_URL
              --stores LIST      h2, postgres or h2,postgres (default: h2, and postgres when a URL is given)
              --clients LIST     concurrent clients of phase 1 and the baseline (default 1,16); phase 2 uses
                                 the largest
              --jvm-warmup TIME  at most this long of JIT warm-up on a throwaway control plane before
                                 anything is measured; it ends when the JIT has settled (default 90s;
                                 0 skips it)
              --warmup TIME      warm-up before each measured run (default 5s)
              --duration TIME    each measured run of phase 1 and the baseline (default 10s)
              --services N       services phase 2 creates (default 2000)
              --fleet-limit TIME give up phase 2 after this long; the report marks it partial (default 120s)
              --output FILE      where the report goes (default target/control-plane-benchmark.md)
              --help             this text
            TIME is 500ms, 10s, 2m or a number of seconds. With the defaults a run on both stores takes at most
            7.5 minutes of warm-up and measurement plus setup (about a minute on a busy 2-core machine); on a
            quiet machine the warm-up and phase 2 end sooner.
            """;

    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m)?");

    LoadOptions {
        if (clients.isEmpty() || clients.stream().anyMatch(c -> c < 1 || c > 256)) {
            throw new IllegalArgumentException("--clients must list counts from 1 to 256, not " + clients);
        }
        if (services < 0) {
            throw new IllegalArgumentException("--services must be 0 or more, not " + services);
        }
        if (duration.isZero()) {
            throw new IllegalArgumentException("--duration must be longer than 0");
        }
        for (String store : stores) {
            if (!store.equals("h2") && !store.equals("postgres")) {
                throw new IllegalArgumentException("--stores takes h2 and postgres, not '" + store + "'");
            }
        }
        if (stores.contains("postgres") && postgresUrl.isEmpty()) {
            throw new IllegalArgumentException("--stores postgres needs --postgres URL or $" + POSTGRES_URL_VARIABLE);
        }
        postgresUrl.ifPresent(StoreUnderTest::requireLoopback);
    }

    int maxClients() {
        return clients.stream().mapToInt(Integer::intValue).max().orElseThrow();
    }

    /** The longest the measurements can take, setup and heap measurements aside. */
    Duration budget() {
        Duration runs = warmup.plus(duration).multipliedBy(2L * clients.size());
        return jvmWarmup.plus(runs.plus(fleetLimit).multipliedBy(stores.size()));
    }

    static LoadOptions parse(String[] args, Map<String, String> env) {
        boolean help = false;
        String stores = null;
        String postgres = blankToNull(env.get(POSTGRES_URL_VARIABLE));
        List<Integer> clients = List.of(1, 16);
        Duration jvmWarmup = Duration.ofSeconds(90);
        Duration warmup = Duration.ofSeconds(5);
        Duration duration = Duration.ofSeconds(10);
        int services = 2000;
        Duration fleetLimit = Duration.ofSeconds(120);
        Path output = Path.of("target", "control-plane-benchmark.md");
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String value = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                value = arg.substring(eq + 1);
                arg = arg.substring(0, eq);
            }
            if (arg.equals("--help") || arg.equals("-h")) {
                help = true;
                continue;
            }
            if (value == null) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(arg + " needs a value");
                }
                value = args[++i];
            }
            switch (arg) {
                case "--postgres" -> postgres = value;
                case "--stores" -> stores = value;
                case "--clients" -> clients = integers(arg, value);
                case "--jvm-warmup" -> jvmWarmup = duration(arg, value);
                case "--warmup" -> warmup = duration(arg, value);
                case "--duration" -> duration = duration(arg, value);
                case "--services" -> services = integer(arg, value);
                case "--fleet-limit" -> fleetLimit = duration(arg, value);
                case "--output" -> output = Path.of(value);
                default -> throw new IllegalArgumentException("unknown option " + arg + " (--help lists them)");
            }
        }
        List<String> storeList = new ArrayList<>();
        if (stores == null) {
            storeList.add("h2");
            if (postgres != null) {
                storeList.add("postgres");
            }
        } else {
            for (String s : stores.split(",")) {
                if (!s.isBlank() && !storeList.contains(s.trim())) {
                    storeList.add(s.trim());
                }
            }
        }
        if (storeList.isEmpty()) {
            throw new IllegalArgumentException("--stores must name at least one store");
        }
        return new LoadOptions(help, List.copyOf(storeList), Optional.ofNullable(postgres), clients, jvmWarmup,
                warmup, duration, services, fleetLimit, output);
    }

    static Duration duration(String option, String text) {
        Matcher m = DURATION.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException(option + " takes a time such as 500ms, 10s or 2m, not '" + text + "'");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        return switch (unit) {
            case "ms" -> Duration.ofMillis(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofSeconds(n);
        };
    }

    private static int integer(String option, String text) {
        try {
            return Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " takes a whole number, not '" + text + "'");
        }
    }

    private static List<Integer> integers(String option, String text) {
        List<Integer> values = new ArrayList<>();
        for (String part : text.split(",")) {
            int v = integer(option, part);
            if (!values.contains(v)) {
                values.add(v);
            }
        }
        return List.copyOf(values);
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
