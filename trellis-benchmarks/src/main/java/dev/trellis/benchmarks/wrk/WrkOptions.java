package dev.trellis.benchmarks.wrk;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The options of {@code ./bench wrk}. Every option has a default that docs/benchmarks.md's figures use.
 *
 * @param duration each measured wrk run
 * @param warmup the unmeasured wrk runs before it (JIT, connection pools), in all
 * @param connections keep-alive connections wrk holds open (the same for every scenario)
 * @param pin pin the proxy to CPU 0 and the backend and wrk to CPU 1 with {@code taskset}
 * @param only scenario names to run (empty: all)
 * @param jar the shaded benchmarks jar the Java processes are started from
 * @param reference the shared reference directory (the walkthrough's policies are in {@code seed/sample})
 * @param workDir where configurations, Lua scripts, logs and the report go
 * @param jfr record a JFR profile of the gateway scenarios into {@code workDir}
 * @param upstreamIdle idle keep-alive connections each proxy may keep to the backend (nginx {@code keepalive},
 *     the gateway's {@code maxIdleConnectionsPerTarget}); by default as many as wrk's connections, so that no
 *     proxy closes and reopens backend connections in steady state
 * @param rounds how many times the whole sequence of scenarios runs; the report takes medians
 * @param interleave start every scenario once, each on its own ports, and run the rounds' measured runs of all
 *     scenarios back to back (seconds apart) instead of one scenario after another (minutes apart)
 */
record WrkOptions(Duration duration, Duration warmup, int connections, int basePort, boolean pin, List<String> only,
                  Path jar, Path reference, Path workDir, boolean jfr, String gatewayJavaOpts,
                  int upstreamIdle, int rounds, double paceRate, boolean interleave) {

    static final String USAGE = """
            ./bench wrk [options]   the gateway vs nginx and HAProxy, proxying to the same backend (wrk 4)
              --duration 20s        each measured run (s or m suffix)
              --warmup 10s          the unmeasured runs before it, in all: two wrk runs of 3/4 and 1/4 of it
                                    (one below 8 s), so that wrk reconnects once before the measured run
              --connections 64      keep-alive connections (every scenario)
              --base-port 18080     the proxy listens here, the backend on the next port, the fabric
                                    scenario's second gateway on the one after
              --no-pin              do not pin with taskset (default: proxy on CPU 0, backend and wrk on CPU 1)
              --only a,b            only these scenarios (direct, nginx, nginx-headers, haproxy, gateway,
                                    gateway-auth, fabric, nginx-https, gateway-https, nginx-handshakes,
                                    gateway-handshakes); nginx-headers is nginx doing the gateway's header
                                    work, for a like-for-like ratio (the targets are judged against nginx)
              --rounds 1            run every scenario this many times, in turn; the report shows medians
              --interleave          start every scenario once (each on its own port: the base port + 3 per
                                    scenario after the first), warm each up, then in each round run their
                                    maximum-throughput runs back to back (each after an unmeasured 3 s run),
                                    then the paced runs, in reverse order every other round; a ratio then
                                    compares runs seconds apart, not minutes (a machine whose speed drifts)
              --upstream-idle N     idle backend connections nginx and the gateway keep (default: --connections)
              --pace-rate N         pace nginx's and the gateway's p99 runs at N req/s instead of 50 % of this
                                    round's nginx maximum (then the gateway is paced without nginx too: A/B runs
                                    of two builds at one fixed rate)
              --jfr                 record the gateway scenarios with Java Flight Recorder (work dir)
              --gateway-java-opts S JVM options of the gateway (default: -Xms512m -Xmx512m
                                    -XX:MaxTenuringThreshold=1 -XX:-ClassUnloadingWithConcurrentMark, the two
                                    that ./trellis gateway adds too)
              --gateway-transport T the gateways' event-loop transport: epoll, io_uring, nio or auto (default:
                                    the gateway's own, auto: io_uring, else epoll); adds
                                    -Dtrellis.transport=T to their JVM options
              --jar PATH --reference DIR --work-dir DIR   (set by ./bench)
            """;

    static WrkOptions parse(String[] args) {
        Duration duration = Duration.ofSeconds(20);
        Duration warmup = Duration.ofSeconds(10);
        int connections = 64;
        int basePort = 18080;
        boolean pin = true;
        List<String> only = new ArrayList<>();
        Path jar = null;
        Path reference = Path.of("../shared/reference");
        Path workDir = Path.of("target/wrk");
        boolean jfr = false;
        String javaOpts = "-Xms512m -Xmx512m -XX:MaxTenuringThreshold=1 -XX:-ClassUnloadingWithConcurrentMark";
        int upstreamIdle = -1;
        int rounds = 1;
        double paceRate = 0;
        String transport = null;
        boolean interleave = false;
        for (int i = 0; i < args.length; i++) {
            String option = args[i];
            switch (option) {
                case "--duration" -> duration = parseDuration(value(args, ++i, option), option);
                case "--warmup" -> warmup = parseDuration(value(args, ++i, option), option);
                case "--connections" -> connections = positive(value(args, ++i, option), option);
                case "--base-port" -> basePort = positive(value(args, ++i, option), option);
                case "--no-pin" -> pin = false;
                case "--only" -> only = List.of(value(args, ++i, option).split(","));
                case "--jar" -> jar = Path.of(value(args, ++i, option));
                case "--reference" -> reference = Path.of(value(args, ++i, option));
                case "--work-dir" -> workDir = Path.of(value(args, ++i, option));
                case "--jfr" -> jfr = true;
                case "--rounds" -> rounds = positive(value(args, ++i, option), option);
                case "--interleave" -> interleave = true;
                case "--upstream-idle" -> upstreamIdle = positive(value(args, ++i, option), option);
                case "--gateway-java-opts" -> javaOpts = value(args, ++i, option);
                case "--gateway-transport" -> transport = transport(value(args, ++i, option), option);
                case "--pace-rate" -> paceRate = positive(value(args, ++i, option), option);
                case "--help", "-h" -> throw new UsageException(USAGE);
                default -> throw new UsageException("unknown option " + option + "\n" + USAGE);
            }
        }
        if (jar == null) {
            throw new UsageException("--jar is required (./bench sets it)\n" + USAGE);
        }
        if (basePort > 65533) {
            throw new UsageException("--base-port must leave room for the backend and the fabric peer on the next"
                    + " two ports");
        }
        if (transport != null) {
            javaOpts = javaOpts + " -Dtrellis.transport=" + transport;
        }
        WrkOptions options = new WrkOptions(duration, warmup, connections, basePort, pin, List.copyOf(only),
                jar.toAbsolutePath(), reference.toAbsolutePath(), workDir.toAbsolutePath(), jfr, javaOpts,
                upstreamIdle > 0 ? upstreamIdle : connections, rounds, paceRate, interleave);
        int lastSlot = Scenarios.all(options).size() - 1;
        if (interleave && basePort + BenchContext.PORTS_PER_SLOT * lastSlot + 2 > 65535) {
            throw new UsageException("--base-port leaves no room for every scenario's ports with --interleave (the"
                    + " last one's proxy listens on the base port + " + BenchContext.PORTS_PER_SLOT * lastSlot + ")");
        }
        return options;
    }

    boolean selected(String scenario) {
        return only.isEmpty() || only.contains(scenario);
    }

    int proxyPort() {
        return basePort;
    }

    int backendPort() {
        return basePort + 1;
    }

    /** {@code 20s}, {@code 2m} or a bare number of seconds. */
    static Duration parseDuration(String text, String option) {
        try {
            if (text.endsWith("m")) {
                return Duration.ofMinutes(Long.parseLong(text.substring(0, text.length() - 1)));
            }
            String seconds = text.endsWith("s") ? text.substring(0, text.length() - 1) : text;
            Duration d = Duration.ofSeconds(Long.parseLong(seconds));
            if (d.isNegative() || d.isZero()) {
                throw new NumberFormatException();
            }
            return d;
        } catch (NumberFormatException e) {
            throw new UsageException(option + " must be a positive duration like 20s or 2m, not '" + text + "'");
        }
    }

    private static String transport(String text, String option) {
        if (!List.of("epoll", "io_uring", "nio", "auto").contains(text)) {
            throw new UsageException(option + " must be epoll, io_uring, nio or auto, not '" + text + "'");
        }
        return text;
    }

    private static int positive(String text, String option) {
        try {
            int n = Integer.parseInt(text);
            if (n <= 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new UsageException(option + " must be a positive whole number, not '" + text + "'");
        }
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new UsageException(option + " needs a value");
        }
        return args[i];
    }

    /** A command-line mistake: printed without a stack trace. */
    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }
}
