package dev.trellis.auth.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** What the parser accepts, and the exact message of everything it rejects ({@code parse-errors.txt}). */
class PolicyParserTest {

    private static final String S = "\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"*\",\"Resource\":\"*\"";

    @ParameterizedTest(name = "{0}")
    @MethodSource("errors")
    void rejectsWithAnExactMessage(String description, PolicyKind kind, String document, String message) {
        assertThatThrownBy(() -> PolicyParser.parse(document, kind))
                .as(description)
                .isInstanceOf(PolicyParseException.class)
                .hasMessage(message);
    }

    static Stream<Arguments> errors() throws IOException {
        List<Arguments> out = new ArrayList<>();
        try (InputStream in = PolicyParserTest.class.getResourceAsStream("parse-errors.txt")) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] cells = line.split(" \\| ", 4);
                if (cells.length != 4) {
                    throw new IllegalStateException("expected 4 cells in: " + line);
                }
                PolicyKind kind = cells[1].trim().equals("identity") ? PolicyKind.IDENTITY_BASED
                        : PolicyKind.RESOURCE_BASED;
                out.add(Arguments.of(cells[0].trim(), kind, cells[2].trim().replace("{S", "{" + S),
                        cells[3].trim()));
            }
        }
        return out.stream();
    }

    @Test
    void reportsTheLineAndColumnOfMalformedJson() {
        String document = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\",}\n  ]\n}";

        assertThatThrownBy(() -> PolicyParser.parse(document, PolicyKind.RESOURCE_BASED))
                .isInstanceOf(PolicyParseException.class)
                .hasMessage("policy: invalid JSON at line 4, column 24: Unexpected character ('}' (code 125)):"
                        + " was expecting double-quote to start field name");
    }

    @Test
    void rejectsDuplicateKeysBecauseJsonDoesNotSayWhichWins() {
        String document = "{\"Statement\":[{" + S + ",\"Effect\":\"Deny\"}]}";

        assertThatThrownBy(() -> PolicyParser.parse(document, PolicyKind.RESOURCE_BASED))
                .isInstanceOf(PolicyParseException.class)
                .hasMessage("policy: invalid JSON at line 1, column 85: Duplicate field 'Effect'");
    }

    @Test
    void rejectsTextAfterTheDocument() {
        assertThatThrownBy(() -> PolicyParser.parse("{\"Statement\":{" + S + "}} {}", PolicyKind.RESOURCE_BASED))
                .isInstanceOf(PolicyParseException.class)
                .hasMessage("policy: invalid JSON at line 1, column 78: unexpected text after the end of the document");
    }

    @Test
    void acceptsAnAuthPolicyOfExactlyTheSizeLimit() {
        String document = padTo("{\"Version\":\"2012-10-17\",\"Statement\":{" + S + "}}",
                PolicyParser.AUTH_POLICY_MAX_BYTES);

        assertThat(Policy.parseAuthPolicy(document).statements()).hasSize(1);
    }

    @Test
    void rejectsAnAuthPolicyOneByteOverTheSizeLimitCountingUtf8Bytes() {
        // "é" is two bytes of UTF-8: 10,240 characters of which one is é make 10,241 bytes.
        String document = padTo("{\"Version\":\"2012-10-17\",\"Id\":\"é\",\"Statement\":{" + S + "}}",
                PolicyParser.AUTH_POLICY_MAX_BYTES);

        assertThatThrownBy(() -> Policy.parseAuthPolicy(document))
                .isInstanceOf(PolicyParseException.class)
                .hasMessage("policy: is 10241 bytes of UTF-8; auth policies are limited to 10240 bytes (10 KB)");
    }

    @Test
    void doesNotLimitIdentityPolicies() {
        String document = padTo("{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\","
                + "\"Resource\":\"*\"}}", 20_000);

        assertThat(Policy.parseIdentityPolicy(document).kind()).isEqualTo(PolicyKind.IDENTITY_BASED);
    }

    @Test
    void readsTheVersionIdAndStatements() {
        Policy policy = Policy.parseAuthPolicy("{\"Version\":\"2012-10-17\",\"Id\":\"lattice-1\",\"Statement\":["
                + "{\"Sid\":\"a\"," + S + "},{\"Sid\":\"b\",\"Effect\":\"Deny\",\"Principal\":{\"AWS\":\"111122223333\"},"
                + "\"NotAction\":\"vpc-lattice-svcs:Invoke\",\"Resource\":\"*\",\"Condition\":{\"Bool\":"
                + "{\"aws:SecureTransport\":\"false\"},\"Null\":{\"aws:PrincipalOrgID\":\"true\"}}}]}");

        assertThat(policy.version()).isEqualTo(PolicyVersion.V2012_10_17);
        assertThat(policy.hasExplicitVersion()).isTrue();
        assertThat(policy.id()).contains("lattice-1");
        assertThat(policy.statements()).extracting(s -> s.sid().orElseThrow()).containsExactly("a", "b");
        assertThat(policy.statements()).extracting(Statement::effect).containsExactly(Effect.Allow, Effect.Deny);
        assertThat(policy.statements().get(1).conditionCount()).isEqualTo(2);
    }

    @Test
    void treatsAMissingVersionAsTheOldLanguage() {
        Policy policy = Policy.parseAuthPolicy("{\"Statement\":{" + S + "}}");

        assertThat(policy.version()).isEqualTo(PolicyVersion.V2008_10_17);
        assertThat(policy.hasExplicitVersion()).isFalse();
    }

    @Test
    void allowsEmptySidsToRepeat() {
        Policy policy = Policy.parseAuthPolicy("{\"Statement\":[{\"Sid\":\"\"," + S + "},{\"Sid\":\"\"," + S + "}]}");

        assertThat(policy.statements()).hasSize(2);
    }

    @Test
    void acceptsEveryOperatorWithIfExistsAndBothQualifiers() {
        for (ConditionOperator op : ConditionOperator.values()) {
            String value = sampleValue(op);
            List<String> names = new ArrayList<>(List.of(op.name()));
            if (op != ConditionOperator.Null) {
                names.add(op.name() + "IfExists");
                names.add("ForAllValues:" + op.name());
                names.add("ForAnyValue:" + op.name() + "IfExists");
            }
            for (String name : names) {
                String document = "{\"Version\":\"2012-10-17\",\"Statement\":{" + S + ",\"Condition\":{\"" + name
                        + "\":{\"custom:Key\":" + value + "}}}}";
                assertThat(Policy.parseAuthPolicy(document).statements().get(0).conditionCount()).as(name)
                        .isEqualTo(1);
            }
        }
    }

    private static String sampleValue(ConditionOperator op) {
        switch (op.family) {
            case NUMERIC:
                return "[1, \"2.5\"]";
            case DATE:
                return "[\"2026-01-01\", \"2026-01-01T00:00:00Z\", \"1767225600\"]";
            case BOOL:
            case NULL:
                return "true";
            case BINARY:
                return "\"aGVsbG8=\"";
            case IP:
                return "[\"10.0.0.0/8\", \"::1\", \"2001:db8::/32\"]";
            case ARN:
                return "\"arn:aws:iam::${aws:PrincipalAccount}:role/*\"";
            default:
                return "[\"a*\", \"${aws:username}\"]";
        }
    }

    /** Pads a document with spaces before its final brace to exactly {@code bytes} characters. */
    private static String padTo(String document, int length) {
        int pad = length - document.length();
        return document.substring(0, document.length() - 1) + " ".repeat(pad) + "}";
    }
}
