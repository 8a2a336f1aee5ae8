package dev.trellis.cli;

import dev.trellis.controller.ControllerConfig;
import dev.trellis.controller.TrellisController;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.File;
import java.io.PrintWriter;
import java.net.URI;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code trellis controller}: the Gateway API controller, configured like the AWS Gateway API controller (its
 * environment variables), with a flag for each that wins over the variable.
 */
@Command(
        name = "controller",
        mixinStandardHelpOptions = true,
        description = {
            "Runs the Kubernetes Gateway API controller against the cluster of the kubeconfig (KUBECONFIG, ~/.kube/config,"
                + " or the pod's service account in a cluster): GatewayClasses naming --controller-name, their Gateways"
                + " (VPC Lattice service networks) and HTTPRoutes (Lattice services, listeners, rules and IP target groups"
                + " of the Services' ready endpoints) become VPC Lattice API calls to --lattice-endpoint (Trellis's"
                + " control plane, or AWS).",
            "Every option can also be given as the AWS controller's environment variable named in its description;"
                + " the option wins. Lattice credentials come from the AWS SDK's default chain (AWS_ACCESS_KEY_ID /"
                + " AWS_SECRET_ACCESS_KEY, AWS_PROFILE, web identity). Serves /healthz and /readyz on"
                + " --health-probe-bind-address and /metrics on --metrics-bind-address; records Kubernetes Events when"
                + " a condition changes. See docs/controller.md."
        })
