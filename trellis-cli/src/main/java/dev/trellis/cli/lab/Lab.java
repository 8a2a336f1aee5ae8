package dev.trellis.cli.lab;

import dev.trellis.cli.TrellisCommand;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * VPCs on one machine and the trellis processes running in them, for {@code trellis demo} and {@code trellis up}.
 *
 * <p>A lab owns everything it makes — network namespaces, their {@code /etc/netns/<ns>} directories, the bridge and
 * veths that join them to the host, child processes, and its work directory when it made one — and {@link #close()}
 * removes all of it, in reverse order of creation. A JVM shutdown hook calls {@code close()} too, so Ctrl-C and
 * SIGTERM clean up as well as a normal end or a failure. (SIGKILL cannot be caught: see docs/demo.md for the manual
 * clean-up.)
 *
 * <p>Every child process carries the environment variable {@value #RUN_VARIABLE} = {@link #runId()}, which is
 * {@code <kind>-<pid of this JVM>-<n>}, so a test can find any process a lab left behind by scanning /proc.
 *
 * <p>Network plan, namespaces: the host side is a bridge {@code <prefix>br} with {@code 192.168.X.1/24} (X the first
 * of 200..249 no interface of the host uses), where host-side servers (the control plane) listen; VPC n has a veth
 * into it, {@code uplink} = {@code 192.168.X.(10+n)} inside the namespace, which is also its gateway's fabric address.
 * Inside each namespace, on {@code lo}: 169.254.171.1 (the gateway, and the namespace's resolver through
 * {@code /etc/netns/<ns>/resolv.conf}) and the VPC's hosts ({@code 10.0.0.n}, the same in every VPC). Loopback: VPC n
 * is {@code 127.0.n.0/24}, its gateway {@code 127.0.n.1}, every listener port plus one offset (DNS on 53 + offset).
 */
public final class Lab implements AutoCloseable {

    /** The environment variable every child process carries: the lab's run id. */
    public static final String RUN_VARIABLE = "TRELLIS_LAB_RUN";

    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static final Duration STOP_GRACE = Duration.ofSeconds(8);

    private final Isolation isolation;
    private final String runId;
    private final String prefix;
    private final Path workDir;
    private final boolean ownsWorkDir;
    private final List<String> javaOptions;
    private final Deque<Undo> undo = new ArrayDeque<>();
    private final List<LabProcess> processes = new CopyOnWriteArrayList<>();
    private final List<LabVpc> vpcs = new ArrayList<>();
    private final Thread shutdownHook;
    private String subnet;
    private int portOffset = -1;
    private boolean closed;

    private record Undo(String what, UndoAction action) {
    }

    @FunctionalInterface
    private interface UndoAction {
        void run() throws Exception;
    }

    private Lab(Isolation isolation, String kind, Path dataDir, List<String> javaOptions) throws IOException {
        this.isolation = isolation;
        int n = COUNTER.incrementAndGet();
        long pid = ProcessHandle.current().pid();
        this.runId = kind + "-" + pid + "-" + n;
        // Interface names have at most 15 characters: t<pid><letter>br fits for any pid up to 7 digits... almost;
        // pids are taken modulo 10^6 to be sure.
        this.prefix = "t" + (pid % 1_000_000) + (char) ('a' + (n - 1) % 26);
        this.javaOptions = List.copyOf(javaOptions);
        if (dataDir == null) {
            this.workDir = Files.createTempDirectory("trellis-" + kind + "-");
            this.ownsWorkDir = true;
        } else {
            this.workDir = Files.createDirectories(dataDir).toAbsolutePath();
            this.ownsWorkDir = false;
        }
        Files.createDirectories(workDir.resolve("logs"));
        this.shutdownHook = new Thread(this::closeQuietly, "trellis-lab-cleanup");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /**
     * A new, empty lab.
     *
     * @param kind what it is for ({@code demo}, {@code up}): the start of the run id and of temp directory names
     * @param dataDir where state and logs go; null for a temp directory that {@link #close()} removes
     * @param javaOptions JVM options of every child process
     */
    public static Lab create(String kind, Isolation isolation, Path dataDir, List<String> javaOptions)
            throws IOException {
        return new Lab(isolation, kind, dataDir, javaOptions);
    }

    public Isolation isolation() {
        return isolation;
    }

    public String runId() {
        return runId;
    }

    /** State, logs and files of this lab. */
    public Path workDir() {
        return workDir;
    }

    /** True when {@link #close()} removes {@link #workDir()} (it was made as a temp directory). */
    public boolean ownsWorkDir() {
        return ownsWorkDir;
    }

    public List<LabVpc> vpcs() {
        return List.copyOf(vpcs);
    }

    public List<LabProcess> processes() {
        return List.copyOf(processes);
    }

    /** The host-side address VPCs reach this machine on: where the control plane should listen. */
    public synchronized String hostAddress() throws IOException {
        if (isolation == Isolation.LOOPBACK) {
            return "127.0.0.1";
        }
        ensureBridge();
        return subnet + ".1";
    }

    /** Loopback mode: what every gateway adds to a listener port (DNS included). 0 with namespaces. */
    synchronized int portOffset() throws IOException {
        if (isolation == Isolation.NAMESPACES) {
            return 0;
        }
        if (portOffset < 0) {
            portOffset = freeOffset();
        }
        return portOffset;
    }

    /**
     * Adds VPC number {@code vpcs().size() + 1}: with namespaces, a namespace {@code trellis-<prefix>-<label>} joined
     * to the host's bridge, with its gateway's address and resolv.conf.
     *
     * @param label a short lower-case name, e.g. {@code vpc-a}
     */
    public synchronized LabVpc addVpc(String label) throws IOException {
        if (!label.matches("[a-z0-9-]{1,20}")) {
            throw new IllegalArgumentException("a VPC label is 1-20 of a-z, 0-9 and '-', not '" + label + "'");
        }
        int index = vpcs.size() + 1;
        if (index > 200) {
            throw new IllegalArgumentException("at most 200 VPCs in one lab");
        }
        LabVpc vpc;
        if (isolation == Isolation.LOOPBACK) {
            vpc = new LabVpc(this, label, index, null, null);
        } else {
            ensureBridge();
            String namespace = "trellis-" + prefix + "-" + label;
            HostCommand.runIgnoringFailure("ip", "netns", "delete", namespace);
            HostCommand.run("ip", "netns", "add", namespace);
            undo("network namespace " + namespace, () -> HostCommand.run("ip", "netns", "delete", namespace));
            HostCommand.run("ip", "-n", namespace, "link", "set", "lo", "up");
            HostCommand.run("ip", "-n", namespace, "addr", "add", LabVpc.NAMESPACE_GATEWAY + "/32", "dev", "lo");
            String hostSide = prefix + "v" + index;
            HostCommand.run("ip", "link", "add", hostSide, "type", "veth", "peer", "name", "uplink", "netns",
                    namespace);
            // Deleted before the namespace: deleting one end removes both at once. Left to the namespace's deletion,
            // the host end goes later, when the kernel gets round to cleaning the namespace up (after close() has
            // returned, on Linux 6.18).
            undo("veth " + hostSide, () -> HostCommand.runIgnoringFailure("ip", "link", "delete", hostSide));
            HostCommand.run("ip", "link", "set", hostSide, "master", prefix + "br");
            HostCommand.run("ip", "link", "set", hostSide, "up");
            String uplink = subnet + "." + (10 + index);
            HostCommand.run("ip", "-n", namespace, "addr", "add", uplink + "/24", "dev", "uplink");
            HostCommand.run("ip", "-n", namespace, "link", "set", "uplink", "up");
            Path resolvConf = Path.of("/etc/netns", namespace, "resolv.conf");
            if (!Files.exists(resolvConf.getParent().getParent())) {
                // /etc/netns is ours too: removed when empty (another lab or tool may have entries by then).
                undo("/etc/netns", () -> {
                    try (Stream<Path> entries = Files.list(Path.of("/etc/netns"))) {
                        if (entries.findAny().isEmpty()) {
                            Files.delete(Path.of("/etc/netns"));
                        }
                    }
                });
            }
            Files.createDirectories(resolvConf.getParent());
            undo("/etc/netns/" + namespace, () -> deleteTree(resolvConf.getParent()));
            Files.writeString(resolvConf, "nameserver " + LabVpc.NAMESPACE_GATEWAY + "\n");
            vpc = new LabVpc(this, label, index, namespace, uplink);
        }
        vpcs.add(vpc);
        return vpc;
    }

    /** Adds {@code address}/32 to the loopback interface of {@code namespace}. */
    void addAddress(String namespace, String address) throws IOException {
        HostCommand.run("ip", "-n", namespace, "addr", "add", address + "/32", "dev", "lo");
    }

    /**
     * Starts {@code trellis <args>} as a child JVM, inside {@code vpc}'s namespace when there is one.
     *
     * @param name what the process is, for messages and its log file {@code logs/<name>.log}
     * @param env variables added to the environment, which keeps none of this process's {@code AWS_*} variables
     */
    public LabProcess startTrellis(String name, LabVpc vpc, Map<String, String> env, List<String> args)
            throws IOException {
        List<String> main = new ArrayList<>();
        main.add(TrellisCommand.class.getName());
        main.addAll(args);
        return startJava(name, vpc, env, main);
    }

    /** Starts a main class of this jar ({@code mainAndArgs}: class name then its arguments) as a child JVM. */
    public LabProcess startJava(String name, LabVpc vpc, Map<String, String> env, List<String> mainAndArgs)
            throws IOException {
        List<String> command = new ArrayList<>();
        if (vpc != null && vpc.namespace() != null) {
            // ip netns exec execs the command in the namespace: the child's pid is the JVM's.
            command.addAll(List.of("ip", "netns", "exec", vpc.namespace()));
        }
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(javaOptions);
        command.add("-cp");
        command.add(classPath());
        command.addAll(mainAndArgs);
        Path log = workDir.resolve("logs").resolve(name.replaceAll("[^A-Za-z0-9._-]", "_") + ".log");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.PIPE);
        Map<String, String> environment = builder.environment();
        environment.keySet().removeIf(k -> k.startsWith("AWS_"));
        environment.put("AWS_CONFIG_FILE", workDir.resolve("no-aws-config").toString());
        environment.put("AWS_SHARED_CREDENTIALS_FILE", workDir.resolve("no-aws-credentials").toString());
        environment.putAll(env);
        environment.put(RUN_VARIABLE, runId);
        // Started under the lock that close() takes to mark the lab closed: a process is either refused or in the
        // list close() stops — never started behind a clean-up that Ctrl-C triggered meanwhile.
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("the lab is closed (stopping)");
            }
            LabProcess process = new LabProcess(name, builder.start(), log);
            processes.add(process);
            return process;
        }
    }

    /**
     * The class path of this trellis: the jar the running command came from ({@code java -jar trellis.jar}, or
     * {@code -cp trellis.jar}), else this JVM's class path (tests, an IDE).
     */
    public static String classPath() {
        try {
            var source = TrellisCommand.class.getProtectionDomain().getCodeSource();
            if (source != null) {
                Path location = Path.of(source.getLocation().toURI());
                if (Files.isRegularFile(location) && location.toString().endsWith(".jar")) {
                    return location.toString();
                }
            }
        } catch (URISyntaxException | IllegalArgumentException | SecurityException e) {
            // fall through to the class path
        }
        return System.getProperty("java.class.path");
    }

    private void ensureBridge() throws IOException {
        if (subnet != null) {
            return;
        }
        String used = HostCommand.run("ip", "-4", "-o", "addr", "show");
        String chosen = null;
        for (int x = 200; x < 250 && chosen == null; x++) {
            if (!used.contains(" 192.168." + x + ".")) {
                chosen = "192.168." + x;
            }
        }
        if (chosen == null) {
            throw new IOException("no free 192.168.200-249.0/24 subnet for the lab's bridge");
        }
        String bridge = prefix + "br";
        HostCommand.runIgnoringFailure("ip", "link", "delete", bridge);
        HostCommand.run("ip", "link", "add", bridge, "type", "bridge");
        undo("bridge " + bridge, () -> HostCommand.run("ip", "link", "delete", bridge));
        HostCommand.run("ip", "addr", "add", chosen + ".1/24", "dev", bridge);
        HostCommand.run("ip", "link", "set", bridge, "up");
        subnet = chosen;
    }

    /** An offset O such that ports 53, 80 and 443 plus O are free on every address (checked on the wildcard). */
    private static int freeOffset() throws IOException {
        for (int offset = 20000; offset < 60000; offset += 1000) {
            if (free(53 + offset) && free(80 + offset) && free(443 + offset)) {
                return offset;
            }
        }
        throw new IOException("no free port offset for the gateways' listeners");
    }

    private static boolean free(int port) {
        try (ServerSocket tcp = new ServerSocket()) {
            tcp.bind(new InetSocketAddress("0.0.0.0", port));
            try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress("0.0.0.0", port))) {
                return true;
            }
        } catch (IOException e) {
            return false;
        }
    }

    private synchronized void undo(String what, UndoAction action) {
        undo.push(new Undo(what, action));
    }

    /**
     * Stops every child process (SIGTERM to all at once, SIGKILL to those still running after 8 s), then removes
     * the namespaces, /etc/netns entries, bridge and (when it made it) work directory. Idempotent; problems are
     * reported on standard error and do not stop the rest of the clean-up.
     *
     * @return the problems met, empty when everything was removed
     */
    public List<String> closeAndReport() {
        synchronized (this) {
            if (closed) {
                return List.of();
            }
            closed = true;
        }
        List<String> problems = new ArrayList<>();
        for (LabProcess process : processes) {
            process.signalStop();
        }
        long deadline = System.nanoTime() + STOP_GRACE.toNanos();
        for (LabProcess process : processes) {
            process.awaitStop(deadline);
        }
        synchronized (this) {
            while (!undo.isEmpty()) {
                Undo step = undo.pop();
                try {
                    step.action().run();
                } catch (Exception e) {
                    problems.add("removing " + step.what() + ": " + e.getMessage());
                }
            }
        }
        if (ownsWorkDir) {
            try {
                deleteTree(workDir);
            } catch (IOException | UncheckedIOException e) {
                problems.add("removing " + workDir + ": " + e.getMessage());
            }
        }
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: this is the hook
        }
        problems.forEach(p -> System.err.println("trellis: clean-up: " + p));
        return problems;
    }

    @Override
    public void close() {
        closeAndReport();
    }

    private void closeQuietly() {
        closeAndReport();
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    /** The environment a process needs to call the control plane as {@code profile}'s user. */
    public static Map<String, String> credentialsEnvironment(String accessKeyId, String secretAccessKey) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("AWS_ACCESS_KEY_ID", accessKeyId);
        env.put("AWS_SECRET_ACCESS_KEY", secretAccessKey);
        return env;
    }
}
