package dev.trellis.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
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
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.iam.model.Tag;
import software.amazon.awssdk.services.vpclattice.VpcLatticeClient;
import software.amazon.awssdk.services.vpclattice.model.AuthType;
import software.amazon.awssdk.services.vpclattice.model.ListenerProtocol;
import software.amazon.awssdk.services.vpclattice.model.Target;
import software.amazon.awssdk.services.vpclattice.model.TargetGroupType;

/**
 * The walkthrough's signing sidecar end to end, every part a separate process: a control plane, the gateway of
 * VPC-A serving {@code datastore} with AWS_IAM auth and the walkthrough's service policy (principal: the
 * {@code aws-sigv4-client} role; source VPC: VPC-A), and {@code trellis sigv4-proxy} holding nothing but a web
 * identity token file and the role's ARN — IRSA — which it exchanges with the control plane's STS.
 */
class Sigv4ProxyGatewayTest {

    private static final String ISSUER = "https://oidc.eks.us-west-2.amazonaws.com/id/SIGV4PROXYTESTCLUSTER";
    private static final String PROVIDER = ISSUER.substring("https://".length());
    private static final String SERVICE_ACCOUNT = "system:serviceaccount:apps:aws-sigv4-client";

    @TempDir
    Path dir;

    private HttpServer backend;
    private ServerProcess controlPlane;
    private GatewayProcess gateway;
    private Process proxy;
    private String vpcId;
    private String domainName;
    private String serviceArn;
    private String roleArn;
    private int listenerPort;
    private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

