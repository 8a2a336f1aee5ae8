package dev.trellis.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.trellis.controller.ControllerConfig;
import dev.trellis.controller.ControllerPermissions;
import dev.trellis.controller.TrellisController;
import dev.trellis.controller.injector.InjectorConfig;
import dev.trellis.controller.injector.InjectorServer;
import dev.trellis.controller.injector.SidecarInjector;
import dev.trellis.controlplane.pki.MasterKey;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.vpclattice.VpcLatticeClient;

/**
 * Parses every YAML file under {@code deploy/kubernetes/} with fabric8's serialization and checks that the pieces fit:
 * every Trellis container's arguments parse with the real {@code trellis} command tree and its environment variables
 * are ones the command reads; the webhook reaches the injector's port and path; the controller's ClusterRole is exactly
 * {@link ControllerPermissions} and covers every kind a started controller watches; selectors select; references
 * resolve; every file under {@code crds/} is a CustomResourceDefinition the controller may read.
 */
class KubernetesManifestsTest {

    static final String NAMESPACE = "trellis-system";
    /** Values for $(VAR) references whose value comes from the cluster (downward API, Secrets). */
    static final Map<String, String> FIELD_SAMPLES = Map.of("spec.nodeName", "node-1", "status.hostIP", "10.0.1.17",
            "metadata.namespace", NAMESPACE);

    static Path root;
    static Map<Path, List<HasMetadata>> files = new LinkedHashMap<>();
    static List<HasMetadata> objects = new ArrayList<>();

