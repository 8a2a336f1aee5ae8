package dev.trellis.controlplane.route53;

import java.security.SecureRandom;

/**
 * Route 53's identifiers: hosted zones {@code Z} and changes {@code C}, each followed by 20 upper-case letters and
 * digits as current Route 53 ids are ({@code Z06776831VVYJZODRDBD9}); the API returns them as
 * {@code /hostedzone/<id>} and {@code /change/<id>} and takes them with or without that prefix.
 */
final class Route53Ids {

    static final String ZONE_PREFIX = "/hostedzone/";
    static final String CHANGE_PREFIX = "/change/";

    private static final char[] ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();

    private Route53Ids() {
    }

    static String newZoneId() {
        return "Z" + random(20);
    }

    static String newChangeId() {
        return "C" + random(20);
    }

    private static String random(int length) {
        char[] out = new char[length];
        for (int i = 0; i < length; i++) {
            out[i] = ALPHABET[RANDOM.nextInt(ALPHABET.length)];
        }
        return new String(out);
    }

    /** The bare id of {@code /hostedzone/Z...}, {@code hostedzone/Z...} or {@code Z...}. */
    static String bareZoneId(String id) {
        return strip(id, ZONE_PREFIX);
    }

    /** The bare id of {@code /change/C...}, {@code change/C...} or {@code C...}. */
    static String bareChangeId(String id) {
        return strip(id, CHANGE_PREFIX);
    }

    private static String strip(String id, String prefix) {
        if (id.startsWith(prefix)) {
            return id.substring(prefix.length());
        }
        if (id.startsWith(prefix.substring(1))) {
            return id.substring(prefix.length() - 1);
        }
        return id;
    }

    static String zoneArn(String partition, String zoneId) {
        return "arn:" + partition + ":route53:::hostedzone/" + zoneId;
    }

    static String changeArn(String partition, String changeId) {
        return "arn:" + partition + ":route53:::change/" + changeId;
    }
}