final class ControllerCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--kubeconfig", paramLabel = "FILE",
            description = "The kubeconfig to use (its current context). Default: KUBECONFIG, ~/.kube/config, else the"
                    + " in-cluster service account.")
    File kubeconfig;

    @Option(names = "--controller-name", paramLabel = "NAME",
            description = "GatewayClasses whose spec.controllerName is NAME are this controller's (CONTROLLER_NAME)."
                    + " Default: " + ControllerConfig.DEFAULT_CONTROLLER_NAME + ", so the AWS manifests apply unchanged.")
    String controllerName;

    @Option(names = "--cluster-name", paramLabel = "NAME",
            description = "The cluster's name, part of the ManagedBy tag on what the controller creates (CLUSTER_NAME)."
                    + " Required.")
    String clusterName;

    @Option(names = "--cluster-vpc-id", paramLabel = "VPC_ID",
            description = "The VPC the pods live in: target groups are created there and it is associated with the"
                    + " service networks of Gateways (CLUSTER_VPC_ID). Required.")
    String clusterVpcId;

    @Option(names = "--aws-account-id", paramLabel = "ACCOUNT_ID",
            description = "The account, part of the ManagedBy tag (AWS_ACCOUNT_ID). Required.")
    String accountId;

    @Option(names = "--region", paramLabel = "REGION",
            description = "The VPC Lattice region the calls are signed for (REGION). Required.")
    String region;

    @Option(names = "--lattice-endpoint", paramLabel = "URL",
            description = "The VPC Lattice API endpoint, e.g. Trellis's control plane http://127.0.0.1:8080"
                    + " (LATTICE_ENDPOINT). Default: AWS's regional endpoint.")
    URI latticeEndpoint;

    @Option(names = "--default-service-network", paramLabel = "NAME",
            description = "With --enable-service-network-override, the service network every Gateway maps to"
                    + " (DEFAULT_SERVICE_NETWORK).")
    String defaultServiceNetwork;

    @Option(names = "--enable-service-network-override", paramLabel = "true|false",
            description = "Map every Gateway to --default-service-network instead of the network named after it"
                    + " (ENABLE_SERVICE_NETWORK_OVERRIDE). Default: false.")
    String serviceNetworkOverride;

    @Option(names = "--create-service-networks", paramLabel = "true|false",
            description = "When a Gateway's service network does not exist, create it and associate --cluster-vpc-id,"
                    + " as the walkthrough describes; false only looks it up, as the AWS controller does since v1.0"
                    + " (CREATE_SERVICE_NETWORKS). Default: true.")
    String createServiceNetworks;

    @Option(names = "--gateway-api-versions", paramLabel = "v1|v1beta1|v1,v1beta1",
            description = "Which served Gateway API versions to watch (GATEWAY_API_VERSIONS). Default: v1, which a"
                    + " Kubernetes API server also serves for objects applied as v1beta1; v1beta1 for clusters with"
                    + " only the old CRDs; both only for API servers that do not convert between versions.")
    String gatewayApiVersions;

    @Option(names = "--health-probe-bind-address", paramLabel = "[HOST]:PORT",
            description = "Where /healthz and /readyz answer (HEALTH_PROBE_BIND_ADDRESS). Default: :8081, as the AWS"
                    + " controller's.")
    String healthProbeBindAddress;

    @Option(names = "--metrics-bind-address", paramLabel = "[HOST]:PORT",
            description = "Where /metrics answers in Prometheus's format: reconciliations, VPC Lattice calls by operation"
                    + " and outcome, leadership (METRICS_BIND_ADDRESS). 0 turns it off. Default: :8080, as the AWS"
                    + " controller's.")
    String metricsBindAddress;

    @Option(names = "--leader-elect", paramLabel = "true|false", arity = "0..1", fallbackValue = "true",
            description = "Run several replicas and let one reconcile at a time, elected through the Lease "
                    + TrellisController.LEASE_NAME + " (LEADER_ELECT). A leader that loses the Lease exits so it"
                    + " restarts as a follower. Default: false.")
    String leaderElect;

    @Option(names = "--leader-election-namespace", paramLabel = "NAMESPACE",
            description = "The Lease's namespace (LEADER_ELECTION_NAMESPACE, else POD_NAMESPACE). Default: the service"
                    + " account's namespace when running in a pod.")
    String leaderElectionNamespace;

    @Option(names = "--reconcile-default-resync-seconds", paramLabel = "SECONDS",
            description = "Reconcile every object at least this often, which repairs changes made in VPC Lattice outside"
                    + " the cluster (RECONCILE_DEFAULT_RESYNC_SECONDS). 0 turns it off; otherwise at least 60."
                    + " Default: 300.")
    String resyncSeconds;

    @Override
    public Integer call() throws Exception {
        Map<String, String> env = new HashMap<>(System.getenv());
        put(env, "CONTROLLER_NAME", controllerName);
        put(env, "CLUSTER_NAME", clusterName);
        put(env, "CLUSTER_VPC_ID", clusterVpcId);
        put(env, "AWS_ACCOUNT_ID", accountId);
        put(env, "REGION", region);
        put(env, "LATTICE_ENDPOINT", latticeEndpoint == null ? null : latticeEndpoint.toString());
        put(env, "DEFAULT_SERVICE_NETWORK", defaultServiceNetwork);
        put(env, "ENABLE_SERVICE_NETWORK_OVERRIDE", serviceNetworkOverride);
        put(env, "CREATE_SERVICE_NETWORKS", createServiceNetworks);
        put(env, "GATEWAY_API_VERSIONS", gatewayApiVersions);
        put(env, "HEALTH_PROBE_BIND_ADDRESS", healthProbeBindAddress);
        put(env, "METRICS_BIND_ADDRESS", metricsBindAddress);
        put(env, "LEADER_ELECT", leaderElect);
        put(env, "LEADER_ELECTION_NAMESPACE", leaderElectionNamespace);
        put(env, "RECONCILE_DEFAULT_RESYNC_SECONDS", resyncSeconds);
        ControllerConfig config;
        try {
            config = ControllerConfig.fromEnvironment(env);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        if (kubeconfig != null && !kubeconfig.isFile()) {
            throw new ParameterException(spec.commandLine(), "--kubeconfig " + kubeconfig + " is not a readable file");
        }
        KubernetesClient kubernetes = new KubernetesClientBuilder()
                .withConfig(kubeconfig == null ? Config.autoConfigure(null) : Config.fromKubeconfig(kubeconfig))
                .build();
        TrellisController controller = new TrellisController(config, kubernetes)
                .onLostLeadership(() -> {
                    // the Lease is someone else's now; a restart makes this process a follower again
                    spec.commandLine().getErr().println("lost leadership; exiting so the pod restarts as a follower");
                    spec.commandLine().getErr().flush();
                    System.exit(1);
                })
                .start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            controller.close();
            kubernetes.close();
            stopped.countDown();
        }, "trellis-controller-shutdown"));
        PrintWriter out = spec.commandLine().getOut();
        out.println("Trellis Gateway API controller " + config.controllerName() + " watching "
                + kubernetes.getMasterUrl() + " (Gateway API " + String.join(",", config.gatewayApiVersions())
                + "), Lattice at " + (config.latticeEndpoint() == null ? "AWS " + config.region() : config.latticeEndpoint())
                + ", cluster " + config.clusterName() + " in " + config.clusterVpcId()
                + (controller.probeAddress() == null ? "" : ", probes on " + controller.probeAddress())
                + (controller.metricsAddress() == null ? "" : ", metrics on " + controller.metricsAddress())
                + (config.leaderElection() ? ", leader election as " + controller.leaderIdentity() : ""));
        out.println("Stop with Ctrl-C or SIGTERM.");
        out.flush();
        stopped.await();
        return 0;
    }

    private static void put(Map<String, String> env, String key, String value) {
        if (value != null) {
            env.put(key, value);
        }
    }
}
