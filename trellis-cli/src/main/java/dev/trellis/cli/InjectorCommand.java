package dev.trellis.cli;

import dev.trellis.controller.injector.InjectorConfig;
import dev.trellis.controller.injector.InjectorServer;
import dev.trellis.controller.injector.NamespaceLabels;
import dev.trellis.controller.injector.SidecarInjector;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code trellis injector}: the mutating admission webhook that adds the SigV4 signing sidecar to annotated pods, as
 * aws-sigv4-proxy-admission-controller does (same annotations, namespace labels, container and port).
 */
@Command(
        name = "injector",
        mixinStandardHelpOptions = true,
        description = {
            "Serves a Kubernetes mutating admission webhook (AdmissionReview admission.k8s.io/v1 over HTTPS, POST"
                + " /mutate; GET /healthz) for pod creation: a pod annotated sidecar.aws.signing-proxy/inject: \"true\""
                + " with sidecar.aws.signing-proxy/host (and optionally name, region, role-arn, unsigned-payload,"
                + " upstream-url-scheme) - or in a namespace labelled sidecar-inject=true, sidecar-host=... - gets a"
                + " container sidecar-aws-sigv4-proxy running `trellis sigv4-proxy` on :8005 with those settings, and"
                + " the annotation sidecar.aws.signing-proxy/status: injected.",
            "Pods already injected, opted out (inject: \"false\") or without a host are allowed unchanged, with a"
                + " warning saying why; a malformed annotation refuses the pod with a message naming it. Install with"
                + " deploy/kubernetes/injector.yaml; see docs/kubernetes.md."
        })
final class InjectorCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--port", defaultValue = ":" + InjectorConfig.DEFAULT_PORT, paramLabel = "[ADDRESS]:PORT",
            description = "Where the HTTPS server listens: PORT, :PORT (every address) or ADDRESS:PORT; 0 picks a free"
                    + " port (printed at start). Default: ${DEFAULT-VALUE} (the Service maps 443 to it).")
    String listen;

    @Option(names = {"--tls-cert-file", "--tlsCertFile"}, required = true, paramLabel = "PEM_FILE",
            description = "The webhook's certificate chain, PEM (a kubernetes.io/tls Secret's tls.crt). Its names must"
                    + " include the Service's DNS name <service>.<namespace>.svc.")
    File certificateFile;

    @Option(names = {"--tls-key-file", "--tlsKeyFile"}, required = true, paramLabel = "PEM_FILE",
            description = "The certificate's private key, PEM: PKCS#8, PKCS#1 RSA or EC (the Secret's tls.key).")
    File keyFile;

    @Option(names = "--sidecar-image", defaultValue = InjectorConfig.DEFAULT_IMAGE, paramLabel = "IMAGE",
            description = "The injected container's image. Default: ${DEFAULT-VALUE}.")
    String image;

    @Option(names = "--sidecar-image-pull-policy", defaultValue = InjectorConfig.DEFAULT_PULL_POLICY,
            paramLabel = "Always|IfNotPresent|Never",
            description = "The injected container's imagePullPolicy. Default: ${DEFAULT-VALUE}.")
    String pullPolicy;

    @Option(names = "--sidecar-subcommand", defaultValue = "sigv4-proxy", paramLabel = "WORD",
            description = "The first argument of the injected container, before the proxy's flags: sigv4-proxy for the"
                    + " trellis image (default: ${DEFAULT-VALUE}); an empty value for an image whose entrypoint is the"
                    + " proxy itself, such as aws-sigv4-proxy's.")
    String subcommand;

    @Option(names = "--sidecar-arg", paramLabel = "ARG",
            description = "An argument appended to every injected sidecar (repeatable; write it attached, e.g."
                    + " --sidecar-arg=--sts-endpoint=http://trellis-control-plane.trellis-system:8080 or"
                    + " --sidecar-arg=--ca-certificate=/etc/trellis/ca.pem).")
    List<String> extraArguments = new ArrayList<>();

    @Option(names = "--sidecar-ca-configmap", paramLabel = "NAME",
            description = "Mount the ConfigMap NAME (in the pod's namespace) into the sidecar and trust its ca.pem for"
                    + " https upstreams (--ca-certificate): Trellis's internal CA (trellis ca-certificate > ca.pem)."
                    + " Default: none, the image's default trust (right for AWS).")
    String caConfigMap;

    @Option(names = "--kubeconfig", paramLabel = "FILE",
            description = "The kubeconfig used to read namespace labels. Default: KUBECONFIG, ~/.kube/config, else the"
                    + " pod's service account (which needs get on namespaces).")
    File kubeconfig;

    @Option(names = "--no-namespace-labels",
            description = "Do not read namespace labels: only pod annotations ask for a sidecar (no API server access"
                    + " needed).")
    boolean noNamespaceLabels;

    @Option(names = "--max-review-bytes", defaultValue = "" + InjectorConfig.DEFAULT_MAX_REVIEW_BYTES,
            paramLabel = "BYTES",
            description = "The largest AdmissionReview accepted; a larger body is refused with HTTP 413."
                    + " Default: ${DEFAULT-VALUE}.")
    int maxReviewBytes;

    /** The configuration these options give; a {@link ParameterException} names the bad one. */
    InjectorConfig config() {
        ListenAddress address = ListenAddress.parse(listen, "--port", spec.commandLine());
        try {
            return new InjectorConfig(address.address(), address.port(), certificateFile.toPath(), keyFile.toPath(), image, pullPolicy,
                    subcommand.isBlank() ? List.of() : List.of(subcommand.trim()), extraArguments, maxReviewBytes,
                    caConfigMap);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    @Override
    public Integer call() throws Exception {
        InjectorConfig config = config();
        if (kubeconfig != null && !kubeconfig.isFile()) {
            throw new ParameterException(spec.commandLine(), "--kubeconfig " + kubeconfig + " is not a readable file");
        }
        KubernetesClient kubernetes = noNamespaceLabels ? null : new KubernetesClientBuilder()
                .withConfig(kubeconfig == null ? Config.autoConfigure(null) : Config.fromKubeconfig(kubeconfig))
                .build();
        SidecarInjector injector = new SidecarInjector(config,
                kubernetes == null ? namespace -> Map.of() : new NamespaceLabels(kubernetes));
        InjectorServer server;
        try {
            server = InjectorServer.start(config, injector);
        } catch (IOException e) {
            if (kubernetes != null) {
                kubernetes.close();
            }
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            if (kubernetes != null) {
                kubernetes.close();
            }
            stopped.countDown();
        }, "trellis-injector-shutdown"));
        PrintWriter out = spec.commandLine().getOut();
        out.println("Trellis sidecar injector listening on https://" + hostText(config.bindAddress()) + ":"
                + server.address().getPort()
                + InjectorServer.MUTATE_PATH + ", injecting " + config.image()
                + (noNamespaceLabels ? " (pod annotations only)" : " (pod annotations and namespace labels of "
                        + kubernetes.getMasterUrl() + ")"));
        out.println("Stop with Ctrl-C or SIGTERM.");
        out.flush();
        stopped.await();
        return 0;
    }

    private static String hostText(String bind) {
        if (bind == null) {
            return "0.0.0.0";
        }
        return bind.contains(":") ? "[" + bind + "]" : bind;
    }
}
