package dev.trellis.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.trellis.cli.lab.ApiClients;
import dev.trellis.cli.lab.Isolation;
import dev.trellis.cli.lab.Lab;
import dev.trellis.cli.lab.LabControlPlane;
import dev.trellis.cli.lab.LabProcess;
import dev.trellis.cli.lab.LabVpc;
import dev.trellis.cli.lab.Probe;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.iam.model.Tag;
import software.amazon.awssdk.services.route53.Route53Client;
import software.amazon.awssdk.services.route53.model.ChangeAction;
import software.amazon.awssdk.services.route53.model.RRType;
import software.amazon.awssdk.services.route53.model.VPCRegion;
import software.amazon.awssdk.services.vpclattice.VpcLatticeClient;
import software.amazon.awssdk.services.vpclattice.model.AuthType;
import software.amazon.awssdk.services.vpclattice.model.ListenerProtocol;
import software.amazon.awssdk.services.vpclattice.model.Target;
import software.amazon.awssdk.services.vpclattice.model.TargetGroupType;
import software.amazon.awssdk.services.vpclattice.model.WeightedTargetGroup;

/**
 * {@code trellis demo}: the walkthrough ({@code reference/seed/}) on this machine, for real, in seven steps, through
 * the public APIs only (the AWS SDK against the control plane, as the blog used the AWS CLI); every Trellis part and
 * demo app a child process of this jar. docs/demo.md describes what it does and prints.
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = {
            "Runs the VPC Lattice walkthrough end to end on this machine: a control plane; VPC-A and VPC-B with the"
                + " same CIDR (10.0.0.0/24), each with its gateway, plus VPC-C outside the service network; the"
                + " datastore (v1 and v2, a 50/50 canary on /summary) in VPC-B behind the custom domain"
                + " datastore.sarathy.io over HTTPS; the frontend in VPC-A calling it through its SigV4 proxy sidecar"
                + " with the aws-sigv4-client role's credentials (AssumeRoleWithWebIdentity); IAM auth policies.",
            "It calls the frontend, prints which version served (/popular always v1, /summary split near 50/50),"
                + " shows that an unsigned call from VPC-A is refused with a 403 and that VPC-C gets nowhere, then"
                + " removes everything it made. A failure stops with 'step N (<name>) failed: <why>', still cleans"
                + " up, and exits with status 1.",
            "Every part runs as a child JVM of this jar, with the options -Xmx192m -XX:TieredStopAtLevel=1"
                + " -XX:+UseSerialGC unless TRELLIS_DEMO_JAVA_OPTS gives others. docs/demo.md tells the whole story."
        })
public final class DemoCommand implements Callable<Integer> {

    static final String CUSTOM_DOMAIN = "datastore.sarathy.io";
    static final String ZONE = "sarathy.io";
    static final String NETWORK = "eks-lattice-network";
    static final String CIDR = "10.0.0.0/24";
    private static final String ISSUER = "https://oidc.eks.us-west-2.amazonaws.com/id/TRELLISDEMOCLUSTER";
    private static final String SERVICE_ACCOUNT = "system:serviceaccount:apps:aws-sigv4-client";
    private static final int STEPS = 7;
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
    /** Child JVMs live for a minute and serve a few requests: start fast (C1 only), stay small. */
    static final List<String> CHILD_JAVA_OPTIONS = List.of("-Xmx192m", "-Xss512k", "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData");
    private static final Pattern LISTENING_PORT = Pattern.compile("listening on http://\\S+:(\\d+)");

    @Spec
    CommandSpec spec;

    @Option(names = "--requests", defaultValue = "20", paramLabel = "N",
            description = "How many times to call each of /popular and /summary through the frontend (1-10000)."
                    + " Default: ${DEFAULT-VALUE}.")
    int requests;

    @Option(names = "--keep",
            description = "Leave everything running after the calls: print the control plane's endpoint, the AWS"
                    + " profile and example aws/curl commands, and clean up only on Ctrl-C (or SIGTERM).")
    boolean keep;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Where the control plane's store, the gateways' state and every process's log go; must be"
                    + " empty or absent, and is kept afterwards. Default: a temp directory, removed at the end.")
    Path dataDir;

    @Option(names = "--postgres", paramLabel = "JDBC_URL",
            description = "The datastore's PostgreSQL, e.g. jdbc:postgresql://192.168.1.10:5432/shop?user=app&"
                    + "password=secret (it must be reachable from inside VPC-B: with namespaces, not on the host's"
                    + " 127.0.0.1). Default: each datastore's embedded database.")
    String postgres;

    @Option(names = "--isolation", defaultValue = "auto", paramLabel = "auto|namespaces|loopback",
            description = "How the VPCs are kept apart: namespaces (one network namespace per VPC, the same"
                    + " addresses in each: the overlap is real; needs root and iproute2), loopback (127.0.<n>.0/24"
                    + " per VPC, listener ports shifted: the overlap is simulated), or auto (namespaces when root and"
                    + " 'ip netns' works, else loopback). Default: ${DEFAULT-VALUE}.")
    String isolation;

    /** A step that failed: which, and why. */
    static final class StepFailure extends Exception {
        StepFailure(int step, String name, Throwable cause) {
            super("step " + step + " (" + name + ") failed: " + reason(cause), cause);
        }

        private static String reason(Throwable cause) {
            String message = cause.getMessage();
            return message != null && !message.isBlank() ? message : cause.toString();
        }
    }

    @FunctionalInterface
    interface StepBody {
        void run() throws Exception;
    }

    @Override
    public Integer call() throws Exception {
        CommandLine cli = spec.commandLine();
        if (requests < 1 || requests > 10_000) {
            throw new CommandLine.ParameterException(cli, "--requests must be 1-10000, not " + requests);
        }
        Isolation mode;
        Map<String, String> database;
        try {
            mode = Isolation.choose(isolation);
            database = postgres == null ? Map.of() : postgresEnvironment(postgres);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cli, e.getMessage());
        }
        if (mode == Isolation.NAMESPACES && database.getOrDefault("POSTGRES_HOST", "").matches(
                "localhost|127\\.[0-9.]+|\\[?::1\\]?")) {
            throw new CommandLine.ParameterException(cli, "--postgres: " + database.get("POSTGRES_HOST") + " inside"
                    + " VPC-B's namespace is VPC-B's own loopback, not this machine's; give an address VPC-B can"
                    + " reach, or use --isolation loopback");
        }
        if (dataDir != null && Files.isDirectory(dataDir)) {
            try (var entries = Files.list(dataDir)) {
                if (entries.findAny().isPresent()) {
                    throw new CommandLine.ParameterException(cli, "--data-dir " + dataDir + " is not empty: the"
                            + " demo creates its resources afresh");
                }
            }
        }
        PrintWriter out = cli.getOut();
        PrintWriter err = cli.getErr();
        long started = System.nanoTime();
        String childOptions = System.getenv("TRELLIS_DEMO_JAVA_OPTS");
        Lab lab;
        try {
            lab = Lab.create("demo", mode, dataDir, childOptions == null ? CHILD_JAVA_OPTIONS
                    : List.of(childOptions.trim().split("\\s+")));
        } catch (IOException e) {
            err.println("trellis demo: cannot make the work directory: " + e);
            return 1;
        }
        Run run = new Run(lab, out, database);
        out.println("Trellis demo: the VPC Lattice walkthrough on this machine, " + (mode == Isolation.NAMESPACES
                ? "each VPC a network namespace with the same addresses (the overlap is real)"
                : "each VPC a block of loopback addresses (" + loopbackReason() + "; the overlap of the VPCs' CIDRs"
                        + " is simulated)") + ".");
        out.println("Work directory " + lab.workDir() + (lab.ownsWorkDir() ? " (removed at the end)" : "")
                + "; each process logs to logs/<name>.log there.");
        out.flush();
        try {
            run.steps();
        } catch (StepFailure failure) {
            out.println("failed");
            out.flush();
            err.println(failure.getMessage());
            err.flush();
            closeLab(lab, out);
            return 1;
        } catch (InterruptedException e) {
            closeLab(lab, out);
            throw e;
        }
        if (keep) {
            run.printKeep();
            out.flush();
            // The shutdown hook the lab registered cleans up on Ctrl-C or SIGTERM.
            new CountDownLatch(1).await();
        }
        out.printf("[7/7] clean-up: stopping %d processes, removing what the demo made ... ", lab.processes().size());
        out.flush();
        long cleanupStart = System.nanoTime();
        List<String> problems = lab.closeAndReport();
        if (!problems.isEmpty()) {
            out.println("failed");
            err.println("step 7 (clean-up) failed: " + String.join("; ", problems));
            return 1;
        }
        out.println("done" + seconds(cleanupStart));
        out.printf(Locale.ROOT, "Walkthrough done in %.1f s.%n", (System.nanoTime() - started) / 1e9);
        return 0;
    }

    private static String loopbackReason() {
        String why = Isolation.whyNamespacesUnavailable();
        return why == null ? "--isolation loopback" : why;
    }

    private static void closeLab(Lab lab, PrintWriter out) {
        List<String> problems = lab.closeAndReport();
        out.println(problems.isEmpty() ? "Cleaned up: every process, namespace and file the demo made is gone."
                : "Clean-up problems: " + String.join("; ", problems));
        out.flush();
    }

    static String seconds(long startNanos) {
        return String.format(Locale.ROOT, " (%.1f s)", (System.nanoTime() - startNanos) / 1e9);
    }

    /**
     * {@code jdbc:postgresql://host[:port]/database?user=U&password=P} as the walkthrough's {@code POSTGRES_*}
     * variables, with the table prefix {@code trellis_demo_}.
     */
    static Map<String, String> postgresEnvironment(String jdbcUrl) {
        Matcher m = Pattern.compile("jdbc:postgresql://([^/:?]+)(?::(\\d+))?/([^?]+)(?:\\?(.*))?").matcher(jdbcUrl);
        if (!m.matches()) {
            throw new IllegalArgumentException("--postgres must look like jdbc:postgresql://HOST[:PORT]/DATABASE"
                    + "?user=USER&password=PASSWORD");
        }
        Map<String, String> env = new LinkedHashMap<>();
        env.put("POSTGRES_HOST", m.group(1));
        env.put("POSTGRES_PORT", m.group(2) != null ? m.group(2) : "5432");
        env.put("POSTGRES_DATABASE", m.group(3));
        env.put("POSTGRES_TABLEPREFIX", "trellis_demo_");
        if (m.group(4) != null) {
            for (String pair : m.group(4).split("&")) {
                int eq = pair.indexOf('=');
                if (eq < 0) {
                    continue;
                }
                String key = pair.substring(0, eq);
                String value = URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                if (key.equals("user")) {
                    env.put("POSTGRES_USER", value);
                } else if (key.equals("password")) {
                    env.put("POSTGRES_PASSWORD", value);
                }
            }
        }
        if (!env.containsKey("POSTGRES_USER")) {
            throw new IllegalArgumentException("--postgres: the URL names no user (…?user=USER&password=PASSWORD)");
        }
        return env;
    }

    /** One run of the walkthrough: the state the steps share. */
    private final class Run {
        private final Lab lab;
        private final PrintWriter out;
        private final Map<String, String> database;
        private final ObjectMapper json = new ObjectMapper();
        private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
                .followRedirects(HttpClient.Redirect.NEVER).build();

        private LabVpc vpcA;
        private LabVpc vpcB;
        private LabVpc vpcC;
        private LabControlPlane controlPlane;
        /** The admin's key once the control plane has written it; a placeholder for the SDK's warm-up before. */
        private final AtomicReference<AwsCredentials> admin =
                new AtomicReference<>(AwsBasicCredentials.create("AKIAWARMINGUPTHESDK0", "placeholder"));
        private ApiClients api;
        private String vpcIdA;
        private String vpcIdB;
        private String vpcIdC;
        private LabProcess datastoreV1;
        private LabProcess datastoreV2;
        private LabProcess frontend;
        private LabProcess proxy;
        private String networkId;
        private String serviceId;
        private String serviceArn;
        private String generatedName;
        private String roleArn;
        private URI frontendUrl;
        private int proxyPort;

        Run(Lab lab, PrintWriter out, Map<String, String> database) {
            this.lab = lab;
            this.out = out;
            this.database = database;
        }

        void steps() throws StepFailure, InterruptedException {
            try {
                allSteps();
            } finally {
                if (api != null && !keep) {
                    api.close();
                }
            }
        }

        private void allSteps() throws StepFailure, InterruptedException {
            step(1, "control plane and VPCs", "control plane; VPC-A and VPC-B (both " + CIDR + ") and VPC-C, each"
                    + " with its gateway", this::controlPlaneAndVpcs);
            out.println("      control plane " + controlPlane.endpoint() + " (account " + controlPlane.account()
                    + "); VPC-A " + vpcIdA + ", VPC-B " + vpcIdB + ", VPC-C " + vpcIdC);
            step(2, "service network", "service network " + NETWORK + ", VPC-A and VPC-B associated",
                    this::serviceNetwork);
            step(3, "datastore", "datastore v1 and v2 in VPC-B (" + (database.isEmpty() ? "embedded database"
                    : "PostgreSQL at " + database.get("POSTGRES_HOST")) + "), service datastore on https://"
                    + CUSTOM_DOMAIN + ", /popular -> v1, /summary -> v1 50 / v2 50, zone " + ZONE,
                    this::datastore);
            step(4, "frontend", "frontend in VPC-A with its SigV4 proxy sidecar (role aws-sigv4-client through"
                    + " AssumeRoleWithWebIdentity)", this::frontend);
            step(5, "IAM auth", "IAM auth on " + NETWORK + " and datastore with the walkthrough's policies",
                    this::iamAuth);
            step(6, "calls", requests + " calls each of /popular and /summary through the frontend",
                    this::calls);
        }

        private void step(int n, String name, String narration, StepBody body)
                throws StepFailure, InterruptedException {
            out.printf("[%d/%d] %s ... ", n, STEPS, narration);
            out.flush();
            long start = System.nanoTime();
            stepStart = start;
            try {
                body.run();
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                throw new StepFailure(n, name, e);
            }
            if (!stepPrinted) {
                out.println("done" + seconds(start));
            }
            stepPrinted = false;
            out.flush();
        }

        /** Set by a step that printed its own "done" line (with results under it). */
        private boolean stepPrinted;
        private long stepStart;

        // Step 1. Processes that need nothing from the control plane (the apps) start at once, in parallel with it;
        // the gateways as soon as their VPCs exist.
        private void controlPlaneAndVpcs() throws Exception {
            int controlPlanePort = freePort(lab.hostAddress());
            LabProcess controlPlaneProcess = LabControlPlane.launch(lab, controlPlanePort);
            URI endpoint = URI.create("http://" + lab.hostAddress() + ":" + controlPlanePort);
            CompletableFuture<ApiClients> clients = CompletableFuture.supplyAsync(() -> {
                ApiClients built = new ApiClients(endpoint, admin::get);
                built.warmUp();
                return built;
            });
            vpcA = lab.addVpc("vpc-a");
            vpcB = lab.addVpc("vpc-b");
            vpcC = lab.addVpc("vpc-c");
            datastoreV1 = startDatastore("v1", 5);
            datastoreV2 = startDatastore("v2", 6);
            proxyPort = vpcA.namespace() != null ? 8005 : freePort(vpcA.host(5));
            String frontendHost = vpcA.namespace() != null ? "0.0.0.0" : vpcA.host(5);
            frontend = lab.startTrellis("frontend", vpcA, Map.of(), List.of("example", "frontend",
                    "--host", frontendHost, "--port", vpcA.namespace() != null ? "3000" : "0",
                    "--datastore-url", (vpcA.namespace() != null ? "localhost" : vpcA.host(5)) + ":" + proxyPort));
            controlPlane = LabControlPlane.await(lab, controlPlaneProcess, START_TIMEOUT);
            admin.set(controlPlane.adminCredentials());
            api = clients.get();
            Ec2Client ec2 = api.ec2();
            vpcIdA = ec2.createVpc(r -> r.cidrBlock(CIDR)).vpc().vpcId();
            vpcIdB = ec2.createVpc(r -> r.cidrBlock(CIDR)).vpc().vpcId();
            vpcIdC = ec2.createVpc(r -> r.cidrBlock(CIDR)).vpc().vpcId();
            List<LabProcess> gateways = List.of(controlPlane.startGateway(lab, vpcA, vpcIdA),
                    controlPlane.startGateway(lab, vpcB, vpcIdB), controlPlane.startGateway(lab, vpcC, vpcIdC));
            for (LabProcess gateway : gateways) {
                gateway.awaitReady(START_TIMEOUT);
            }
        }

        private LabProcess startDatastore(String version, int host) throws IOException {
            return lab.startTrellis("datastore-" + version, vpcB, database, List.of("example", "datastore",
                    "--version", version, "--host", vpcB.host(host),
                    "--port", vpcB.namespace() != null ? "3000" : "0", "--host-name", "datastore-" + version));
        }


        private void serviceNetwork() {
            VpcLatticeClient lattice = api.lattice();
            networkId = lattice.createServiceNetwork(r -> r.name(NETWORK)).id();
            for (String vpc : List.of(vpcIdA, vpcIdB)) {
                lattice.createServiceNetworkVpcAssociation(r -> r.serviceNetworkIdentifier(networkId)
                        .vpcIdentifier(vpc));
            }
        }

        private void datastore() throws Exception {
            int portV1 = appPort(datastoreV1);
            int portV2 = appPort(datastoreV2);
            String certificate = api.acm().requestCertificate(r -> r.domainName(CUSTOM_DOMAIN)).certificateArn();
            {
                VpcLatticeClient lattice = api.lattice();
                String v1 = targetGroup(lattice, "datastore-v1", vpcB.host(5), portV1);
                String v2 = targetGroup(lattice, "datastore-v2", vpcB.host(6), portV2);
                var service = lattice.createService(r -> r.name("datastore").customDomainName(CUSTOM_DOMAIN)
                        .certificateArn(certificate));
                serviceId = service.id();
                serviceArn = service.arn();
                generatedName = service.dnsEntry().domainName();
                String listener = lattice.createListener(r -> r.serviceIdentifier(serviceId).name("https")
                        .protocol(ListenerProtocol.HTTPS).port(443)
                        .defaultAction(a -> a.fixedResponse(f -> f.statusCode(404)))).id();
                // The walkthrough's HTTPRoute: /popular to v1 only, /summary split 50/50 between v1 and v2.
                lattice.createRule(r -> r.serviceIdentifier(serviceId).listenerIdentifier(listener).name("popular")
                        .priority(1).match(m -> m.httpMatch(h -> h.pathMatch(p -> p.match(x -> x.prefix("/popular")))))
                        .action(a -> a.forward(f -> f.targetGroups(weighted(v1, 100)))));
                lattice.createRule(r -> r.serviceIdentifier(serviceId).listenerIdentifier(listener).name("summary")
                        .priority(2).match(m -> m.httpMatch(h -> h.pathMatch(p -> p.match(x -> x.prefix("/summary")))))
                        .action(a -> a.forward(f -> f.targetGroups(weighted(v1, 50), weighted(v2, 50)))));
                lattice.createServiceNetworkServiceAssociation(r -> r.serviceNetworkIdentifier(networkId)
                        .serviceIdentifier(serviceId));
            }
            {
                Route53Client route53 = api.route53();
                String zone = route53.createHostedZone(r -> r.name(ZONE).callerReference("trellis-demo")
                        .vpc(v -> v.vpcId(vpcIdA).vpcRegion(VPCRegion.US_WEST_2))
                        .hostedZoneConfig(c -> c.privateZone(true))).hostedZone().id();
                route53.associateVPCWithHostedZone(r -> r.hostedZoneId(zone)
                        .vpc(v -> v.vpcId(vpcIdB).vpcRegion(VPCRegion.US_WEST_2)));
                route53.changeResourceRecordSets(r -> r.hostedZoneId(zone).changeBatch(b -> b.changes(c -> c
                        .action(ChangeAction.CREATE).resourceRecordSet(rr -> rr.name(CUSTOM_DOMAIN)
                                .type(RRType.CNAME).ttl(300L).resourceRecords(v -> v.value(generatedName))))));
            }
        }

        private String targetGroup(VpcLatticeClient lattice, String name, String address, int port) {
            String id = lattice.createTargetGroup(r -> r.name(name).type(TargetGroupType.IP)
                    .config(c -> c.port(port).protocol("HTTP").vpcIdentifier(vpcIdB)
                            .healthCheck(h -> h.enabled(true).path("/live")))).id();
            lattice.registerTargets(r -> r.targetGroupIdentifier(id)
                    .targets(Target.builder().id(address).port(port).build()));
            return id;
        }

        private WeightedTargetGroup weighted(String id, int weight) {
            return WeightedTargetGroup.builder().targetGroupIdentifier(id).weight(weight).build();
        }

        /** The port an app said it listens on (it waits until it does). */
        private int appPort(LabProcess app) throws IOException, InterruptedException {
            app.awaitReady(START_TIMEOUT);
            return Integer.parseInt(app.awaitLine(LISTENING_PORT, Duration.ofSeconds(1)).group(1));
        }

        // Step 4: IRSA as EKS does it — the cluster's OIDC issuer (its signing key made here), a role its service
        // account may assume, the client policy — and the sidecar holding only a token file and the role's ARN.
        private void frontend() throws Exception {
            // An EC P-256 key (ES256), which STS accepts as it does EKS's RS256: generating it costs a cold JVM
            // milliseconds, an RSA-2048 key's prime search about a second.
            ECKey clusterKey = new ECKeyGenerator(Curve.P_256).keyID("demo-cluster").generate();
            Path irsa = Files.createDirectories(lab.workDir().resolve("irsa"));
            Path jwks = irsa.resolve("jwks.json");
            Files.writeString(jwks, new JWKSet(clusterKey.toPublicJWK()).toString());
            String provider = ISSUER.substring("https://".length());
            {
                IamClient iam = api.iam();
                String providerArn = iam.createOpenIDConnectProvider(r -> r.url(ISSUER)
                        .clientIDList("sts.amazonaws.com").thumbprintList("9e99a48a9960b14926bb7f3b02e22da2b0ab7280")
                        .tags(Tag.builder().key("trellis:jwks-uri").value(jwks.toUri().toString()).build()))
                        .openIDConnectProviderArn();
                String trust = """
                        {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"%s"},\
                        "Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"%s:sub":"%s",\
                        "%s:aud":"sts.amazonaws.com"}}}]}""".formatted(providerArn, provider, SERVICE_ACCOUNT, provider);
                roleArn = iam.createRole(r -> r.roleName("aws-sigv4-client").assumeRolePolicyDocument(trust))
                        .role().arn();
                // lattice-client-policy.json
                iam.putRolePolicy(r -> r.roleName("aws-sigv4-client").policyName("VPCLatticeClientPolicy")
                        .policyDocument(Walkthrough.CLIENT_IDENTITY_POLICY));
            }
            Path token = irsa.resolve("token");
            Files.writeString(token, token(clusterKey));
            boolean namespaces = vpcA.namespace() != null;
            List<String> args = new ArrayList<>(List.of("sigv4-proxy",
                    "--port", (namespaces ? "127.0.0.1" : vpcA.host(5)) + ":" + proxyPort,
                    "--name", "vpc-lattice-svcs", "--region", LabControlPlane.REGION, "--unsigned-payload",
                    "--upstream-url-scheme", "https", "--ca-certificate", controlPlane.caCertificate().toString(),
                    "--sts-endpoint", controlPlane.endpoint().toString(), "-v"));
            if (namespaces) {
                args.addAll(List.of("--host", CUSTOM_DOMAIN));
            } else {
                // No resolver points at the gateway on loopback: connect to it, sign and send the custom domain.
                args.addAll(List.of("--host", vpcA.gatewayAddress() + ":" + (443 + vpcA.portOffset()),
                        "--sign-host", CUSTOM_DOMAIN));
            }
            proxy = lab.startTrellis("sigv4-proxy", vpcA, Map.of("AWS_WEB_IDENTITY_TOKEN_FILE", token.toString(),
                    "AWS_ROLE_ARN", roleArn, "AWS_ROLE_SESSION_NAME", "frontend"), args);
            int port = appPort(frontend);
            frontendUrl = URI.create("http://" + (namespaces ? vpcA.uplinkAddress() : vpcA.host(5)) + ":" + port);
            proxy.awaitReady(START_TIMEOUT);
        }

        private String token(ECKey key) throws Exception {
            Instant now = Instant.now();
            JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(ISSUER).subject(SERVICE_ACCOUNT)
                    .audience("sts.amazonaws.com").issueTime(Date.from(now)).notBeforeTime(Date.from(now))
                    .expirationTime(Date.from(now.plus(Duration.ofHours(24)))).build();
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID())
                    .type(JOSEObjectType.JWT).build(), claims);
            jwt.sign(new ECDSASigner(key));
            return jwt.serialize();
        }

        // Step 5: lattice-service-network-policy.json and lattice-service-policy.json, with this run's ARNs and VPC.
        private void iamAuth() {
            String servicePolicy = """
                    {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"%s"},\
                    "Action":"vpc-lattice-svcs:Invoke","Resource":"%s/*",\
                    "Condition":{"StringEquals":{"vpc-lattice-svcs:SourceVpc":"%s"}}}]}"""
                    .formatted(roleArn, serviceArn, vpcIdA);
            {
                VpcLatticeClient lattice = api.lattice();
                lattice.updateServiceNetwork(r -> r.serviceNetworkIdentifier(networkId).authType(AuthType.AWS_IAM));
                lattice.putAuthPolicy(r -> r.resourceIdentifier(networkId).policy(Walkthrough.NETWORK_POLICY));
                lattice.updateService(r -> r.serviceIdentifier(serviceId).authType(AuthType.AWS_IAM));
                lattice.putAuthPolicy(r -> r.resourceIdentifier(serviceId).policy(servicePolicy));
            }
        }

        // Step 6.
        private void calls() throws Exception {
            awaitFrontendReady();
            // The probes need no more set-up: start them now (separate JVMs inside the namespaces), read them later.
            ProbeRun unsigned = probe(vpcA, "probe-vpc-a", CUSTOM_DOMAIN);
            ProbeRun outsider = probe(vpcC, "probe-vpc-c", generatedName);
            Map<String, Map<String, Integer>> counts = new LinkedHashMap<>();
            // A few calls at a time, as several users of the frontend would make them: the chain (frontend, sidecar,
            // two gateways, datastore) waits on the network more than it computes.
            ExecutorService callers = Executors.newFixedThreadPool(4);
            try {
                for (String path : List.of("/popular", "/summary")) {
                    List<Future<String>> calls = new ArrayList<>();
                    for (int i = 0; i < requests; i++) {
                        calls.add(callers.submit(() -> callFrontend(path)));
                    }
                    Map<String, Integer> byVersion = new LinkedHashMap<>(Map.of("v1", 0, "v2", 0));
                    for (Future<String> call : calls) {
                        try {
                            byVersion.merge(call.get(), 1, Integer::sum);
                        } catch (ExecutionException e) {
                            throw e.getCause() instanceof Exception cause ? cause : e;
                        }
                    }
                    counts.put(path, byVersion);
                }
            } finally {
                callers.shutdownNow();
            }
            Probe.Result refused = unsigned.result();
            Probe.Result nowhere = outsider.result();
            out.println("done" + seconds(stepStart));
            stepPrinted = true;
            out.printf("      %-10s %5s %5s%n", "path", "v1", "v2");
            for (var row : counts.entrySet()) {
                out.printf("      %-10s %5d %5d%n", row.getKey(), row.getValue().get("v1"), row.getValue().get("v2"));
            }
            out.println("      /popular always v1; /summary split " + counts.get("/summary").get("v1") + "/"
                    + counts.get("/summary").get("v2") + " by the 50/50 canary.");
            out.println("      unsigned GET https://" + CUSTOM_DOMAIN + "/summary from VPC-A: "
                    + (refused.status() != 0 ? "HTTP " + refused.status() + " " + refused.body().strip()
                    : refused.body()));
            out.println("      GET https://" + generatedName + "/summary from VPC-C (not in the network): DNS "
                    + nowhere.dnsAnswer() + (nowhere.address() != null ? " " + nowhere.address() : "")
                    + "; HTTPS to VPC-C's gateway " + vpcC.gatewayAddress() + ":" + (443 + vpcC.portOffset())
                    + ": " + (nowhere.status() != 0 ? "HTTP " + nowhere.status() + " " + nowhere.body()
                    : nowhere.body()));
            if (refused.status() != 403) {
                throw new IOException("the unsigned call from VPC-A was not refused with 403: " + refused
                        .describe(vpcA.gatewayAddress()));
            }
            if (nowhere.status() != 0) {
                throw new IOException("VPC-C reached the service: " + nowhere.describe(vpcC.gatewayAddress()));
            }
        }

        /** The frontend's /ready asks /popular of the datastore through the sidecar, the gateways and the fabric. */
        private void awaitFrontendReady() throws Exception {
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            String last = "no answer";
            while (System.nanoTime() < deadline) {
                try {
                    HttpResponse<String> ready = get("/ready");
                    if (ready.statusCode() == 200) {
                        return;
                    }
                    last = ready.statusCode() + " " + ready.body().strip();
                } catch (IOException e) {
                    last = e.toString();
                }
                Thread.sleep(200);
            }
            throw new IOException("the frontend was not ready within 60 s: " + last + "; sidecar: "
                    + proxy.tail(3));
        }

        private HttpResponse<String> get(String path) throws IOException, InterruptedException {
            return http.send(HttpRequest.newBuilder(frontendUrl.resolve(path)).timeout(Duration.ofSeconds(10))
                    .build(), HttpResponse.BodyHandlers.ofString());
        }

        /** Calls the frontend and returns which datastore version served. */
        private String callFrontend(String path) throws IOException, InterruptedException {
            HttpResponse<String> response = get(path);
            if (response.statusCode() != 200) {
                throw new IOException("GET " + path + " through the frontend answered " + response.statusCode()
                        + ": " + response.body().strip());
            }
            JsonNode body = json.readTree(response.body());
            String version = body.path("servedBy").asText("");
            if (!version.equals("v1") && !version.equals("v2")) {
                throw new IOException("GET " + path + ": the answer names no version: " + response.body());
            }
            return version;
        }

        /** A probe running in {@code vpc}: a child JVM in a namespace, or a call in this JVM on loopback. */
        private ProbeRun probe(LabVpc vpc, String name, String host) throws Exception {
            int httpsPort = 443 + vpc.portOffset();
            Path ca = controlPlane.caCertificate();
            if (vpc.namespace() == null) {
                Probe.Result result = Probe.callUntilRefused(vpc.gatewayAddress(), vpc.dnsPort(), host,
                        vpc.gatewayAddress(), httpsPort, ca, "/summary", Duration.ofSeconds(10));
                return () -> result;
            }
            LabProcess process = lab.startJava(name, vpc, Map.of(), List.of(Probe.class.getName(),
                    vpc.gatewayAddress(), String.valueOf(vpc.dnsPort()), host, vpc.gatewayAddress(),
                    String.valueOf(httpsPort), ca.toString(), "/summary"));
            return () -> {
                process.awaitLine(Pattern.compile("(?m)^body="), START_TIMEOUT);
                return Probe.Result.parse(process.output());
            };
        }

        void printKeep() {
            out.println();
            out.println("Left running (--keep). The control plane: " + controlPlane.endpoint() + "; its admin"
                    + " profile '" + dev.trellis.controlplane.ControlPlane.PROFILE + "' is in "
                    + controlPlane.awsConfigFile() + ". Try:");
            out.println("  export AWS_CONFIG_FILE=" + controlPlane.awsConfigFile());
            out.println("  aws --profile trellis vpc-lattice list-services");
            out.println("  aws --profile trellis vpc-lattice get-auth-policy --resource-identifier " + serviceId);
            out.println("  curl " + frontendUrl + "/summary        # the frontend in VPC-A, signed by its sidecar");
            if (vpcA.namespace() != null) {
                out.println("  " + vpcA.execPrefix() + " curl --cacert " + controlPlane.caCertificate() + " https://"
                        + CUSTOM_DOMAIN + "/summary   # unsigned from VPC-A: 403");
                out.println("  " + vpcC.execPrefix() + " dig " + generatedName + "   # VPC-C: NXDOMAIN");
            } else {
                out.println("  curl --cacert " + controlPlane.caCertificate() + " --resolve " + CUSTOM_DOMAIN + ":"
                        + (443 + portOffsetQuietly()) + ":" + vpcA.gatewayAddress() + " https://" + CUSTOM_DOMAIN
                        + ":" + (443 + portOffsetQuietly()) + "/summary   # unsigned from VPC-A: 403");
            }
            out.println("Logs: " + lab.workDir().resolve("logs") + ". Stop with Ctrl-C: everything is removed.");
        }

        private int portOffsetQuietly() {
            try {
                return vpcA.portOffset();
            } catch (IOException e) {
                return 0;
            }
        }
    }

    @FunctionalInterface
    private interface ProbeRun {
        Probe.Result result() throws Exception;
    }

    private static int freePort(String address) throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(address, 0));
            return socket.getLocalPort();
        }
    }
}
