package dev.trellis.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trellis.auth.Principal;
import dev.trellis.auth.policy.AuthSetting;
import dev.trellis.auth.policy.AuthorizationResult;
import dev.trellis.auth.policy.Decision;
import dev.trellis.auth.policy.LatticeAction;
import dev.trellis.auth.policy.LatticeAuthorizer;
import dev.trellis.auth.policy.Policy;
import dev.trellis.auth.policy.PolicyParser;
import dev.trellis.auth.policy.RequestContext;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of IAM policy evaluation (per request, on the event loop) and of policy parsing (per PutAuthPolicy and
 * per snapshot compile).
 *
 * <ul>
 *   <li>{@link #evaluateServicePolicy}: the walkthrough's service policy for an allowed request, context already
 *       built. Target ≤ 1 µs.</li>
 *   <li>{@link #buildContextAndEvaluate}: the same plus building the {@link RequestContext} and the resource
 *       string, which is what the data plane pays per request.</li>
 *   <li>{@link #authorizeWalkthrough}: the whole Lattice decision of the walkthrough (network, service and identity
 *       policies).</li>
 *   <li>{@link #baselineHandWrittenCheck}: the floor for evaluation: the same four facts (principal, action,
 *       resource prefix, source VPC) checked by hard-coded Java with the same string comparisons. Any generic
 *       evaluator answering this question costs at least this much; the gap is what the policy engine itself
 *       adds.</li>
 *   <li>{@link #parseTenKbPolicy}: a generated, realistic auth policy just under the 10 KB limit. Target ≤ 200 µs.
 *   </li>
 *   <li>{@link #baselineJacksonReadTree}: Jackson's {@code readTree} of the same text, the floor for any parser
 *       that starts from JSON text (ours uses it, then validates and compiles).</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class PolicyBenchmark {

    /** The seed walkthrough's lattice-service-policy.json, verbatim. */
    static final String SERVICE_POLICY = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
            + "\"Principal\":{\"AWS\":\"arn:aws:iam::615847537300:role/aws-sigv4-client\"},"
            + "\"Action\":\"vpc-lattice-svcs:Invoke\","
            + "\"Resource\":\"arn:aws:vpc-lattice:us-west-2:615847537300:service/svc-0891088e6cc27c501/*\","
            + "\"Condition\":{\"StringEquals\":{\"vpc-lattice-svcs:SourceVpc\":\"vpc-027baaaf7156c6075\"}}}]}";
    /** lattice-service-network-policy.json. */
    static final String NETWORK_POLICY = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
            + "\"Principal\":\"*\",\"Action\":\"vpc-lattice-svcs:Invoke\",\"Resource\":\"*\"}]}";
    /** lattice-client-policy.json. */
    static final String CLIENT_POLICY = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
            + "\"Action\":\"vpc-lattice-svcs:Invoke\",\"Resource\":\"*\"}]}";

    static final String SERVICE_ARN = "arn:aws:vpc-lattice:us-west-2:615847537300:service/svc-0891088e6cc27c501";
    static final String ROLE_ARN = "arn:aws:iam::615847537300:role/aws-sigv4-client";
    static final String VPC = "vpc-027baaaf7156c6075";

    private final ObjectMapper mapper = new ObjectMapper();
    private Policy servicePolicy;
    private List<Policy> identityPolicies;
    private LatticeAuthorizer authorizer;
    private Principal principal;
    private RequestContext context;
    private String path;
    private String resource;
    private String action;
    private String tenKbPolicy;
    private String requestVpc;

    @Setup
    public void setUp() {
        servicePolicy = Policy.parseAuthPolicy(SERVICE_POLICY);
        identityPolicies = List.of(Policy.parseIdentityPolicy(CLIENT_POLICY));
        authorizer = new LatticeAuthorizer(SERVICE_ARN, AuthSetting.awsIam(Policy.parseAuthPolicy(NETWORK_POLICY)),
                AuthSetting.awsIam(servicePolicy));
        principal = Principal.assumedRole("aws", "615847537300", "/", "aws-sigv4-client", "AROAY6XLCLIENTROLE",
                "frontend-7d9f", Map.of());
        path = new String("/summary".toCharArray()); // not an interned constant, as a decoded request path is not
        action = new String("vpc-lattice-svcs:Invoke".toCharArray());
        resource = SERVICE_ARN + path;
        requestVpc = new String(VPC.toCharArray());
        context = newContext();
        tenKbPolicy = generateAuthPolicy(PolicyParser.AUTH_POLICY_MAX_BYTES - 200);
        if (servicePolicy.evaluate(action, resource, context) != Decision.ALLOW
                || !authorizer.authorize(LatticeAction.INVOKE, path, identityPolicies, context).isAllowed()
                || !baselineHandWrittenCheck()) {
            throw new IllegalStateException("the benchmark request must be allowed");
        }
        PolicyParser.parseAuthPolicy(tenKbPolicy); // must be valid
    }

    private RequestContext newContext() {
        return RequestContext.builder(principal)
                .port(443)
                .method("GET")
                .path(path)
                .serviceArn(SERVICE_ARN)
                .sourceVpc(requestVpc)
                .sourceVpcOwnerAccount("615847537300")
                .sourceIp("10.0.1.7")
                .secureTransport(true)
                .build();
    }

    @Benchmark
    public Decision evaluateServicePolicy() {
        return servicePolicy.evaluate(action, resource, context);
    }

    @Benchmark
    public Decision buildContextAndEvaluate() {
        RequestContext c = newContext();
        return servicePolicy.evaluate(action, SERVICE_ARN + path, c);
    }

    @Benchmark
    public AuthorizationResult authorizeWalkthrough() {
        return authorizer.authorize(LatticeAction.INVOKE, path, identityPolicies, context);
    }

    @Benchmark
    public boolean baselineHandWrittenCheck() {
        return principal.principalArn().equals(ROLE_ARN)
                && action.equalsIgnoreCase("vpc-lattice-svcs:Invoke")
                && resource.startsWith(SERVICE_ARN + "/", 0)
                && VPC.equals(requestVpc);
    }

    @Benchmark
    public Policy parseTenKbPolicy() {
        return PolicyParser.parseAuthPolicy(tenKbPolicy);
    }

    @Benchmark
    public JsonNode baselineJacksonReadTree() throws Exception {
        return mapper.readTree(tenKbPolicy);
    }

    /**
     * A realistic auth policy of about {@code targetBytes}: statements for several client roles and accounts, each
     * with the kinds of conditions Lattice users write (source VPC, paths, methods, headers, source IP, org id,
     * query parameters), plus a few denies.
     */
    static String generateAuthPolicy(int targetBytes) {
        StringBuilder doc = new StringBuilder("{\"Version\":\"2012-10-17\",\"Id\":\"generated\",\"Statement\":[");
        String[] methods = {"GET", "POST", "PUT", "DELETE"};
        int i = 0;
        while (true) {
            StringBuilder s = new StringBuilder();
            String account = String.format("%012d", 111122223333L + i);
            if (i % 5 == 4) {
                s.append("{\"Sid\":\"deny-").append(i).append("\",\"Effect\":\"Deny\",\"Principal\":\"*\",")
                        .append("\"Action\":\"vpc-lattice-svcs:Invoke\",\"Resource\":\"").append(SERVICE_ARN)
                        .append("/admin/*\",\"Condition\":{\"NotIpAddress\":{\"aws:SourceIp\":[\"10.")
                        .append(i % 250).append(".0.0/16\",\"fd00:ec2:80::/64\"]},")
                        .append("\"StringNotEquals\":{\"aws:PrincipalOrgID\":\"o-abcdef").append(i).append("\"}}}");
            } else {
                s.append("{\"Sid\":\"allow-").append(i).append("\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":[")
                        .append("\"arn:aws:iam::").append(account).append(":role/client-").append(i).append("\",")
                        .append("\"arn:aws:iam::").append(account).append(":root\"]},")
                        .append("\"Action\":[\"vpc-lattice-svcs:Invoke\"],\"Resource\":[\"").append(SERVICE_ARN)
                        .append("/api/v").append(i % 3 + 1).append("/*\"],\"Condition\":{")
                        .append("\"StringEquals\":{\"vpc-lattice-svcs:SourceVpc\":[\"vpc-0").append(i)
                        .append("aaaf7156c607\",\"vpc-0").append(i).append("bbbf7156c607\"],")
                        .append("\"vpc-lattice-svcs:RequestMethod\":\"").append(methods[i % 4]).append("\"},")
                        .append("\"StringLike\":{\"vpc-lattice-svcs:RequestHeader/x-team\":\"team-*\"},")
                        .append("\"NumericEquals\":{\"vpc-lattice-svcs:Port\":[80,443]},")
                        .append("\"ForAnyValue:StringEquals\":{\"vpc-lattice-svcs:RequestQueryString/v\":[\"1\",\"2\"]},")
                        .append("\"Bool\":{\"aws:SecureTransport\":\"true\"}}}");
            }
            int projected = doc.length() + (i == 0 ? 0 : 1) + s.length() + 2;
            if (projected > targetBytes) {
                break;
            }
            if (i > 0) {
                doc.append(',');
            }
            doc.append(s);
            i++;
        }
        doc.append("]}");
        return doc.toString();
    }

    /** Prints the generated policy's size, for checking the benchmark input by hand. */
    public static void main(String[] args) {
        String text = generateAuthPolicy(PolicyParser.AUTH_POLICY_MAX_BYTES - 200);
        System.out.println(text.getBytes(StandardCharsets.UTF_8).length + " bytes, "
                + PolicyParser.parseAuthPolicy(text).statements().size() + " statements");
    }
}