    @BeforeAll
    static void parseEveryFile() throws IOException {
        root = deployDirectory();
        List<Path> yamls;
        try (Stream<Path> walk = Files.walk(root)) {
            yamls = walk.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).sorted()
                    .toList();
        }
        assertThat(yamls).isNotEmpty();
        for (Path yaml : yamls) {
            Object parsed;
            try (InputStream in = Files.newInputStream(yaml)) {
                parsed = Serialization.unmarshal(in);
            } catch (RuntimeException e) {
                throw new AssertionError(root.relativize(yaml) + " does not parse: " + e.getMessage(), e);
            }
            List<HasMetadata> inFile = new ArrayList<>();
            if (parsed instanceof List<?> list) {
                list.forEach(o -> inFile.add((HasMetadata) o));
            } else {
                inFile.add((HasMetadata) parsed);
            }
            for (HasMetadata object : inFile) {
                assertThat(object.getApiVersion()).as(yaml + ": apiVersion").isNotBlank();
                assertThat(object.getKind()).as(yaml + ": kind").isNotBlank();
                if (!object.getKind().equals("Kustomization")) {
                    assertThat(object.getMetadata().getName()).as(yaml + ": a " + object.getKind() + " without name")
                            .isNotBlank();
                }
            }
            files.put(yaml, inFile);
            objects.addAll(inFile);
        }
    }

    @Test
    void everyFileIsListedInTheKustomizationAndEveryNamespacedObjectIsInTrellisSystem() {
        GenericKubernetesResource kustomization = one(GenericKubernetesResource.class, "Kustomization", null);
        @SuppressWarnings("unchecked")
        List<String> resources = (List<String>) kustomization.getAdditionalProperties().get("resources");
        Set<String> expected = files.keySet().stream().map(p -> root.relativize(p).toString().replace('\\', '/'))
                // crds/ is applied first, on its own (kubectl apply -f deploy/kubernetes/crds/); cert-manager is optional
                .filter(p -> !p.equals("kustomization.yaml") && !p.equals("injector-cert-manager.yaml")
                        && !p.startsWith("crds/"))
                .collect(Collectors.toCollection(TreeSet::new));
        assertThat(new TreeSet<>(resources)).as("kustomization.yaml resources").isEqualTo(expected);
        for (HasMetadata object : objects) {
            if (Set.of("Deployment", "DaemonSet", "Service", "ServiceAccount", "Secret", "Certificate", "Issuer")
                    .contains(object.getKind())) {
                assertThat(object.getMetadata().getNamespace()).as(object.getKind() + " "
                        + object.getMetadata().getName()).isEqualTo(NAMESPACE);
            }
        }
    }

    @Test
    void everyTrellisContainerParsesWithTheTrellisCommandAndReadsOnlyVariablesItKnows() {
        int checked = 0;
        for (Workload workload : workloads()) {
            PodSpec pod = workload.template().getSpec();
            assertThat(workload.selector()).as(workload + " selector").isNotEmpty();
            assertThat(workload.template().getMetadata().getLabels()).as(workload + " template labels")
                    .containsAllEntriesOf(workload.selector());
            if (pod.getServiceAccountName() != null) {
                assertThat(find(ServiceAccount.class, "ServiceAccount", pod.getServiceAccountName()))
                        .as(workload + " service account").isNotNull();
            }
            Set<String> volumes = pod.getVolumes().stream().map(Volume::getName).collect(Collectors.toSet());
            List<Container> all = new ArrayList<>(pod.getContainers());
            all.addAll(pod.getInitContainers());
            for (Container container : all) {
                for (VolumeMount mount : container.getVolumeMounts()) {
                    assertThat(volumes).as(workload + " " + container.getName() + " mounts").contains(mount.getName());
                }
                assertProbesNamePorts(workload, container);
                if (!container.getImage().startsWith("trellis:")) {
                    continue;
                }
                assertThat(container.getCommand()).as(workload + ": the image's entrypoint is trellis").isEmpty();
                CommandLine.ParseResult parsed = parse(workload, container);
                CommandLine.Model.CommandSpec command = parsed.subcommand().commandSpec();
                Set<String> known = environmentVariablesOf(command);
                for (EnvVar env : container.getEnv()) {
                    boolean referenced = container.getArgs().stream().anyMatch(a -> a.contains("$(" + env.getName()
                            + ")"));
                    assertThat(referenced || known.contains(env.getName()) || env.getName().startsWith("AWS_")
                            || env.getName().equals("JAVA_TOOL_OPTIONS")
                            || (command.name().equals("server") && env.getName().equals(MasterKey.ENVIRONMENT_VARIABLE)))
                            .as(workload + ": env " + env.getName() + " is read by trellis " + command.name()
                                    + " (known: " + known + ")").isTrue();
                }
                checked++;
            }
        }
        assertThat(checked).as("trellis containers checked").isEqualTo(4);
    }

    @Test
    void theControllersEnvironmentIsAValidConfigurationAndItsProbesListenWhereTheyAreProbed() {
        Container controller = container("trellis-controller", "controller");
        Map<String, String> env = environment(controller);
        ControllerConfig config = ControllerConfig.fromEnvironment(env);
        assertThat(config.latticeEndpoint()).isEqualTo(URI.create(controlPlaneUrl()));
        int probePort = Integer.parseInt(config.healthProbeBindAddress().substring(
                config.healthProbeBindAddress().lastIndexOf(':') + 1));
        assertThat(port(controller, controller.getLivenessProbe().getHttpGet().getPort())).isEqualTo(probePort);
        assertThat(controller.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
        String metrics = env.get("METRICS_BIND_ADDRESS");
        assertThat(controller.getPorts()).as("the metrics port is declared")
                .anySatisfy(p -> assertThat(":" + p.getContainerPort()).isEqualTo(metrics));
        assertThat(config.leaderElection()).as("two replicas need leader election").isTrue();
        assertThat(controller.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
        // Every flag of trellis controller names its variable; each variable of the table is set here.
        assertThat(env.keySet()).containsAll(environmentVariablesOf(
                TrellisCommand.commandLine().getSubcommands().get("controller").getCommandSpec()));
    }

    @Test
    void theWebhookReachesTheInjectorsPortAndPathWithItsCertificate() throws Exception {
        MutatingWebhookConfiguration configuration = one(MutatingWebhookConfiguration.class,
                "MutatingWebhookConfiguration", null);
        assertThat(configuration.getWebhooks()).hasSize(1);
        MutatingWebhook webhook = configuration.getWebhooks().get(0);
        assertThat(webhook.getAdmissionReviewVersions()).containsExactly("v1");
        assertThat(webhook.getSideEffects()).isEqualTo("None");
        assertThat(webhook.getFailurePolicy()).isEqualTo("Ignore");
        assertThat(webhook.getRules()).singleElement().satisfies(rule -> {
            assertThat(rule.getOperations()).containsExactly("CREATE");
            assertThat(rule.getApiGroups()).containsExactly("");
            assertThat(rule.getResources()).containsExactly("pods");
        });
        assertThat(webhook.getNamespaceSelector().getMatchExpressions()).anySatisfy(e -> {
            assertThat(e.getKey()).isEqualTo("kubernetes.io/metadata.name");
            assertThat(e.getOperator()).isEqualTo("NotIn");
            assertThat(e.getValues()).contains(NAMESPACE, "kube-system");
        });
        assertThat(webhook.getObjectSelector()).isNotNull();

        var target = webhook.getClientConfig().getService();
        assertThat(target.getPath()).isEqualTo(InjectorServer.MUTATE_PATH);
        assertThat(target.getNamespace()).isEqualTo(NAMESPACE);
        Service service = one(Service.class, "Service", target.getName());
        ServicePort servicePort = service.getSpec().getPorts().stream()
                .filter(p -> p.getPort().equals(target.getPort())).findFirst()
                .orElseThrow(() -> new AssertionError("Service " + target.getName() + " has no port " + target.getPort()));
        Workload injector = workload("trellis-injector");
        assertThat(injector.template().getMetadata().getLabels()).containsAllEntriesOf(service.getSpec().getSelector());
        Container container = container("trellis-injector", "injector");
        InjectorCommand command = (InjectorCommand) parse(injector, container).subcommand().commandSpec().userObject();
        InjectorConfig config = command.config();
        assertThat(port(container, servicePort.getTargetPort())).as("the Service's targetPort is the injector's --port")
                .isEqualTo(config.port());

        // The certificate files are in the mounted Secret trellis-injector-tls.
        VolumeMount mount = container.getVolumeMounts().stream().filter(m -> m.getName().equals("tls")).findFirst()
                .orElseThrow();
        assertThat(config.certificateFile()).isEqualTo(Path.of(mount.getMountPath(), "tls.crt"));
        assertThat(config.keyFile()).isEqualTo(Path.of(mount.getMountPath(), "tls.key"));
        Volume volume = injector.template().getSpec().getVolumes().stream().filter(v -> v.getName().equals("tls"))
                .findFirst().orElseThrow();
        assertThat(volume.getSecret().getSecretName()).isEqualTo("trellis-injector-tls");
        assertThat(container.getLivenessProbe().getHttpGet().getScheme()).isEqualTo("HTTPS");
        assertThat(container.getLivenessProbe().getHttpGet().getPath()).isEqualTo(InjectorServer.HEALTH_PATH);

        // What it injects into the walkthrough's frontend parses as trellis sigv4-proxy, and reaches the control plane.
        assertThat(config.image()).isEqualTo(container.getImage());
        List<String> sidecar = new SidecarInjector(config, ns -> Map.of()).containerArguments(
                SidecarInjectorTest.frontendAuthPod().getMetadata().getAnnotations(), Map.of());
        Sigv4ProxyCommand proxy = SidecarInjectorTest.parseSidecar(sidecar);
        assertThat(proxy.stsEndpoint).isEqualTo(URI.create(controlPlaneUrl()));
        assertThat(proxy.listen).isEqualTo(":" + SidecarInjector.PROXY_PORT);

        // The cert-manager variant names the same Secret and the Service's DNS names.
        GenericKubernetesResource certificate = one(GenericKubernetesResource.class, "Certificate", "trellis-injector");
        @SuppressWarnings("unchecked")
        Map<String, Object> spec = (Map<String, Object>) certificate.getAdditionalProperties().get("spec");
        assertThat(spec.get("secretName")).isEqualTo("trellis-injector-tls");
        assertThat(String.valueOf(spec.get("dnsNames"))).contains(service.getMetadata().getName() + "." + NAMESPACE + ".svc");
    }

    @Test
    void theControllersClusterRoleIsExactlyItsPermissionsAndCoversEveryKindItWatches() throws Exception {
        ClusterRole role = one(ClusterRole.class, "ClusterRole", "trellis-controller");
        Set<String> granted = triples(role.getRules());
        Set<String> needed = new TreeSet<>();
        for (ControllerPermissions.Rule rule : ControllerPermissions.RULES) {
            for (String resource : rule.resources()) {
                for (String verb : rule.verbs()) {
                    needed.add(rule.apiGroup() + " " + resource + " " + verb);
                }
            }
        }
        assertThat(new TreeSet<>(granted)).as("rbac.yaml's trellis-controller rules vs ControllerPermissions")
                .isEqualTo(needed);
        assertBound("trellis-controller", "trellis-controller");
        assertBound("trellis-injector", "trellis-injector");
        assertThat(triples(one(ClusterRole.class, "ClusterRole", "trellis-injector").getRules()))
                .containsExactly(" namespaces get");

        // Ask a started controller (both served versions) which kinds its reconcilers and informers watch.
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        server.init();
        try (KubernetesClient client = server.createClient();
                VpcLatticeClient lattice = VpcLatticeClient.builder().region(Region.US_WEST_2)
                        .endpointOverride(URI.create("http://127.0.0.1:9"))
                        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("a", "b")))
                        .httpClient(ApacheHttpClient.create()).build()) {
            Map<String, String> env = new HashMap<>(environment(container("trellis-controller", "controller")));
            env.put("GATEWAY_API_VERSIONS", "v1,v1beta1");
            env.put("HEALTH_PROBE_BIND_ADDRESS", "");
            env.put("METRICS_BIND_ADDRESS", "0");
            env.put("LEADER_ELECT", "false");
            try (TrellisController controller = new TrellisController(ControllerConfig.fromEnvironment(env), client,
                    lattice).start()) {
                Set<Class<? extends HasMetadata>> kinds = controller.watchedKinds();
                assertThat(kinds.stream().map(Class::getSimpleName).toList())
                        .contains("Gateway", "HTTPRoute", "GatewayClass", "Service", "EndpointSlice");
                for (Class<? extends HasMetadata> kind : kinds) {
                    String group = HasMetadata.getGroup(kind);
                    String plural = HasMetadata.getPlural(kind);
                    for (String verb : List.of("get", "list", "watch")) {
                        assertThat(granted).as(kind.getName() + " is watched: rbac.yaml must allow " + verb + " on "
                                + group + "/" + plural).contains(group + " " + plural + " " + verb);
                    }
                }
            }
        } finally {
            server.destroy();
        }
    }

    @Test
    void everyCrdUnderCrdsIsACustomResourceDefinitionTheControllerMayRead() {
        List<Path> crds = files.keySet().stream().filter(p -> root.relativize(p).startsWith("crds")).toList();
        for (Path file : crds) {
            for (HasMetadata object : files.get(file)) {
                assertThat(object).as(root.relativize(file) + " holds CustomResourceDefinitions only")
                        .isInstanceOf(CustomResourceDefinition.class);
                CustomResourceDefinition crd = (CustomResourceDefinition) object;
                String group = crd.getSpec().getGroup();
                String plural = crd.getSpec().getNames().getPlural();
                assertThat(crd.getMetadata().getName()).isEqualTo(plural + "." + group);
                assertThat(ControllerPermissions.allows(group, plural, "watch"))
                        .as(group + "/" + plural + " is installed; ControllerPermissions must let the controller watch it")
                        .isTrue();
            }
        }
    }

    @Test
    void theGatewaysServeTheLatticeAddressAndEveryoneFindsTheControlPlane() {
        Workload gateways = workload("trellis-gateway");
        assertThat(gateways.kind()).isEqualTo("DaemonSet");
        PodSpec pod = gateways.template().getSpec();
        assertThat(pod.getHostNetwork()).isTrue();
        assertThat(pod.getDnsPolicy()).isEqualTo("ClusterFirstWithHostNet");
        Container gateway = container("trellis-gateway", "gateway");
        GatewayCommand command = (GatewayCommand) parse(gateways, gateway).subcommand().commandSpec().userObject();
        assertThat(command.bindAddress).isEqualTo("169.254.171.1");
        assertThat(String.join(" ", pod.getInitContainers().get(0).getCommand()))
                .contains("ip addr add 169.254.171.1/32 dev lo");
        assertThat(command.controlPlane).isEqualTo(URI.create(controlPlaneUrl()));
        // The gateway's VPC is the controller's cluster VPC, and both sign for the same region.
        Map<String, String> controller = environment(container("trellis-controller", "controller"));
        assertThat(command.vpcId).isEqualTo(controller.get("CLUSTER_VPC_ID"));
        assertThat(command.region).isEqualTo(controller.get("REGION"));
        assertThat(port(gateway, gateway.getLivenessProbe().getHttpGet().getPort())).isEqualTo(command.adminPort);

        Container server = container("trellis-control-plane", "control-plane");
        ServerCommand serverCommand = (ServerCommand) parse(workload("trellis-control-plane"), server).subcommand()
                .commandSpec().userObject();
        assertThat(serverCommand.region).isEqualTo(controller.get("REGION"));
        assertThat(serverCommand.accountId).isEqualTo(controller.get("AWS_ACCOUNT_ID"));
        assertThat(serverCommand.host).isEqualTo("0.0.0.0");
        assertThat(environment(server)).containsKey(MasterKey.ENVIRONMENT_VARIABLE);
    }

    // --- helpers ---

    /** http://<control plane Service>.<namespace>:<port>, from control-plane.yaml and the server's --port. */
    static String controlPlaneUrl() {
        Service service = one(Service.class, "Service", "trellis-control-plane");
        ServicePort port = service.getSpec().getPorts().get(0);
        Workload workload = workload("trellis-control-plane");
        assertThat(workload.template().getMetadata().getLabels()).containsAllEntriesOf(service.getSpec().getSelector());
        Container server = container("trellis-control-plane", "control-plane");
        ServerCommand command = (ServerCommand) parse(workload, server).subcommand().commandSpec().userObject();
        assertThat(port(server, port.getTargetPort())).isEqualTo(command.port);
        return "http://" + service.getMetadata().getName() + "." + NAMESPACE + ":" + port.getPort();
    }

    record Workload(String kind, String name, Map<String, String> selector, PodTemplateSpec template) {
        @Override
        public String toString() {
            return kind + " " + name;
        }
    }

    static List<Workload> workloads() {
        List<Workload> workloads = new ArrayList<>();
        for (HasMetadata object : objects) {
            if (object instanceof Deployment d) {
                workloads.add(new Workload("Deployment", d.getMetadata().getName(),
                        d.getSpec().getSelector().getMatchLabels(), d.getSpec().getTemplate()));
            } else if (object instanceof DaemonSet d) {
                workloads.add(new Workload("DaemonSet", d.getMetadata().getName(),
                        d.getSpec().getSelector().getMatchLabels(), d.getSpec().getTemplate()));
            }
        }
        return workloads;
    }

    static Workload workload(String name) {
        return workloads().stream().filter(w -> w.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no Deployment or DaemonSet " + name));
    }

    static Container container(String workload, String name) {
        return workload(workload).template().getSpec().getContainers().stream()
                .filter(c -> c.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError(workload + " has no container " + name));
    }

    /** The container's args with $(VAR) expanded as the kubelet does, parsed by the trellis command tree. */
    static CommandLine.ParseResult parse(Workload workload, Container container) {
        Map<String, String> env = environment(container);
        List<String> args = new ArrayList<>();
        Pattern reference = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");
        for (String arg : container.getArgs()) {
            Matcher m = reference.matcher(arg);
            StringBuilder expanded = new StringBuilder();
            while (m.find()) {
                String value = env.get(m.group(1));
                assertThat(value).as(workload + ": " + arg + " refers to an undefined variable").isNotNull();
                m.appendReplacement(expanded, Matcher.quoteReplacement(value));
            }
            m.appendTail(expanded);
            args.add(expanded.toString());
        }
        CommandLine.ParseResult parsed;
        try {
            parsed = TrellisCommand.commandLine().parseArgs(args.toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            return fail(workload + " container " + container.getName() + ": trellis refuses " + args + ": "
                    + e.getMessage());
        }
        assertThat(parsed.subcommand()).as(workload + ": a trellis subcommand").isNotNull();
        return parsed;
    }

    /** The container's variables; those from Secrets or the downward API get sample values. */
    static Map<String, String> environment(Container container) {
        Map<String, String> env = new LinkedHashMap<>();
        for (EnvVar var : container.getEnv()) {
            if (var.getValue() != null) {
                env.put(var.getName(), var.getValue());
            } else if (var.getValueFrom().getFieldRef() != null) {
                String path = var.getValueFrom().getFieldRef().getFieldPath();
                assertThat(FIELD_SAMPLES).as("a sample for fieldRef " + path).containsKey(path);
                env.put(var.getName(), FIELD_SAMPLES.get(path));
            } else if (var.getValueFrom().getSecretKeyRef() != null) {
                env.put(var.getName(), "secret:" + var.getValueFrom().getSecretKeyRef().getKey());
            } else {
                fail("unsupported env source for " + var.getName());
            }
        }
        return env;
    }

    /** Environment variables a subcommand reads: its option descriptions name them as "(NAME)" or "(NAME, else ...)". */
    static Set<String> environmentVariablesOf(CommandLine.Model.CommandSpec command) {
        Set<String> names = new TreeSet<>();
        Pattern variable = Pattern.compile("\\(([A-Z][A-Z0-9_]{2,})[,)]");
        for (OptionSpec option : command.options()) {
            Matcher m = variable.matcher(String.join(" ", option.description()));
            while (m.find()) {
                names.add(m.group(1));
            }
        }
        return names;
    }

    static int port(Container container, IntOrString port) {
        if (port.getIntVal() != null) {
            return port.getIntVal();
        }
        return container.getPorts().stream().filter(p -> port.getStrVal().equals(p.getName()))
                .map(ContainerPort::getContainerPort).findFirst()
                .orElseThrow(() -> new AssertionError(container.getName() + " has no port named " + port.getStrVal()));
    }

    static void assertProbesNamePorts(Workload workload, Container container) {
        for (var probe : new io.fabric8.kubernetes.api.model.Probe[] {container.getLivenessProbe(),
            container.getReadinessProbe()}) {
            if (probe == null) {
                continue;
            }
            IntOrString port = probe.getHttpGet() != null ? probe.getHttpGet().getPort()
                    : probe.getTcpSocket().getPort();
            assertThat(port(container, port)).as(workload + " probe port").isPositive();
        }
    }

    static Set<String> triples(List<PolicyRule> rules) {
        Set<String> triples = new TreeSet<>();
        for (PolicyRule rule : rules) {
            for (String group : rule.getApiGroups()) {
                for (String resource : rule.getResources()) {
                    for (String verb : rule.getVerbs()) {
                        triples.add(group + " " + resource + " " + verb);
                    }
                }
            }
        }
        return triples;
    }

    static void assertBound(String binding, String serviceAccount) {
        ClusterRoleBinding b = one(ClusterRoleBinding.class, "ClusterRoleBinding", binding);
        assertThat(one(ClusterRole.class, "ClusterRole", b.getRoleRef().getName())).isNotNull();
        assertThat(b.getSubjects()).singleElement().satisfies(s -> {
            assertThat(s.getKind()).isEqualTo("ServiceAccount");
            assertThat(s.getName()).isEqualTo(serviceAccount);
            assertThat(s.getNamespace()).isEqualTo(NAMESPACE);
        });
        assertThat(one(ServiceAccount.class, "ServiceAccount", serviceAccount)).isNotNull();
        assertThat(workloads().stream().filter(w -> serviceAccount.equals(w.template().getSpec()
                .getServiceAccountName()))).as("a workload runs as " + serviceAccount).isNotEmpty();
    }

    static <T extends HasMetadata> T find(Class<T> type, String kind, String name) {
        return objects.stream().filter(o -> o.getKind().equals(kind) && type.isInstance(o)
                && (name == null || name.equals(o.getMetadata().getName()))).map(type::cast).findFirst().orElse(null);
    }

    static <T extends HasMetadata> T one(Class<T> type, String kind, String name) {
        List<T> found = objects.stream().filter(o -> o.getKind().equals(kind) && type.isInstance(o)
                && (name == null || name.equals(o.getMetadata().getName()))).map(type::cast).toList();
        assertThat(found).as("one " + kind + (name == null ? "" : " " + name)).hasSize(1);
        return found.get(0);
    }

    static Path deployDirectory() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("deploy/kubernetes");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("cannot find deploy/kubernetes above " + Path.of("").toAbsolutePath());
    }
}
