package dev.trellis.auth.sigv4;

import java.util.Arrays;
import java.util.Objects;

/**
 * A SigV4 signing key: {@code HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")}.
 *
 * <p>It verifies (and could make) signatures for one credential scope only, so a gateway can hold it instead of the
 * secret access key. {@link #toString()} names the scope, never the key.
 */
public final class DerivedSigningKey {

    private final String date;
    private final String region;
    private final String service;
    private final byte[] key;

    /**
     * @param date    the scope date, {@code yyyyMMdd}
     * @param region  the scope region, e.g. {@code us-east-1}
     * @param service the signing name, e.g. {@code vpc-lattice-svcs}
     * @param key     the 32-byte derived key (copied)
     */
    public DerivedSigningKey(String date, String region, String service, byte[] key) {
        this.date = requireScopeDate(date);
        this.region = requireNonEmpty(region, "region");
        this.service = requireNonEmpty(service, "service");
        Objects.requireNonNull(key, "key");
        if (key.length != 32) {
            throw new IllegalArgumentException("a SigV4 signing key is 32 bytes, got " + key.length);
        }
        this.key = key.clone();
    }

    public String date() {
        return date;
    }

    public String region() {
        return region;
    }

    public String service() {
        return service;
    }

    /** A copy of the key bytes. */
    public byte[] key() {
        return key.clone();
    }

    /** The key bytes without copying, for the verifier's hot path. */
    byte[] keyBytes() {
        return key;
    }

    /** {@code <date>/<region>/<service>}: the part of the credential scope this key is bound to. */
    public String scope() {
        return date + "/" + region + "/" + service;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DerivedSigningKey other
                && date.equals(other.date) && region.equals(other.region) && service.equals(other.service)
                && Arrays.equals(key, other.key);
    }

    @Override
    public int hashCode() {
        return Objects.hash(date, region, service);
    }

    @Override
    public String toString() {
        return "DerivedSigningKey[" + scope() + "]";
    }

    static String requireScopeDate(String date) {
        Objects.requireNonNull(date, "date");
        if (date.length() != 8) {
            throw new IllegalArgumentException("scope date must be yyyyMMdd, got '" + date + "'");
        }
        for (int i = 0; i < 8; i++) {
            if (date.charAt(i) < '0' || date.charAt(i) > '9') {
                throw new IllegalArgumentException("scope date must be yyyyMMdd, got '" + date + "'");
            }
        }
        return date;
    }

    static String requireNonEmpty(String s, String what) {
        Objects.requireNonNull(s, what);
        if (s.isEmpty()) {
            throw new IllegalArgumentException(what + " must not be empty");
        }
        return s;
    }
}
