package dev.trellis.auth.policy;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads IAM JSON policy documents into {@link Policy} objects, rejecting anything invalid with a
 * {@link PolicyParseException} that names the location ({@code Statement[1].Condition}) and the rule.
 *
 * <p>Element names are case-sensitive, as IAM writes them. Duplicate JSON keys anywhere are rejected (JSON does
 * not say which one wins, so a document with two {@code Effect}s is ambiguous).
 */
public final class PolicyParser {

    /**
     * The largest auth policy accepted, in bytes of UTF-8: Lattice's quota is "10 KB", read here as 10 × 1,024.
     * Whitespace counts, as it does in the stored document.
     */
    public static final int AUTH_POLICY_MAX_BYTES = 10_240;

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(JsonParser.Feature.ALLOW_COMMENTS)
            .build();

    private static final Set<String> TOP_LEVEL = Set.of("Version", "Id", "Statement");
    private static final Set<String> STATEMENT_ELEMENTS = Set.of("Sid", "Effect", "Principal", "NotPrincipal",
            "Action", "NotAction", "Resource", "NotResource", "Condition");

    private PolicyParser() {
    }

    /** Parses a Lattice auth policy: resource-based, at most {@value #AUTH_POLICY_MAX_BYTES} bytes of UTF-8. */
    public static Policy parseAuthPolicy(String json) {
        int bytes = utf8Length(json);
        if (bytes > AUTH_POLICY_MAX_BYTES) {
            throw new PolicyParseException("policy", "is " + bytes + " bytes of UTF-8; auth policies are limited to "
                    + AUTH_POLICY_MAX_BYTES + " bytes (10 KB)");
        }
        return parse(json, PolicyKind.RESOURCE_BASED);
    }

    /**
     * Parses a role trust policy. IAM limits its size by a quota of the role (2,048 characters by default); that is
     * the IAM API's check, not this parser's.
     */
    public static Policy parseTrustPolicy(String json) {
        return parse(json, PolicyKind.ROLE_TRUST);
    }

