package dev.trellis.cli;

import dev.trellis.auth.Principal;
import dev.trellis.model.Arn;
import java.util.Map;

/** Turns a principal named on the command line into a {@link Principal}. */
final class Principals {

    /** The session name given to a role named by its role ARN. */
    static final String DEFAULT_SESSION = "trellis-cli";

    private Principals() {
    }

    static Principal parse(String text) {
        if (text.equals("anonymous")) {
            return Principal.anonymous();
        }
        Arn arn = Arn.tryParse(text);
        if (arn == null) {
            throw new IllegalArgumentException("--principal must be 'anonymous' or an IAM or STS ARN, not '"
                    + text + "'");
        }
        String resource = arn.resource();
        if (arn.service().equals("iam") && resource.equals("root")) {
            return Principal.accountRoot(arn.partition(), arn.accountId());
        }
        if (arn.service().equals("iam") && resource.startsWith("user/")) {
            String[] path = splitPath(resource.substring("user".length()));
            return Principal.user(arn.partition(), arn.accountId(), path[0], path[1], "AIDACLI", Map.of());
        }
        if (arn.service().equals("iam") && resource.startsWith("role/")) {
            String[] path = splitPath(resource.substring("role".length()));
            return Principal.assumedRole(arn.partition(), arn.accountId(), path[0], path[1], "AROACLI",
                    DEFAULT_SESSION, Map.of());
        }
        if (arn.service().equals("sts") && resource.startsWith("assumed-role/")) {
            String[] parts = resource.split("/");
            if (parts.length == 3) {
                return Principal.assumedRole(arn.partition(), arn.accountId(), "/", parts[1], "AROACLI", parts[2],
                        Map.of());
            }
        }
        throw new IllegalArgumentException("unsupported principal ARN '" + text + "': use a user, role,"
                + " assumed-role or root ARN");
    }

    /** {@code /path/to/name} → {@code ["/path/to/", "name"]}. */
    private static String[] splitPath(String pathAndName) {
        int slash = pathAndName.lastIndexOf('/');
        return new String[] {pathAndName.substring(0, slash + 1), pathAndName.substring(slash + 1)};
    }
}
