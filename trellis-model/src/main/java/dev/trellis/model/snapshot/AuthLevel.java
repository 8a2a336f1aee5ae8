package dev.trellis.model.snapshot;

/**
 * The auth setting of a service network or a service: its auth type ({@code NONE} or {@code AWS_IAM}) and its auth
 * policy document (JSON), or null when it has none.
 */
public record AuthLevel(String authType, String policy) {

    public static final AuthLevel NONE = new AuthLevel("NONE", null);

    public boolean requiresIam() {
        return "AWS_IAM".equals(authType);
    }
}
