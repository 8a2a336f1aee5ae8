package dev.trellis.model;

import java.util.Objects;

/**
 * An Amazon Resource Name, split into its six parts:
 * {@code arn:<partition>:<service>:<region>:<account>:<resource>}.
 *
 * <p>The resource part keeps any further colons or slashes as they are
 * ({@code service/svc-0123/listener/listener-0456}).
 */
public record Arn(String partition, String service, String region, String accountId, String resource) {

    public Arn {
        Objects.requireNonNull(partition, "partition");
        Objects.requireNonNull(service, "service");
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(accountId, "accountId");
        Objects.requireNonNull(resource, "resource");
    }

    /**
     * Parses {@code text} as an ARN.
     *
     * @throws IllegalArgumentException when it is not {@code arn:} followed by five colon-separated parts with a
     *     non-empty partition, service and resource
     */
    public static Arn parse(String text) {
        Arn arn = tryParse(text);
        if (arn == null) {
            throw new IllegalArgumentException("not an ARN: '" + text + "'"
                    + " (expected arn:<partition>:<service>:<region>:<account>:<resource>)");
        }
        return arn;
    }

    /** Parses {@code text} as an ARN, or returns null when it is not one. */
    public static Arn tryParse(String text) {
        if (text == null || !text.startsWith("arn:")) {
            return null;
        }
        String[] parts = text.split(":", 6);
        if (parts.length != 6 || parts[1].isEmpty() || parts[2].isEmpty() || parts[5].isEmpty()) {
            return null;
        }
        return new Arn(parts[1], parts[2], parts[3], parts[4], parts[5]);
    }

    /** True when {@code text} has the shape of an ARN. */
    public static boolean isArn(String text) {
        return tryParse(text) != null;
    }

    @Override
    public String toString() {
        return "arn:" + partition + ':' + service + ':' + region + ':' + accountId + ':' + resource;
    }
}
