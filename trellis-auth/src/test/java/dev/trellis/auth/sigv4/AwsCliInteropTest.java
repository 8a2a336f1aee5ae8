package dev.trellis.auth.sigv4;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.trellis.auth.Principal;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * The AWS CLI (v1, botocore) as a real client: it calls a real HTTP server on loopback, which verifies every
 * request with {@link SigV4Verifier} and answers in the calling protocol's success or error format, so the CLI also
 * proves it understands the error codes. {@code vpc-lattice-svcs} has no CLI command: those requests are signed with
 * the CLI's own library (botocore {@code SigV4Auth} / {@code SigV4QueryAuth}).
 *
 * <p>CI installs the CLI. Without it these tests fail with a clear message, unless
 * {@code TRELLIS_SKIP_AWS_CLI_TESTS=1}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AwsCliInteropTest {

    static final String REGION = "us-west-2";
    static final String ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE";
    static final String SESSION_ACCESS_KEY = "ASIAIOSFODNN7EXAMPLE";
    static final String SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    static final String SESSION_SECRET = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY";
    static final String SESSION_TOKEN = "FwoGZXIvYXdzEXAMPLE//////////wEaDExampleToken+With/Slashes=";
    static final Principal USER = Principal.user("aws", "111122223333", "/", "alice", "AIDAEXAMPLEALICE", Map.of());
    static final Principal ROLE_SESSION = Principal.assumedRole("aws", "111122223333", "/", "frontend",
            "AROAEXAMPLEFRONTEND", "cli", Map.of());

    private HttpServer server;
    private String endpoint;
    private final AtomicReference<SigV4Verifier> verifier = new AtomicReference<>();
    private final AtomicReference<SigV4Outcome> lastOutcome = new AtomicReference<>();
    private final AtomicReference<SignedRequest> lastRequest = new AtomicReference<>();
    private volatile String currentSigningName;

    @BeforeAll
    void requireTheCliAndStartTheServer() throws IOException {
        boolean skip = "1".equals(System.getenv("TRELLIS_SKIP_AWS_CLI_TESTS"));
        for (String tool : List.of("aws", "python3")) {
            if (findOnPath(tool) == null) {
                assumeFalse(skip, "TRELLIS_SKIP_AWS_CLI_TESTS=1: skipping the AWS CLI tests (no '" + tool + "')");
                fail("'" + tool + "' is not on PATH. These tests run the AWS CLI v1 (botocore) against a real "
                        + "server; install it (pip install awscli) or set TRELLIS_SKIP_AWS_CLI_TESTS=1 to skip them.");
            }
        }
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
        endpoint = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterAll
    void stopTheServer() {
        if (server != null) {
            server.stop(0);
        }
    }

    // -------------------------------------------------------------------------------------------------------------
    // the server side
    // -------------------------------------------------------------------------------------------------------------

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String rawPath = exchange.getRequestURI().getRawPath();
            String rawQuery = exchange.getRequestURI().getRawQuery();
            SignedRequest.Builder builder = SignedRequest.builder(exchange.getRequestMethod(), rawPath, rawQuery);
            exchange.getRequestHeaders().forEach((name, values) -> values.forEach(v -> builder.header(name, v)));
            byte[] body = exchange.getRequestBody().readAllBytes();
            // The gateway streams bodies: it only knows whether there is one.
            SignedRequest request = !"vpc-lattice-svcs".equals(currentSigningName) ? builder.body(body).build()
                    : body.length == 0 ? builder.emptyBody().build() : builder.bodyNotRead().build();
            lastRequest.set(request);
            SigV4Outcome outcome = verifier.get().verify(request);
            lastOutcome.set(outcome);
            AwsProtocolFamily family = AwsProtocolFamily.forSigningName(currentSigningName).orElseThrow();
            if (outcome instanceof SigV4Outcome.Authenticated ok) {
                respond(exchange, 200, successContentType(family), successBody(ok), Map.of());
            } else {
                SigV4Failure failure = outcome instanceof SigV4Outcome.Rejected r ? r.failure()
                        : SigV4Failure.missingAuthentication();
                respondError(exchange, family, failure.toAwsError(family));
            }
        }
    }

    private String successBody(SigV4Outcome.Authenticated ok) {
        return switch (currentSigningName) {
            case "vpc-lattice" -> "{\"items\":[]}";
            case "acm" -> "{\"CertificateSummaryList\":[]}";
            case "iam" -> "<ListUsersResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><ListUsersResult>"
                    + "<IsTruncated>false</IsTruncated><Users/></ListUsersResult><ResponseMetadata><RequestId>r-1"
                    + "</RequestId></ResponseMetadata></ListUsersResponse>";
            case "sts" -> "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
                    + "<GetCallerIdentityResult><Arn>" + ok.principal().arn() + "</Arn><UserId>"
                    + ok.principal().userId() + "</UserId><Account>" + ok.principal().accountId()
                    + "</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r-1</RequestId>"
                    + "</ResponseMetadata></GetCallerIdentityResponse>";
            case "ec2" -> "<DescribeVpcsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>r-1"
                    + "</requestId><vpcSet/></DescribeVpcsResponse>";
            case "route53" -> "<?xml version=\"1.0\"?><ListHostedZonesResponse xmlns=\"https://route53.amazonaws.com/"
                    + "doc/2013-04-01/\"><HostedZones/><IsTruncated>false</IsTruncated><MaxItems>100</MaxItems>"
                    + "</ListHostedZonesResponse>";
            default -> "authenticated " + ok.principal().arn();
        };
    }

    private static String successContentType(AwsProtocolFamily family) {
        return switch (family) {
            case REST_JSON -> "application/json";
            case JSON_1_1 -> "application/x-amz-json-1.1";
            case QUERY, REST_XML, EC2 -> "text/xml";
            case LATTICE_DATA_PLANE -> "text/plain";
        };
    }

    /** Renders an authentication error the way each protocol carries errors (what botocore's parsers read). */
    private static void respondError(HttpExchange exchange, AwsProtocolFamily family, AwsAuthError error)
            throws IOException {
        switch (family) {
            case REST_JSON -> respond(exchange, error.httpStatus(), "application/json",
                    "{\"message\":" + jsonString(error.message()) + "}", Map.of("x-amzn-ErrorType", error.code()));
            case JSON_1_1 -> respond(exchange, error.httpStatus(), "application/x-amz-json-1.1",
                    "{\"__type\":\"" + error.code() + "\",\"message\":" + jsonString(error.message()) + "}", Map.of());
            case QUERY, REST_XML -> respond(exchange, error.httpStatus(), "text/xml",
                    "<ErrorResponse><Error><Type>" + error.faultType() + "</Type><Code>" + error.code() + "</Code>"
                            + "<Message>" + xml(error.message()) + "</Message></Error><RequestId>r-1</RequestId>"
                            + "</ErrorResponse>", Map.of());
            case EC2 -> respond(exchange, error.httpStatus(), "text/xml;charset=UTF-8",
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>" + error.code()
                            + "</Code><Message>" + xml(error.message()) + "</Message></Error></Errors>"
                            + "<RequestID>r-1</RequestID></Response>", Map.of());
            case LATTICE_DATA_PLANE -> respond(exchange, error.httpStatus(), "text/plain", error.plainTextBody(),
                    Map.of());
        }
    }

    private static void respond(HttpExchange exchange, int status, String contentType, String body,
                                Map<String, String> headers) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.getResponseHeaders().set("x-amzn-RequestId", "r-1");
        headers.forEach(exchange.getResponseHeaders()::set);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static String jsonString(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private static String xml(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace("'", "&apos;");
    }

    // -------------------------------------------------------------------------------------------------------------
    // the client side
    // -------------------------------------------------------------------------------------------------------------

    record CliRun(int exitCode, String stdout, String stderr) {
    }

    private void serve(String signingName, Clock clock, SigningCredential... credentials) {
        currentSigningName = signingName;
        lastOutcome.set(null);
        lastRequest.set(null);
        verifier.set(SigV4Verifier.builder().signingName(signingName).region(REGION)
                .requireSignedContentSha256(signingName.equals("vpc-lattice-svcs"))
                .credentials(CredentialResolver.of(credentials)).clock(clock).build());
    }

    private static SigningCredential longTerm() {
        return SigningCredential.builder(ACCESS_KEY, USER).secretAccessKey(SECRET).build();
    }

    private static SigningCredential session(Instant expiresAt) {
        return SigningCredential.builder(SESSION_ACCESS_KEY, ROLE_SESSION).secretAccessKey(SESSION_SECRET)
                .sessionToken(SESSION_TOKEN).expiresAt(expiresAt).build();
    }

    private static Map<String, String> env(String accessKeyId, String secret, String token) {
        Map<String, String> env = new HashMap<>();
        env.put("AWS_ACCESS_KEY_ID", accessKeyId);
        env.put("AWS_SECRET_ACCESS_KEY", secret);
        if (token != null) {
            env.put("AWS_SESSION_TOKEN", token);
        }
        env.put("AWS_DEFAULT_REGION", REGION);
        env.put("AWS_CONFIG_FILE", "/dev/null");
        env.put("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
        env.put("AWS_MAX_ATTEMPTS", "1");
        env.put("AWS_RETRY_MODE", "standard");
        env.put("AWS_EC2_METADATA_DISABLED", "true");
        return env;
    }

    private CliRun run(Map<String, String> env, List<String> command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().keySet().removeIf(k -> k.startsWith("AWS_"));
        pb.environment().putAll(env);
        Path out = Files.createTempFile("aws-cli", ".out");
        Path err = Files.createTempFile("aws-cli", ".err");
        try {
            pb.redirectOutput(out.toFile()).redirectError(err.toFile());
            Process process = pb.start();
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                fail("timed out: " + command);
            }
            return new CliRun(process.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    private CliRun aws(Map<String, String> env, String service, String operation) throws Exception {
        return run(env, List.of("aws", "--endpoint-url", endpoint, "--output", "json", service, operation));
    }

    /** One CLI command per API, and the operation name botocore prints in errors. */
    static Stream<Arguments> cliCommands() {
        return Stream.of(
                Arguments.of("vpc-lattice", "list-services", "ListServices", "InvalidSignatureException"),
                Arguments.of("iam", "list-users", "ListUsers", "SignatureDoesNotMatch"),
                Arguments.of("sts", "get-caller-identity", "GetCallerIdentity", "SignatureDoesNotMatch"),
                Arguments.of("acm", "list-certificates", "ListCertificates", "InvalidSignatureException"),
                Arguments.of("route53", "list-hosted-zones", "ListHostedZones", "SignatureDoesNotMatch"),
                Arguments.of("ec2", "describe-vpcs", "DescribeVpcs", "AuthFailure"));
    }

    @ParameterizedTest(name = "aws {0} {1} with a long-term key")
    @MethodSource("cliCommands")
    void verifiesCliRequestsSignedWithALongTermKey(String service, String command, String operation, String code)
            throws Exception {
        serve(service, Clock.systemUTC(), longTerm(), session(Instant.now().plus(Duration.ofHours(1))));

        CliRun run = aws(env(ACCESS_KEY, SECRET, null), service, command);

        assertThat(lastOutcome.get()).as("server saw: %s; CLI said: %s", lastRequest.get(), run.stderr())
                .isInstanceOf(SigV4Outcome.Authenticated.class);
        SigV4Outcome.Authenticated ok = (SigV4Outcome.Authenticated) lastOutcome.get();
        assertThat(ok.principal()).isEqualTo(USER);
        assertThat(ok.service()).isEqualTo(service);
        assertThat(ok.region()).isEqualTo(REGION);
        assertThat(run.exitCode()).as(run.stderr()).isZero();
    }

    @ParameterizedTest(name = "aws {0} {1} with session credentials")
    @MethodSource("cliCommands")
    void verifiesCliRequestsSignedWithSessionCredentials(String service, String command, String operation,
                                                         String code) throws Exception {
        serve(service, Clock.systemUTC(), longTerm(), session(Instant.now().plus(Duration.ofHours(1))));

        CliRun run = aws(env(SESSION_ACCESS_KEY, SESSION_SECRET, SESSION_TOKEN), service, command);

        assertThat(lastOutcome.get()).as("CLI said: %s", run.stderr()).isInstanceOf(SigV4Outcome.Authenticated.class);
        SigV4Outcome.Authenticated ok = (SigV4Outcome.Authenticated) lastOutcome.get();
        assertThat(ok.principal()).isEqualTo(ROLE_SESSION);
        assertThat(ok.temporary()).isTrue();
        assertThat(run.exitCode()).as(run.stderr()).isZero();
        if (service.equals("sts")) {
            assertThat(run.stdout()).contains("arn:aws:sts::111122223333:assumed-role/frontend/cli");
        }
    }

    @ParameterizedTest(name = "aws {0} {1} with a wrong secret fails with {3}")
    @MethodSource("cliCommands")
    void cliReportsTheProtocolsSignatureErrorForAWrongSecret(String service, String command, String operation,
                                                             String code) throws Exception {
        serve(service, Clock.systemUTC(), longTerm());

        CliRun run = aws(env(ACCESS_KEY, "wrong" + SECRET, null), service, command);

        assertThat(run.exitCode()).isNotZero();
        String message = code.equals("AuthFailure")
                ? "AWS was not able to validate the provided access credentials"
                : "The request signature we calculated does not match the signature you provided. Check your AWS "
                        + "Secret Access Key and signing method. Consult the service documentation for details.";
        assertThat(cliError(run)).isEqualTo("An error occurred (" + code + ") when calling the " + operation
                + " operation: " + message);
    }

    @Test
    void cliReportsAuthFailureForAnUnknownAccessKeyOverEc2() throws Exception {
        serve("ec2", Clock.systemUTC(), longTerm());

        CliRun run = aws(env("AKIAUNKNOWNEXAMPLE00", SECRET, null), "ec2", "describe-vpcs");

        assertThat(cliError(run)).isEqualTo("An error occurred (AuthFailure) when calling the DescribeVpcs "
                + "operation: AWS was not able to validate the provided access credentials");
    }

    @Test
    void cliReportsRequestExpiredOverEc2WhenTheServerClockIsTenMinutesAhead() throws Exception {
        serve("ec2", Clock.offset(Clock.systemUTC(), Duration.ofMinutes(10)), longTerm());

        CliRun run = aws(env(ACCESS_KEY, SECRET, null), "ec2", "describe-vpcs");

        assertThat(cliError(run)).isEqualTo("An error occurred (RequestExpired) when calling the DescribeVpcs "
                + "operation: Request has expired.");
    }

    @Test
    void cliReportsUnrecognizedClientForAnUnknownAccessKey() throws Exception {
        serve("vpc-lattice", Clock.systemUTC(), longTerm());

        CliRun run = aws(env("AKIAUNKNOWNEXAMPLE00", SECRET, null), "vpc-lattice", "list-services");

        assertThat(cliError(run)).isEqualTo("An error occurred (UnrecognizedClientException) when calling the "
                + "ListServices operation: The security token included in the request is invalid.");
    }

    @Test
    void cliReportsExpiredTokenForExpiredSessionCredentials() throws Exception {
        serve("sts", Clock.systemUTC(), session(Instant.now().minusSeconds(60)));

        CliRun run = aws(env(SESSION_ACCESS_KEY, SESSION_SECRET, SESSION_TOKEN), "sts", "get-caller-identity");

        assertThat(cliError(run)).isEqualTo("An error occurred (ExpiredToken) when calling the GetCallerIdentity "
                + "operation: The security token included in the request is expired");
    }

    @Test
    void cliReportsSignatureExpiredWhenTheServerClockIsTenMinutesAhead() throws Exception {
        serve("acm", Clock.offset(Clock.systemUTC(), Duration.ofMinutes(10)), longTerm());

        CliRun run = aws(env(ACCESS_KEY, SECRET, null), "acm", "list-certificates");

        assertThat(cliError(run)).matches("An error occurred \\(InvalidSignatureException\\) when calling the "
                + "ListCertificates operation: Signature expired: \\d{8}T\\d{6}Z is now earlier than \\d{8}T\\d{6}Z "
                + "\\(\\d{8}T\\d{6}Z - 5 min\\.\\)");
    }

    // -------------------------------------------------------------------------------------------------------------
    // vpc-lattice-svcs, signed with botocore directly
    // -------------------------------------------------------------------------------------------------------------

    /** Signs a request with botocore's SigV4Auth (or SigV4QueryAuth), sends it, prints the status and body. */
    private static final String BOTOCORE_SIGN_AND_SEND = """
            import http.client, os, sys
            from botocore.auth import SigV4Auth, SigV4QueryAuth
            from botocore.awsrequest import AWSRequest
            from botocore.credentials import Credentials
            port, method, target, host, presign = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
            body = sys.argv[6].encode() if len(sys.argv) > 6 else None
            creds = Credentials(os.environ['AWS_ACCESS_KEY_ID'], os.environ['AWS_SECRET_ACCESS_KEY'],
                                os.environ.get('AWS_SESSION_TOKEN'))
            headers = {'Host': host, 'Accept': 'application/json', 'X-Request-Id': 'r-42'}
            if presign != 'presign':
                headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD'
            request = AWSRequest(method=method, url='http://%s%s' % (host, target), headers=headers, data=body)
            if presign == 'presign':
                SigV4QueryAuth(creds, 'vpc-lattice-svcs', 'us-west-2', expires=300).add_auth(request)
            else:
                SigV4Auth(creds, 'vpc-lattice-svcs', 'us-west-2').add_auth(request)
            prepared = request.prepare()
            path = prepared.url[len('http://' + host):]
            connection = http.client.HTTPConnection('127.0.0.1', int(port), timeout=30)
            connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            for name, value in prepared.headers.items():
                connection.putheader(name, value)
            connection.endheaders(body)
            response = connection.getresponse()
            print(response.status, response.read().decode())
            """;

    static Stream<Arguments> latticeCalls() {
        return Stream.of(
                Arguments.of("GET", "/summary?window=1h&tag=a%20b", null, "header"),
                Arguments.of("POST", "/orders/2026/03", "{\"item\":\"book\"}", "header"),
                Arguments.of("GET", "/summary?window=1h&tag=a%20b", null, "presign"),
                Arguments.of("GET", "/reports/q%C3%A9/x.json", null, "header"));
    }

    @ParameterizedTest(name = "{0} {1} ({3}) signed by botocore for vpc-lattice-svcs")
    @MethodSource("latticeCalls")
    void verifiesLatticeDataPlaneRequestsSignedByBotocore(String method, String target, String body, String form)
            throws Exception {
        serve("vpc-lattice-svcs", Clock.systemUTC(), session(Instant.now().plus(Duration.ofHours(1))));
        Path script = Files.createTempFile("botocore-sign", ".py");
        Files.writeString(script, BOTOCORE_SIGN_AND_SEND);
        try {
            List<String> command = new ArrayList<>(List.of("python3", script.toString(),
                    Integer.toString(server.getAddress().getPort()), method, target,
                    "datastore-0a1b2c3d4e5f67890.7d67968.vpc-lattice-svcs.us-west-2.on.aws", form));
            if (body != null) {
                command.add(body);
            }
            CliRun run = run(env(SESSION_ACCESS_KEY, SESSION_SECRET, SESSION_TOKEN), command);

            assertThat(lastOutcome.get()).as("botocore: %s %s", run.stdout(), run.stderr())
                    .isInstanceOf(SigV4Outcome.Authenticated.class);
            assertThat(((SigV4Outcome.Authenticated) lastOutcome.get()).principal()).isEqualTo(ROLE_SESSION);
            assertThat(run.stdout()).startsWith("200 authenticated arn:aws:sts::111122223333:assumed-role/frontend/cli");
        } finally {
            Files.deleteIfExists(script);
        }
    }

    @Test
    void rejectsLatticeRequestSignedByBotocoreWithAWrongSecretAsA403PlainTextBody() throws Exception {
        serve("vpc-lattice-svcs", Clock.systemUTC(), session(Instant.now().plus(Duration.ofHours(1))));
        Path script = Files.createTempFile("botocore-sign", ".py");
        Files.writeString(script, BOTOCORE_SIGN_AND_SEND);
        try {
            CliRun run = run(env(SESSION_ACCESS_KEY, "wrong", SESSION_TOKEN), List.of("python3", script.toString(),
                    Integer.toString(server.getAddress().getPort()), "GET", "/summary", "svc.example.com", "header"));

            assertThat(run.stdout().strip()).isEqualTo("403 InvalidSignatureException: The request signature we "
                    + "calculated does not match the signature you provided. Check your AWS Secret Access Key and "
                    + "signing method. Consult the service documentation for details.");
        } finally {
            Files.deleteIfExists(script);
        }
    }

    /** The CLI's error line, without the "(reached max retries: N)" note botocore inserts. */
    private static String cliError(CliRun run) {
        assertThat(run.exitCode()).as("exit code").isNotZero();
        return run.stderr().strip().replaceFirst(" operation \\(reached max retries: \\d+\\):", " operation:");
    }

    private static Path findOnPath(String tool) {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String dir : path.split(File.pathSeparator)) {
            Path candidate = Path.of(dir, tool);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }
}