    @BeforeEach
    void setUp() throws Exception {
        backend = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        backend.createContext("/", exchange -> {
            byte[] body = ("datastore saw " + exchange.getRequestURI().getPath() + " from "
                    + exchange.getRequestHeaders().getFirst("x-amzn-source-vpc")).getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        backend.start();

        controlPlane = ServerProcess.start(dir.resolve("cp"), "h2");
        StaticCredentialsProvider admin = StaticCredentialsProvider.create(
                AwsBasicCredentials.create(controlPlane.accessKeyId(), controlPlane.secretAccessKey()));
        try (Ec2Client ec2 = Ec2Client.builder().endpointOverride(controlPlane.endpoint()).region(Region.US_WEST_2)
                .credentialsProvider(admin).build()) {
            vpcId = ec2.createVpc(r -> r.cidrBlock("192.168.0.0/16")).vpc().vpcId();
        }

        // IRSA: the cluster's OIDC provider, the role its service account may assume, the client policy.
        RSAKey clusterKey = new RSAKeyGenerator(2048).keyID("cluster-key").generate();
        Path jwks = dir.resolve("jwks.json");
        Files.writeString(jwks, new JWKSet(clusterKey.toPublicJWK()).toString());
        try (IamClient iam = IamClient.builder().endpointOverride(controlPlane.endpoint()).region(Region.AWS_GLOBAL)
                .credentialsProvider(admin).build()) {
            String providerArn = iam.createOpenIDConnectProvider(r -> r.url(ISSUER).clientIDList("sts.amazonaws.com")
                    .thumbprintList("9e99a48a9960b14926bb7f3b02e22da2b0ab7280")
                    .tags(Tag.builder().key("trellis:jwks-uri").value(jwks.toUri().toString()).build()))
                    .openIDConnectProviderArn();
            String trust = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                    + "\"Principal\":{\"Federated\":\"" + providerArn + "\"},"
                    + "\"Action\":\"sts:AssumeRoleWithWebIdentity\","
                    + "\"Condition\":{\"StringEquals\":{\"" + PROVIDER + ":sub\":\"" + SERVICE_ACCOUNT + "\","
                    + "\"" + PROVIDER + ":aud\":\"sts.amazonaws.com\"}}}]}";
            roleArn = iam.createRole(r -> r.roleName("aws-sigv4-client").assumeRolePolicyDocument(trust)).role().arn();
            String clientPolicy = read("seed/sample/lattice-client-policy.json");
            iam.putRolePolicy(r -> r.roleName("aws-sigv4-client").policyName("VPCLatticeClientPolicy")
                    .policyDocument(clientPolicy));
        }
        Path tokenFile = dir.resolve("token");
        Files.writeString(tokenFile, token(clusterKey));

        try (VpcLatticeClient lattice = VpcLatticeClient.builder().endpointOverride(controlPlane.endpoint())
                .region(Region.US_WEST_2).credentialsProvider(admin).build()) {
            String network = lattice.createServiceNetwork(r -> r.name("eks-lattice-network")).id();
            lattice.createServiceNetworkVpcAssociation(r -> r.serviceNetworkIdentifier(network).vpcIdentifier(vpcId));
            var service = lattice.createService(r -> r.name("datastore").authType(AuthType.AWS_IAM));
            domainName = service.dnsEntry().domainName();
            serviceArn = service.arn();
            String group = lattice.createTargetGroup(r -> r.name("datastore-v1").type(TargetGroupType.IP)
                    .config(c -> c.port(3000).protocol("HTTP").vpcIdentifier(vpcId))).id();
            lattice.registerTargets(r -> r.targetGroupIdentifier(group).targets(Target.builder().id("127.0.0.1")
                    .port(backend.getAddress().getPort()).build()));
            lattice.createListener(r -> r.serviceIdentifier(service.id()).name("http").protocol(ListenerProtocol.HTTP)
                    .port(80).defaultAction(a -> a.forward(f -> f.targetGroups(t -> t.targetGroupIdentifier(group)))));
            lattice.createServiceNetworkServiceAssociation(r -> r.serviceNetworkIdentifier(network)
                    .serviceIdentifier(service.id()));
            // The walkthrough's service policy, adapted: this role, this service, this VPC.
            String servicePolicy = read("seed/sample/lattice-service-policy.json")
                    .replace("arn:aws:iam::615847537300:role/aws-sigv4-client", roleArn)
                    .replace("arn:aws:vpc-lattice:us-west-2:615847537300:service/svc-0891088e6cc27c501", serviceArn)
                    .replace("vpc-027baaaf7156c6075", vpcId);
            lattice.putAuthPolicy(r -> r.resourceIdentifier(service.id()).policy(servicePolicy));
        }

        listenerPort = freePort();
        gateway = GatewayProcess.start(null, vpcId, controlPlane.endpoint(), controlPlane.accessKeyId(),
                controlPlane.secretAccessKey(), dir.resolve("gateway"), "--bind", "127.0.0.1",
                "--port-offset", String.valueOf(listenerPort - 80), "--admin-port", "0", "--dns-port", "0");
        this.tokenFile = tokenFile;
    }

    private Path tokenFile;

    @AfterEach
    void tearDown() throws Exception {
        if (proxy != null) {
            proxy.destroyForcibly();
            proxy.waitFor(30, TimeUnit.SECONDS);
        }
        if (gateway != null) {
            gateway.close();
        }
        if (controlPlane != null) {
            controlPlane.close();
        }
        backend.stop(0);
    }

    @Test
    void aRequestThroughTheProxyPassesTheServicePolicyAndTheSameRequestUnsignedIsRefused() throws Exception {
        proxy = startProxy(tokenFile, true);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300))
                .until(() -> direct("/summary").statusCode() != 404);

        HttpResponse<String> signed = signedThroughTheProxy("/summary");
        assertThat(signed.body()).isEqualTo("datastore saw /summary from " + vpcId);
        assertThat(signed.statusCode()).isEqualTo(200);

        HttpResponse<String> unsigned = direct("/summary");
        assertThat(unsigned.statusCode()).isEqualTo(403);
        assertThat(unsigned.body().strip()).isEqualTo("AccessDeniedException: User: anonymous is not authorized to"
                + " perform: vpc-lattice-svcs:Invoke on resource: " + serviceArn + "/summary because no"
                + " service-based policy allows the vpc-lattice-svcs:Invoke action");

        String proxyLog = Files.readString(proxyLogFile);
        assertThat(proxyLog).contains("GET http://127.0.0.1:" + listenerPort + "/summary -> 200 in ");
        assertThat(proxyLog).doesNotContain(Files.readString(tokenFile));
    }

