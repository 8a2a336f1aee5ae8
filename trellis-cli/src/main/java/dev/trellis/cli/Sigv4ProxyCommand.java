package dev.trellis.cli;

import dev.trellis.sigv4proxy.ProxyCredentials;
import dev.trellis.sigv4proxy.Sigv4ProxyConfig;
import dev.trellis.sigv4proxy.Sigv4ProxyServer;
import java.io.File;
import java.io.PrintWriter;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code trellis sigv4-proxy}: the signing sidecar, with the flags of aws-sigv4-proxy. */
@Command(
        name = "sigv4-proxy",
        mixinStandardHelpOptions = true,
        description = {
            "Listens for plain HTTP requests and forwards each one to --host over --upstream-url-scheme, signed with"
                + " AWS Signature Version 4 for --name in --region: the sidecar an app calls at http://localhost:8005"
                + " so that its calls to a VPC Lattice (or Trellis) service with AWS_IAM auth carry the identity of"
                + " an IAM role. Flags follow aws-sigv4-proxy.",
            "Credentials: --role-arn, else the AWS SDK's default chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY,"
                + " AWS_PROFILE, AWS_WEB_IDENTITY_TOKEN_FILE with AWS_ROLE_ARN (IRSA), container and instance"
                + " credentials). Temporary credentials are cached and refreshed before they expire.",
            "Answers 502 with a one-line reason when the upstream cannot be reached; never follows redirects;"
                + " never logs credentials or signatures."
        })
