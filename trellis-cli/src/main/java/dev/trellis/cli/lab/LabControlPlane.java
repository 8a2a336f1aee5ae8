package dev.trellis.cli.lab;

import dev.trellis.controlplane.ControlPlane;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.awscore.client.builder.AwsSyncClientBuilder;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;

/**
 * The control plane of a {@link Lab}: {@code trellis server} as a child process on the embedded store, listening on
 * the lab's host address, and what a client needs to call it — endpoint, account, the admin's key (read from the
 * {@code aws-config} file its first start writes), the internal CA.
 */
public final class LabControlPlane {

    /** The region of every lab (the walkthrough's). */
    public static final String REGION = "us-west-2";

    private static final Pattern LISTENING =
            Pattern.compile("listening on (http://\\S+) \\(account (\\d{12}), region (\\S+),");
    private static final Pattern KEY = Pattern.compile("(?m)^aws_access_key_id = (\\S+)");
    private static final Pattern SECRET = Pattern.compile("(?m)^aws_secret_access_key = (\\S+)");

    private final LabProcess process;
    private final Path dataDir;
    private final URI endpoint;
    private final String account;
    private final String accessKeyId;
    private final String secretAccessKey;

    private LabControlPlane(LabProcess process, Path dataDir, URI endpoint, String account, String accessKeyId,
                            String secretAccessKey) {
        this.process = process;
        this.dataDir = dataDir;
        this.endpoint = endpoint;
        this.account = account;
        this.accessKeyId = accessKeyId;
        this.secretAccessKey = secretAccessKey;
    }

    /** Starts {@code trellis server} in {@code <work dir>/control-plane} on a free port; see {@link #await}. */
    public static LabProcess launch(Lab lab) throws IOException {
        return launch(lab, 0);
    }

    /** Starts {@code trellis server} on {@code port} of the lab's host address (0: a free one). */
    public static LabProcess launch(Lab lab, int port) throws IOException {
        Path dataDir = lab.workDir().resolve("control-plane");
        return lab.startTrellis("control-plane", null, Map.of(), List.of("server", "--data-dir", dataDir.toString(),
                "--host", lab.hostAddress(), "--port", String.valueOf(port), "--store", "h2", "--region", REGION));
    }

    /** Waits until the launched control plane serves, and reads its endpoint and admin key. */
    public static LabControlPlane await(Lab lab, LabProcess process, Duration timeout)
            throws IOException, InterruptedException {
        process.awaitReady(timeout);
        Matcher listening = LISTENING.matcher(process.output());
        if (!listening.find()) {
            throw new IOException("the control plane did not say where it listens: " + process.tail(5));
        }
        Path dataDir = lab.workDir().resolve("control-plane");
        String config = Files.readString(dataDir.resolve(ControlPlane.AWS_CONFIG_FILE));
        Matcher key = KEY.matcher(config);
        Matcher secret = SECRET.matcher(config);
        if (!key.find() || !secret.find()) {
            throw new IOException("no admin key in " + dataDir.resolve(ControlPlane.AWS_CONFIG_FILE));
        }
        return new LabControlPlane(process, dataDir, URI.create(listening.group(1)), listening.group(2),
                key.group(1), secret.group(1));
    }

    public URI endpoint() {
        return endpoint;
    }

    public String account() {
        return account;
    }

    public LabProcess process() {
        return process;
    }

    /** The internal CA (PEM) every generated name's and every requested ACM certificate chains to. */
    public Path caCertificate() {
        return dataDir.resolve("ca.pem");
    }

    /** The admin's AWS profile ({@value ControlPlane#PROFILE}), for {@code AWS_CONFIG_FILE}. */
    public Path awsConfigFile() {
        return dataDir.resolve(ControlPlane.AWS_CONFIG_FILE);
    }

    /** The admin's key. */
    public AwsBasicCredentials adminCredentials() {
        return AwsBasicCredentials.create(accessKeyId, secretAccessKey);
    }

    /** The admin's key as environment variables, for child processes that call the control plane. */
    public Map<String, String> adminEnvironment() {
        return Lab.credentialsEnvironment(accessKeyId, secretAccessKey);
    }

    /** Points an AWS SDK client builder at this control plane with the admin's credentials and builds it. */
    public <B extends AwsClientBuilder<B, C> & AwsSyncClientBuilder<B, C>, C> C client(B builder, Region region) {
        return builder.endpointOverride(endpoint).region(region)
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(accessKeyId, secretAccessKey)))
                .httpClientBuilder(ApacheHttpClient.builder())
                .build();
    }

    /** Starts the gateway of {@code vpc} (inside its namespace), serving VPC {@code vpcId}. */
    public LabProcess startGateway(Lab lab, LabVpc vpc, String vpcId) throws IOException {
        List<String> args = new ArrayList<>(List.of("gateway", "--vpc", vpcId, "--control-plane",
                endpoint.toString(), "--region", REGION, "--data-dir",
                lab.workDir().resolve("gateway-" + vpc.label()).toString()));
        args.addAll(vpc.gatewayOptions());
        return lab.startTrellis("gateway-" + vpc.label(), vpc, adminEnvironment(), args);
    }
}