    @Test
    void theSdksOwnChainFindsTrellisStsThroughAwsEndpointUrlSts() throws Exception {
        proxy = startProxy(tokenFile, false);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300))
                .until(() -> direct("/popular").statusCode() != 404);

        HttpResponse<String> signed = signedThroughTheProxy("/popular");

        assertThat(signed.statusCode()).isEqualTo(200);
        assertThat(signed.body()).isEqualTo("datastore saw /popular from " + vpcId);
    }

    /**
     * One request through the proxy, which assumes the role at its first request: STS answers once the gateways serve
     * the new session's key (docs/gateway.md, "Authentication"), so the first signed request already passes.
     */
    private HttpResponse<String> signedThroughTheProxy(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxyPort + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private int proxyPort;
    private Path proxyLogFile;

    /** @param stsFlag --sts-endpoint; else AWS_ENDPOINT_URL_STS for the SDK's own default chain */
    private Process startProxy(Path tokenFile, boolean stsFlag) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx128m",
                "-cp", System.getProperty("java.class.path"), TrellisCommand.class.getName(), "sigv4-proxy",
                "--port", "127.0.0.1:0", "--name", "vpc-lattice-svcs", "--region", "us-west-2",
                "--host", "127.0.0.1:" + listenerPort, "--sign-host", domainName,
                "--upstream-url-scheme", "http", "--unsigned-payload", "-v"));
        if (stsFlag) {
            command.addAll(List.of("--sts-endpoint", controlPlane.endpoint().toString()));
        }
        proxyLogFile = Files.createTempFile(dir, "sigv4-proxy", ".log");
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(proxyLogFile.toFile());
        Map<String, String> env = builder.environment();
        env.keySet().removeIf(k -> k.startsWith("AWS_"));
        env.put("AWS_WEB_IDENTITY_TOKEN_FILE", tokenFile.toString());
        env.put("AWS_ROLE_ARN", roleArn);
        env.put("AWS_ROLE_SESSION_NAME", "frontend-pod");
        if (!stsFlag) {
            env.put("AWS_ENDPOINT_URL_STS", controlPlane.endpoint().toString());
            env.put("AWS_REGION", "us-west-2");
        }
        env.put("AWS_CONFIG_FILE", dir.resolve("no-config").toString());
        env.put("AWS_SHARED_CREDENTIALS_FILE", dir.resolve("no-credentials").toString());
        Process process = builder.start();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8));
        Pattern listening = Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+)");
        List<String> lines = new ArrayList<>();
        String line;
        while ((line = out.readLine()) != null) {
            lines.add(line);
            Matcher m = listening.matcher(line);
            if (m.find()) {
                proxyPort = Integer.parseInt(m.group(1));
            }
            if (line.startsWith("Stop with")) {
                break;
            }
        }
        if (proxyPort == 0) {
            process.destroyForcibly();
            throw new IllegalStateException("the proxy did not start: " + lines + "\n" + Files.readString(proxyLogFile));
        }
        CompletableFuture.runAsync(() -> {
            try {
                while (out.readLine() != null) {
                    // keep the pipe drained
                }
            } catch (IOException e) {
                // the process ended
            }
        });
        return process;
    }

    /** The request straight to the gateway's listener, unsigned, as an app without the sidecar would send it. */
    private HttpResponse<String> direct(String path) throws IOException, InterruptedException {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", listenerPort)) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: " + domainName
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int status = Integer.parseInt(response.substring(9, 12));
            String body = response.substring(response.indexOf("\r\n\r\n") + 4);
            return new SimpleResponse(status, body);
        } catch (IOException e) {
            return new SimpleResponse(404, "not listening yet: " + e);
        }
    }

    private static String read(String reference) throws IOException {
        return Files.readString(CliTestSupport.reference(reference));
    }

    private static String token(RSAKey key) throws Exception {
        Instant now = Instant.now();
        JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(ISSUER).subject(SERVICE_ACCOUNT)
                .audience("sts.amazonaws.com").issueTime(Date.from(now)).notBeforeTime(Date.from(now))
                .expirationTime(Date.from(now.plus(Duration.ofHours(1)))).build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID())
                .type(JOSEObjectType.JWT).build(), claims);
        jwt.sign(new RSASSASigner(key));
        return jwt.serialize();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** Status and body of a raw HTTP/1.1 exchange. */
    private record SimpleResponse(int statusCode, String body) implements HttpResponse<String> {
        @Override public HttpRequest request() { return null; }
        @Override public java.util.Optional<HttpResponse<String>> previousResponse() { return java.util.Optional.empty(); }
        @Override public java.net.http.HttpHeaders headers() { return java.net.http.HttpHeaders.of(Map.of(), (a, b) -> true); }
        @Override public java.util.Optional<javax.net.ssl.SSLSession> sslSession() { return java.util.Optional.empty(); }
        @Override public URI uri() { return null; }
        @Override public HttpClient.Version version() { return HttpClient.Version.HTTP_1_1; }
    }
}
