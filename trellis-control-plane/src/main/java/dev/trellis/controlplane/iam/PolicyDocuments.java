package dev.trellis.controlplane.iam;

import dev.trellis.auth.policy.Policy;
import dev.trellis.auth.policy.PolicyParseException;
import java.nio.charset.StandardCharsets;

/**
 * Policy documents as the IAM API takes and gives them: validated with trellis-auth's policy engine (a bad document
 * is {@code MalformedPolicyDocument} with the engine's message, which names the element and the rule), measured as
 * IAM measures them (characters without white space), and URL-encoded in responses as IAM encodes them.
 */
final class PolicyDocuments {

    private PolicyDocuments() {
    }

    /** Checks an identity-based policy (inline or managed). */
    static void requireIdentityPolicy(String document) {
        try {
            Policy.parseIdentityPolicy(document);
        } catch (PolicyParseException e) {
            throw IamErrors.malformedPolicy(e.getMessage());
        }
    }

    /** Checks a role trust policy. */
    static void requireTrustPolicy(String document) {
        try {
            Policy.parseTrustPolicy(document);
        } catch (PolicyParseException e) {
            throw IamErrors.malformedPolicy(e.getMessage());
        }
    }

    /** The size IAM's quotas count: characters other than white space. */
    static int size(String document) {
        int size = 0;
        for (int i = 0; i < document.length(); i++) {
            if (!Character.isWhitespace(document.charAt(i))) {
                size++;
            }
        }
        return size;
    }

    /**
     * RFC 3986 percent-encoding of the UTF-8 bytes: every octet except {@code A-Z a-z 0-9 - _ . ~} is escaped, so a
     * space is {@code %20} (not {@code +}) and a newline {@code %0A}, as IAM returns documents.
     */
    static String urlEncode(String document) {
        byte[] bytes = document.getBytes(StandardCharsets.UTF_8);
        StringBuilder out = new StringBuilder(bytes.length * 2);
        for (byte b : bytes) {
            int c = b & 0xFF;
            if (c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_'
                    || c == '.' || c == '~') {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xF, 16)));
            }
        }
        return out.toString();
    }
}