    /** Parses a policy document of the given kind (no size limit). */
    public static Policy parse(String json, PolicyKind kind) {
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
            String problem = firstLine(e.getOriginalMessage());
            if (problem.startsWith("Trailing token")) {
                problem = "unexpected text after the end of the document";
            }
            throw new PolicyParseException("policy", "invalid JSON" + where + ": " + problem);
        }
        if (root == null || root.isMissingNode()) {
            throw new PolicyParseException("policy", "is empty");
        }
        if (!root.isObject()) {
            throw new PolicyParseException("policy", "must be a JSON object");
        }
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            if (!TOP_LEVEL.contains(e.getKey())) {
                throw new PolicyParseException("policy",
                        "unknown element " + e.getKey() + " (expected Version, Id, Statement)");
            }
        }
        PolicyVersion version = PolicyVersion.V2008_10_17;
        JsonNode versionNode = root.get("Version");
        if (versionNode != null) {
            String v = versionNode.isTextual() ? versionNode.textValue() : versionNode.toString();
            if (v.equals("2012-10-17")) {
                version = PolicyVersion.V2012_10_17;
            } else if (!v.equals("2008-10-17")) {
                throw new PolicyParseException("Version", "must be 2012-10-17 or 2008-10-17, not " + quote(v));
            }
        }
        String id = null;
        JsonNode idNode = root.get("Id");
        if (idNode != null) {
            if (!idNode.isTextual()) {
                throw new PolicyParseException("Id", "must be a string");
            }
            id = idNode.textValue();
        }
        JsonNode statementNode = root.get("Statement");
        if (statementNode == null) {
            throw new PolicyParseException("policy", "missing Statement");
        }
        List<Statement> statements = new ArrayList<>();
        Map<String, String> sids = new HashMap<>();
        if (statementNode.isObject()) {
            statements.add(statement(statementNode, "Statement", kind, version, sids));
        } else if (statementNode.isArray()) {
            if (statementNode.isEmpty()) {
                throw new PolicyParseException("Statement", "must not be empty");
            }
            for (int i = 0; i < statementNode.size(); i++) {
                JsonNode s = statementNode.get(i);
                String where = "Statement[" + i + "]";
                if (!s.isObject()) {
                    throw new PolicyParseException(where, "must be an object");
                }
                statements.add(statement(s, where, kind, version, sids));
            }
        } else {
            throw new PolicyParseException("Statement", "must be an object or an array of objects");
        }
        return new Policy(kind, version, versionNode != null, id, statements);
    }

    private static Statement statement(JsonNode node, String where, PolicyKind kind, PolicyVersion version,
                                       Map<String, String> sids) {
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            if (!STATEMENT_ELEMENTS.contains(e.getKey())) {
                throw new PolicyParseException(where, "unknown element " + e.getKey() + " (expected Sid, Effect,"
                        + " Principal, NotPrincipal, Action, NotAction, Resource, NotResource, Condition)");
            }
        }
        String sid = null;
        JsonNode sidNode = node.get("Sid");
        if (sidNode != null) {
            if (!sidNode.isTextual()) {
                throw new PolicyParseException(where + ".Sid", "must be a string");
            }
            sid = sidNode.textValue();
            if (!sid.isEmpty()) {
                String previous = sids.putIfAbsent(sid, where);
                if (previous != null) {
                    throw new PolicyParseException(where + ".Sid",
                            "duplicate Sid " + quote(sid) + " (also used by " + previous + ")");
                }
            }
        }

        JsonNode effectNode = node.get("Effect");
        if (effectNode == null) {
            throw new PolicyParseException(where, "missing Effect");
        }
        Effect effect;
        String effectText = effectNode.isTextual() ? effectNode.textValue() : effectNode.toString();
        if (effectText.equals("Allow")) {
            effect = Effect.Allow;
        } else if (effectText.equals("Deny")) {
            effect = Effect.Deny;
        } else {
            throw new PolicyParseException(where + ".Effect", "must be Allow or Deny, not " + quote(effectText));
        }

        JsonNode principal = node.get("Principal");
        JsonNode notPrincipal = node.get("NotPrincipal");
        PrincipalSpec principals = null;
        if (kind == PolicyKind.IDENTITY_BASED) {
            if (principal != null || notPrincipal != null) {
                throw new PolicyParseException(where + (principal != null ? ".Principal" : ".NotPrincipal"),
                        "not allowed in an identity-based policy (the principal is the identity it is attached to)");
            }
        } else {
            if (principal != null && notPrincipal != null) {
                throw new PolicyParseException(where, "has both Principal and NotPrincipal; use one");
            }
            if (principal == null && notPrincipal == null) {
                throw new PolicyParseException(where,
                        "missing Principal or NotPrincipal (required in a resource-based policy)");
            }
            principals = principal != null ? principals(principal, where + ".Principal")
                    : principals(notPrincipal, where + ".NotPrincipal");
        }

        JsonNode action = node.get("Action");
        JsonNode notAction = node.get("NotAction");
        if (action != null && notAction != null) {
            throw new PolicyParseException(where, "has both Action and NotAction; use one");
        }
        if (action == null && notAction == null) {
            throw new PolicyParseException(where, "missing Action or NotAction");
        }
        String actionWhere = where + (action != null ? ".Action" : ".NotAction");
        List<String> actionTexts = strings(action != null ? action : notAction, actionWhere);
        WildcardPattern[] actions = new WildcardPattern[actionTexts.size()];
        for (int i = 0; i < actions.length; i++) {
            String a = actionTexts.get(i);
            if (!isAction(a)) {
                throw new PolicyParseException(at(actionWhere, i, actions.length),
                        quote(a) + " is not \"*\" or <service>:<action>");
            }
            if (kind == PolicyKind.ROLE_TRUST && !a.equals("*") && !a.regionMatches(true, 0, "sts:", 0, 4)) {
                throw new PolicyParseException(at(actionWhere, i, actions.length), quote(a)
                        + " is not an STS action; a role trust policy allows only sts: actions"
                        + " (sts:AssumeRole, sts:AssumeRoleWithWebIdentity, sts:TagSession, ...)");
            }
            actions[i] = WildcardPattern.compile(a, true);
        }

        JsonNode resource = node.get("Resource");
        JsonNode notResource = node.get("NotResource");
        if (kind == PolicyKind.ROLE_TRUST) {
            if (resource != null || notResource != null) {
                throw new PolicyParseException(where + (resource != null ? ".Resource" : ".NotResource"),
                        "not allowed in a role trust policy (the role is the resource)");
            }
            return new Statement(sid, effect, principals, notPrincipal != null, actions, notAction != null,
                    new ValueTemplate[0], false, statementConditions(node, where, version));
        }
        if (resource != null && notResource != null) {
            throw new PolicyParseException(where, "has both Resource and NotResource; use one");
        }
        if (resource == null && notResource == null) {
            throw new PolicyParseException(where, "missing Resource or NotResource");
        }
        String resourceWhere = where + (resource != null ? ".Resource" : ".NotResource");
        List<String> resourceTexts = strings(resource != null ? resource : notResource, resourceWhere);
        ValueTemplate[] resources = new ValueTemplate[resourceTexts.size()];
        for (int i = 0; i < resources.length; i++) {
            String r = resourceTexts.get(i);
            String location = at(resourceWhere, i, resources.length);
            if (!r.equals("*") && !r.startsWith("arn:")) {
                throw new PolicyParseException(location, quote(r) + " is not \"*\" or an ARN (arn:...)");
            }
            try {
                resources[i] = ValueTemplate.parse(r, version.substitutesVariables());
            } catch (IllegalArgumentException e) {
                throw new PolicyParseException(location, e.getMessage());
            }
        }

        return new Statement(sid, effect, principals, notPrincipal != null, actions, notAction != null, resources,
                notResource != null, statementConditions(node, where, version));
    }

    /** The statement's compiled {@code Condition} element; none when it has no such element. */
    private static Condition[] statementConditions(JsonNode statement, String where, PolicyVersion version) {
        JsonNode conditionNode = statement.get("Condition");
        if (conditionNode == null) {
            return new Condition[0];
        }
        return conditions(conditionNode, where + ".Condition", version);
    }

    private static PrincipalSpec principals(JsonNode node, String where) {
        if (node.isTextual()) {
            if (node.textValue().equals("*")) {
                return PrincipalSpec.everyone();
            }
            throw new PolicyParseException(where, "must be \"*\" or an object such as {\"AWS\": [...]}, not "
                    + quote(node.textValue()));
        }
        if (!node.isObject()) {
            throw new PolicyParseException(where, "must be \"*\" or an object such as {\"AWS\": [...]}");
        }
        if (node.isEmpty()) {
            throw new PolicyParseException(where, "must not be empty");
        }
        boolean[] everyone = {false};
        Set<String> accounts = new HashSet<>();
        Set<String> arns = new HashSet<>();
        Set<String> federated = new HashSet<>();
        List<String> others = PrincipalSpec.newOthers();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            String type = e.getKey();
            String typeWhere = where + "." + type;
            List<String> values = strings(e.getValue(), typeWhere);
            switch (type) {
                case "AWS":
                    for (int i = 0; i < values.size(); i++) {
                        String problem = PrincipalSpec.addAws(values.get(i), everyone, accounts, arns);
                        if (problem != null) {
                            throw new PolicyParseException(at(typeWhere, i, values.size()), problem);
                        }
                    }
                    break;
                case "Federated":
                    federated.addAll(values);
                    break;
                case "Service":
                case "CanonicalUser":
                    for (String v : values) {
                        others.add(type + ":" + v);
                    }
                    break;
                default:
                    throw new PolicyParseException(where, "unknown principal type " + type
                            + " (expected AWS, Federated, Service or CanonicalUser)");
            }
        }
        return everyone[0] ? PrincipalSpec.everyone() : PrincipalSpec.of(false, accounts, arns, federated, others);
    }

    private static Condition[] conditions(JsonNode node, String where, PolicyVersion version) {
        if (!node.isObject()) {
            throw new PolicyParseException(where, "must be an object of condition operators");
        }
        List<Condition> out = new ArrayList<>();
        for (Map.Entry<String, JsonNode> op : node.properties()) {
            String operatorText = op.getKey();
            Condition.OperatorName name = Condition.parseOperator(operatorText);
            if (name == null) {
                throw new PolicyParseException(where, "unknown operator " + operatorText);
            }
            if (name.operator == ConditionOperator.Null && name.qualifier != Condition.Qualifier.NONE) {
                throw new PolicyParseException(where, "the Null operator takes no ForAllValues:/ForAnyValue: qualifier");
            }
            String opWhere = where + "." + operatorText;
            JsonNode keys = op.getValue();
            if (!keys.isObject()) {
                throw new PolicyParseException(opWhere, "must be an object of condition keys and values");
            }
            if (keys.isEmpty()) {
                throw new PolicyParseException(opWhere, "must not be empty");
            }
            for (Map.Entry<String, JsonNode> k : keys.properties()) {
                ConditionKey key = ConditionKey.of(k.getKey());
                if (key == null) {
                    throw new PolicyParseException(opWhere, quote(k.getKey())
                            + " is not a condition key (expected <prefix>:<name>, such as vpc-lattice-svcs:SourceVpc)");
                }
                String keyWhere = opWhere + "." + k.getKey();
                List<String> values = conditionValues(k.getValue(), keyWhere);
                try {
                    out.add(Condition.compile(operatorText, name, key, values, version.substitutesVariables()
                            && name.operator.family.takesVariables()));
                } catch (IllegalArgumentException e) {
                    throw new PolicyParseException(keyWhere, e.getMessage());
                }
            }
        }
        return out.toArray(new Condition[0]);
    }

    /** Condition values: a string, number or Boolean, or a non-empty array of them (numbers as written). */
    private static List<String> conditionValues(JsonNode node, String where) {
        List<String> out = new ArrayList<>();
        if (node.isArray()) {
            if (node.isEmpty()) {
                throw new PolicyParseException(where, "must not be empty");
            }
            for (int i = 0; i < node.size(); i++) {
                JsonNode v = node.get(i);
                if (!v.isValueNode() || v.isNull()) {
                    throw new PolicyParseException(where + "[" + i + "]", "must be a string, number or Boolean");
                }
                out.add(v.asText());
            }
            return out;
        }
        if (!node.isValueNode() || node.isNull()) {
            throw new PolicyParseException(where, "must be a string, number or Boolean, or an array of them");
        }
        out.add(node.asText());
        return out;
    }

    /** A string or a non-empty array of strings. */
    private static List<String> strings(JsonNode node, String where) {
        List<String> out = new ArrayList<>();
        if (node.isTextual()) {
            out.add(node.textValue());
            return out;
        }
        if (!node.isArray()) {
            throw new PolicyParseException(where, "must be a string or an array of strings");
        }
        if (node.isEmpty()) {
            throw new PolicyParseException(where, "must not be empty");
        }
        for (int i = 0; i < node.size(); i++) {
            JsonNode v = node.get(i);
            if (!v.isTextual()) {
                throw new PolicyParseException(where + "[" + i + "]", "must be a string");
            }
            out.add(v.textValue());
        }
        return out;
    }

    /** {@code Action} for a single value, {@code Action[2]} for an element of an array. */
    private static String at(String where, int index, int count) {
        return count == 1 ? where : where + "[" + index + "]";
    }

    /** {@code *} or {@code <service>:<action>}, where the service prefix is letters, digits, '-' or wildcards. */
    private static boolean isAction(String a) {
        if (a.equals("*")) {
            return true;
        }
        int colon = a.indexOf(':');
        if (colon <= 0 || colon == a.length() - 1 || a.indexOf(':', colon + 1) >= 0) {
            return false;
        }
        for (int i = 0; i < a.length(); i++) {
            char c = a.charAt(i);
            if (i == colon) {
                continue;
            }
            boolean ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-'
                    || c == '*' || c == '?' || (i > colon && c == '_');
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** The number of bytes {@code s} takes in UTF-8, without encoding it. */
    static int utf8Length(String s) {
        int bytes = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                bytes += 1;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length()
                    && Character.isLowSurrogate(s.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "malformed";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }

    private static String quote(String s) {
        return "\"" + s + "\"";
    }
}