final class Sigv4ProxyCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--port", defaultValue = ":" + Sigv4ProxyConfig.DEFAULT_PORT, paramLabel = "[ADDRESS]:PORT",
            description = "Where to listen: PORT, :PORT (every address) or ADDRESS:PORT; port 0 picks a free one"
                    + " (printed at start). Default: ${DEFAULT-VALUE}, the port the injected sidecar uses.")
    String listen;

    @Option(names = "--name", required = true, paramLabel = "SIGNING_NAME",
            description = "The signing name (service) of the signature: vpc-lattice-svcs for VPC Lattice services.")
    String name;

    @Option(names = "--region", required = true,
            description = "The signing region, and the region of the STS client for --role-arn.")
    String region;

    @Option(names = "--host", paramLabel = "HOST[:PORT]",
            description = "The upstream to forward to (connected to, and the Host header unless --sign-host)."
                    + " Default: each request's own Host header.")
    String host;

    @Option(names = "--sign-host", paramLabel = "HOST[:PORT]",
            description = "The Host header sent upstream and signed, when it differs from --host (for example"
                    + " --host 127.0.0.1:8443 --sign-host datastore.sarathy.io; also the TLS server name).")
    String signHost;

    @Option(names = "--upstream-url-scheme", defaultValue = "https", paramLabel = "http|https",
            description = "How to reach the upstream (any case). Default: ${DEFAULT-VALUE}.")
    String scheme;

    @Option(names = "--unsigned-payload",
            description = "Send x-amz-content-sha256: UNSIGNED-PAYLOAD (VPC Lattice requires it) and stream request"
                    + " bodies. Without it a body is held in memory to be hashed, up to --max-signed-body.")
    boolean unsignedPayload;

    @Option(names = {"-s", "--strip"}, paramLabel = "HEADER",
            description = "A request header to drop before forwarding (repeatable).")
    List<String> strip = new ArrayList<>();

    @Option(names = "--custom-headers", paramLabel = "NAME=VALUE[,NAME=VALUE...]",
            description = "Headers to add to every forwarded request (not signed; they replace the caller's).")
    String customHeaders;

    @Option(names = "--duplicate-headers", paramLabel = "HEADER",
            description = "Copy this request header's value to X-Original-<HEADER> (repeatable).")
    List<String> duplicateHeaders = new ArrayList<>();

    @Option(names = "--role-arn", paramLabel = "ARN",
            description = "A role to assume (sts:AssumeRole) with the default chain's credentials; session name from"
                    + " AWS_ROLE_SESSION_NAME, else aws-sigv4-proxy-<host name>.")
    String roleArn;

    @Option(names = "--sts-endpoint", paramLabel = "URL",
            description = "The STS endpoint for --role-arn and for web identity tokens (AWS_WEB_IDENTITY_TOKEN_FILE +"
                    + " AWS_ROLE_ARN), e.g. Trellis's control plane http://127.0.0.1:8080. Default: the SDK's"
                    + " (AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, else AWS's regional endpoint).")
    URI stsEndpoint;

    @Option(names = "--no-verify-ssl",
            description = "Do not verify the upstream's TLS certificate (testing only).")
    boolean noVerifySsl;

    @Option(names = "--ca-certificate", paramLabel = "PEM_FILE",
            description = "Trust these CA certificates for https upstreams instead of the JVM's defaults (for"
                    + " Trellis's internal CA: trellis ca-certificate > ca.pem).")
    File caCertificate;

    @Option(names = "--max-signed-body", defaultValue = "" + Sigv4ProxyConfig.DEFAULT_MAX_SIGNED_BODY,
            paramLabel = "BYTES",
            description = "Without --unsigned-payload, the largest body held in memory to be hashed; a larger one is"
                    + " refused with 413. Default: ${DEFAULT-VALUE}.")
    long maxSignedBody;

    @Option(names = "--transport.idle-conn-timeout", defaultValue = "40s", paramLabel = "DURATION",
            description = "How long an upstream connection is kept, unused, for the next request (Go duration as in"
                    + " aws-sigv4-proxy: 40s, 1m30s, 500ms; 0 closes it after each request). Default: ${DEFAULT-VALUE}.")
    String idleConnTimeout;

    @Option(names = {"-v", "--verbose"},
            description = "Log one line per request: method, upstream URL, status and time.")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        ListenAddress address = ListenAddress.parse(listen, "--port", spec.commandLine());
        Sigv4ProxyConfig config;
        try {
            Sigv4ProxyConfig.Builder builder = Sigv4ProxyConfig.builder()
                    .bindAddress(address.address() == null ? "0.0.0.0" : address.address()).port(address.port())
                    .host(host).signHost(signHost).scheme(scheme)
                    .signingName(name).region(region).unsignedPayload(unsignedPayload)
                    .verifySsl(!noVerifySsl).verbose(verbose).maxSignedBody(maxSignedBody)
                    .idleConnTimeout(goDuration(idleConnTimeout))
                    .credentials(ProxyCredentials.create(region, stsEndpoint, roleArn, System.getenv()));
            strip.forEach(builder::strip);
            duplicateHeaders.forEach(builder::duplicateHeader);
            if (customHeaders != null) {
                builder.customHeaders(customHeaders);
            }
            config = builder.build();
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        Sigv4ProxyServer server = Sigv4ProxyServer.start(config, caCertificate);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "trellis-sigv4-proxy-shutdown"));
        PrintWriter out = spec.commandLine().getOut();
        out.println("Trellis SigV4 proxy listening on http://" + (config.bindAddress().contains(":") ? "[" + config.bindAddress() + "]"
                : config.bindAddress()) + ":"
                + server.port() + ", forwarding to " + config.scheme() + "://"
                + (host == null ? "<each request's Host>" : host) + (signHost == null ? "" : " as " + signHost)
                + ", signing " + name + " in " + region + (unsignedPayload ? " with UNSIGNED-PAYLOAD" : ""));
        out.println("Stop with Ctrl-C or SIGTERM.");
        out.flush();
        stopped.await();
        return 0;
    }

    private static final java.util.regex.Pattern GO_DURATION_PART =
            java.util.regex.Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|µs|ms|s|m|h)");

    /**
     * A Go duration ({@code time.ParseDuration}: {@code 40s}, {@code 1m30s}, {@code 500ms}, {@code 0}), the form
     * aws-sigv4-proxy's flags take; a plain number is refused, as Go refuses it (except 0).
     */
    static java.time.Duration goDuration(String text) {
        String value = text.trim();
        if (value.equals("0")) {
            return java.time.Duration.ZERO;
        }
        java.util.regex.Matcher part = GO_DURATION_PART.matcher(value);
        double nanos = 0;
        int end = 0;
        while (part.find() && part.start() == end) {
            double amount = Double.parseDouble(part.group(1));
            nanos += amount * switch (part.group(2)) {
                case "ns" -> 1d;
                case "us", "µs" -> 1e3;
                case "ms" -> 1e6;
                case "s" -> 1e9;
                case "m" -> 60e9;
                default -> 3600e9;
            };
            end = part.end();
        }
        if (end == 0 || end != value.length()) {
            throw new IllegalArgumentException("--transport.idle-conn-timeout must be a duration such as 40s,"
                    + " 1m30s or 500ms, not '" + text + "'");
        }
        return java.time.Duration.ofNanos((long) nanos);
    }
}
