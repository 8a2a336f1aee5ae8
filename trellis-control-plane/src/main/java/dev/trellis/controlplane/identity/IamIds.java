package dev.trellis.controlplane.identity;

import java.security.SecureRandom;

/**
 * Identifiers in IAM's forms: access key ids ({@code AKIA} + 16 of {@code A-Z2-7}, {@code ASIA} for temporary
 * keys), unique ids of users ({@code AIDA}), roles ({@code AROA}) and policies ({@code ANPA}) with 17 of
 * {@code A-Z0-9}, 40-character secret access keys, and opaque session tokens.
 */
public final class IamIds {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    private static final String UPPER_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    private static final String SECRET_CHARS =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    private IamIds() {
    }

    public static String accessKeyId() {
        return "AKIA" + random(BASE32, 16);
    }

    public static String temporaryAccessKeyId() {
        return "ASIA" + random(BASE32, 16);
    }

    public static String secretAccessKey() {
        return random(SECRET_CHARS, 40);
    }

    /** An opaque session token for temporary credentials: 96 random bytes, base64. */
    public static String sessionToken() {
        byte[] bytes = new byte[96];
        RANDOM.nextBytes(bytes);
        return java.util.Base64.getEncoder().encodeToString(bytes);
    }

    public static String userId() {
        return "AIDA" + random(UPPER_ALNUM, 17);
    }

    public static String roleId() {
        return "AROA" + random(UPPER_ALNUM, 17);
    }

    public static String policyId() {
        return "ANPA" + random(UPPER_ALNUM, 17);
    }

    private static String random(String alphabet, int length) {
        char[] out = new char[length];
        for (int i = 0; i < length; i++) {
            out[i] = alphabet.charAt(RANDOM.nextInt(alphabet.length()));
        }
        return new String(out);
    }
}
