package dev.trellis.auth.sigv4;

import java.nio.charset.StandardCharsets;

/** The two request-signing algorithms of the SigV4 family, with their wire names. */
public enum SigV4Algorithm {
    /** SigV4: HMAC-SHA256 with a key derived for one date, region and service. */
    AWS4_HMAC_SHA256("AWS4-HMAC-SHA256"),
    /** SigV4A: ECDSA P-256 over SHA-256 with a key pair derived from the credentials; scoped to a region set. */
    AWS4_ECDSA_P256_SHA256("AWS4-ECDSA-P256-SHA256");

    private final String wireName;
    private final byte[] wireNameOctets;

    SigV4Algorithm(String wireName) {
        this.wireName = wireName;
        this.wireNameOctets = wireName.getBytes(StandardCharsets.US_ASCII);
    }

    /** The name used in {@code Authorization}, {@code X-Amz-Algorithm} and the string to sign. */
    public String wireName() {
        return wireName;
    }

    /** The wire name's bytes, for the string to sign; not to be modified. */
    byte[] wireNameOctets() {
        return wireNameOctets;
    }

    /** The algorithm with this wire name, or {@code null}. */
    static SigV4Algorithm fromWireName(String name) {
        if (AWS4_HMAC_SHA256.wireName.equals(name)) {
            return AWS4_HMAC_SHA256;
        }
        if (AWS4_ECDSA_P256_SHA256.wireName.equals(name)) {
            return AWS4_ECDSA_P256_SHA256;
        }
        return null;
    }
}
