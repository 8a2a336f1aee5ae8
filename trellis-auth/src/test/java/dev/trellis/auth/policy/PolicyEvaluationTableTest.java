package dev.trellis.auth.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every operator, qualifier, variable and matching rule, as a readable table: {@code evaluation-cases.txt} next to
 * this class. Each line is one policy, one request and the decision the policy must give.
 */
class PolicyEvaluationTableTest {

    static final String SERVICE_ARN = "arn:aws:vpc-lattice:us-west-2:111122223333:service/svc-0123456789abcdef0";
    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void decides(String description, Decision expected, String principal, String action, String resource,
                 String context, String statement) throws IOException {
        Policy policy = PolicyParser.parse(policyText(statement), PolicyKind.RESOURCE_BASED);
        RequestContext request = context(principal, context);

        Decision decision = policy.evaluate(action, resource, request);

        assertThat(decision).as(description).isEqualTo(expected);
    }

    static Stream<Arguments> cases() throws IOException {
        List<Arguments> out = new ArrayList<>();
        try (InputStream in = PolicyEvaluationTableTest.class.getResourceAsStream("evaluation-cases.txt")) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            for (String line : text.split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] cells = line.split("\\|", 7);
                if (cells.length != 7) {
                    throw new IllegalStateException("expected 7 cells in: " + line);
                }
                for (int i = 0; i < cells.length; i++) {
                    cells[i] = cells[i].trim().replace("<svc>", SERVICE_ARN);
                }
                String action = cells[3].equals("-") ? "vpc-lattice-svcs:Invoke" : cells[3];
                String resource = cells[4].equals("-") ? SERVICE_ARN + "/summary" : cells[4];
                out.add(Arguments.of(cells[0], Decision.valueOf(cells[1]), cells[2], action, resource, cells[5],
                        cells[6]));
            }
        }
        return out.stream();
    }

    /** Completes a statement cell into a policy (see the table's header). */
    private static String policyText(String cell) throws IOException {
        ObjectNode node = (ObjectNode) JSON.readTree(cell);
        if (node.has("Statement")) {
            return cell;
        }
        if (!node.has("Effect")) {
            node.put("Effect", "Allow");
        }
        if (!node.has("Principal") && !node.has("NotPrincipal")) {
            node.put("Principal", "*");
        }
        if (!node.has("Action") && !node.has("NotAction")) {
            node.put("Action", "vpc-lattice-svcs:Invoke");
        }
        if (!node.has("Resource") && !node.has("NotResource")) {
            node.put("Resource", "*");
        }
        return "{\"Version\":\"2012-10-17\",\"Statement\":[" + JSON.writeValueAsString(node) + "]}";
    }

    /** Builds the request context from "key=value; key=[a,b]" with real condition key names. */
    static RequestContext context(String principal, String spec) {
        RequestContext.Builder b = RequestContext.builder(TestPrincipals.named(principal));
        Map<String, String> resourceTags = new HashMap<>();
        if (!spec.equals("-")) {
            for (String pair : spec.split(";")) {
                String p = pair.trim();
                int eq = p.indexOf('=');
                String key = p.substring(0, eq);
                String raw = p.substring(eq + 1);
                List<String> values = raw.startsWith("[") && raw.endsWith("]")
                        ? Arrays.asList(raw.substring(1, raw.length() - 1).split(","))
                        : List.of(raw);
                String lower = key.toLowerCase(java.util.Locale.ROOT);
                if (lower.equals("vpc-lattice-svcs:port")) {
                    b.port(Integer.parseInt(raw));
                } else if (lower.equals("vpc-lattice-svcs:requestmethod")) {
                    b.method(raw);
                } else if (lower.equals("vpc-lattice-svcs:requestpath")) {
                    b.path(raw);
                } else if (lower.startsWith("vpc-lattice-svcs:requestheader/")) {
                    values.forEach(v -> b.header(key.substring(key.indexOf('/') + 1), v));
                } else if (lower.startsWith("vpc-lattice-svcs:requestquerystring/")) {
                    values.forEach(v -> b.queryParameter(key.substring(key.indexOf('/') + 1), v));
                } else if (lower.equals("vpc-lattice-svcs:servicearn")) {
                    b.serviceArn(raw);
                } else if (lower.equals("vpc-lattice-svcs:servicenetworkarn")) {
                    b.serviceNetworkArn(raw);
                } else if (lower.equals("vpc-lattice-svcs:sourcevpc")) {
                    b.sourceVpc(raw);
                } else if (lower.equals("vpc-lattice-svcs:sourcevpcowneraccount")) {
                    b.sourceVpcOwnerAccount(raw);
                } else if (lower.equals("aws:sourceip")) {
                    b.sourceIp(raw);
                } else if (lower.equals("aws:currenttime")) {
                    b.requestTime(Instant.parse(raw));
                } else if (lower.equals("aws:securetransport")) {
                    b.secureTransport(Boolean.parseBoolean(raw));
                } else if (lower.startsWith("aws:resourcetag/")) {
                    resourceTags.put(key.substring(key.indexOf('/') + 1), raw);
                } else if (values.size() == 1 && !raw.startsWith("[")) {
                    b.put(key, raw);
                } else {
                    b.put(key, values);
                }
            }
        }
        if (!resourceTags.isEmpty()) {
            b.resourceTags(resourceTags);
        }
        return b.build();
    }
}
