package dev.trellis.cli;

import dev.trellis.auth.Principal;
import dev.trellis.auth.policy.AuthSetting;
import dev.trellis.auth.policy.AuthorizationResult;
import dev.trellis.auth.policy.LatticeAction;
import dev.trellis.auth.policy.LatticeAuthorizer;
import dev.trellis.auth.policy.Policy;
import dev.trellis.auth.policy.PolicyKind;
import dev.trellis.auth.policy.PolicyParseException;
import dev.trellis.auth.policy.PolicyParser;
import dev.trellis.auth.policy.RequestContext;
import dev.trellis.model.Arn;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code trellis policy}: check policy documents and authorize requests against them offline. */
@Command(
        name = "policy",
        mixinStandardHelpOptions = true,
        description = "Validate IAM policy documents and authorize requests against auth and identity policies"
                + " the way a Trellis gateway does.",
        subcommands = {PolicyCommand.Validate.class, PolicyCommand.Check.class})
final class PolicyCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Exit status of {@code check} when the request is denied. */
    static final int DENIED = 3;

    @Command(name = "validate", mixinStandardHelpOptions = true,
            description = "Parse policy documents and report the first problem of each, with where it is."
                    + " Exit status 0 when all are valid, 1 otherwise.")
    static final class Validate implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Option(names = "--kind", defaultValue = "auth",
                description = "auth: a resource-based auth policy (Principal required, at most 10 KB);"
                        + " identity: an identity-based policy (no Principal). Default: ${DEFAULT-VALUE}.")
        String kind;

        @Parameters(paramLabel = "FILE", arity = "1..*", description = "Policy documents (JSON).")
        List<Path> files;

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            PolicyKind policyKind = parseKind(kind);
            int invalid = 0;
            for (Path file : files) {
                try {
                    Policy policy = PolicyParser.parse(Files.readString(file), policyKind);
                    out.printf("%s: valid %s policy, %d statement(s)%n", file, kind, policy.statements().size());
                } catch (PolicyParseException e) {
                    out.printf("%s: %s%n", file, e.getMessage());
                    invalid++;
                }
            }
            return invalid == 0 ? 0 : 1;
        }
    }

    @Command(name = "check", mixinStandardHelpOptions = true,
            description = {
                "Authorize one request to a Lattice service as a gateway would: the service network's auth policy,"
                    + " the service's auth policy and the caller's identity-based policies must all allow it; an"
                    + " explicit deny anywhere wins.",
                "Prints ALLOW, or DENY with the policy that refused and the 403 body the client would receive."
                    + " Exit status 0 when allowed, " + DENIED + " when denied, 1 on bad input.",
                "With --walkthrough, checks the walkthrough's callers against policies equivalent to its three"
                    + " (a permissive network policy, a service policy for role aws-sigv4-client from one VPC, and"
                    + " the client's identity policy)."
            })
    static final class Check implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Option(names = "--walkthrough", description = "Run the walkthrough's allow and deny cases.")
        boolean walkthrough;

        @Option(names = "--service-arn", description = "ARN of the service called,"
                + " e.g. arn:aws:vpc-lattice:us-west-2:111122223333:service/svc-0123456789abcdef0.")
        String serviceArn;

        @Option(names = "--service-network-arn", description = "ARN of the service network the call goes through.")
        String serviceNetworkArn;

        @Option(names = "--network-policy", paramLabel = "FILE",
                description = "The service network's auth policy; the network's auth type is then AWS_IAM."
                        + " Without it the network's auth type is NONE.")
        Path networkPolicy;

        @Option(names = "--service-policy", paramLabel = "FILE",
                description = "The service's auth policy; the service's auth type is then AWS_IAM."
                        + " Without it the service's auth type is NONE.")
        Path servicePolicy;

        @Option(names = "--identity-policy", paramLabel = "FILE",
                description = "An identity-based policy of the caller (repeatable).")
        List<Path> identityPolicies = new ArrayList<>();

        @Option(names = "--principal", defaultValue = "anonymous",
                description = "The caller: anonymous, arn:aws:iam::<account>:user/<name>,"
                        + " arn:aws:iam::<account>:role/<name> (a session of it),"
                        + " arn:aws:sts::<account>:assumed-role/<role>/<session> or arn:aws:iam::<account>:root."
                        + " Default: ${DEFAULT-VALUE}.")
        String principal;

        @Option(names = "--source-vpc", description = "The caller's VPC id (vpc-lattice-svcs:SourceVpc).")
        String sourceVpc;

        @Option(names = "--method", defaultValue = "GET", description = "HTTP method. Default: ${DEFAULT-VALUE}.")
        String method;

        @Option(names = "--path", defaultValue = "/", description = "Request path. Default: ${DEFAULT-VALUE}.")
        String path;

        @Option(names = "--port", defaultValue = "80", description = "Listener port. Default: ${DEFAULT-VALUE}.")
        int port;

        @Option(names = "--header", paramLabel = "NAME=VALUE", description = "A request header (repeatable).")
        Map<String, String> headers = Map.of();

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            try {
                return walkthrough ? Walkthrough.run(out) : checkOne(out);
            } catch (PolicyParseException e) {
                spec.commandLine().getErr().println("invalid policy: " + e.getMessage());
                return 1;
            } catch (IllegalArgumentException e) {
                spec.commandLine().getErr().println(e.getMessage());
                return 1;
            }
        }

        private int checkOne(PrintWriter out) throws IOException {
            if (serviceArn == null) {
                throw new IllegalArgumentException("--service-arn is required (or use --walkthrough)");
            }
            Arn.parse(serviceArn);
            List<Policy> identity = new ArrayList<>();
            for (Path file : identityPolicies) {
                identity.add(Policy.parseIdentityPolicy(Files.readString(file)));
            }
            LatticeAuthorizer authorizer = new LatticeAuthorizer(serviceArn,
                    networkPolicy == null ? AuthSetting.none()
                            : AuthSetting.awsIam(Policy.parseAuthPolicy(Files.readString(networkPolicy))),
                    servicePolicy == null ? AuthSetting.none()
                            : AuthSetting.awsIam(Policy.parseAuthPolicy(Files.readString(servicePolicy))));
            Principal caller = Principals.parse(principal);
            RequestContext.Builder context = RequestContext.builder(caller)
                    .serviceArn(serviceArn)
                    .method(method)
                    .path(path)
                    .port(port);
            if (serviceNetworkArn != null) {
                context.serviceNetworkArn(serviceNetworkArn);
            }
            if (sourceVpc != null) {
                context.sourceVpc(sourceVpc);
            }
            headers.forEach(context::header);
            AuthorizationResult result = authorizer.authorize(LatticeAction.INVOKE, path, identity, context.build());
            print(out, result);
            return result.isAllowed() ? 0 : DENIED;
        }

        static void print(PrintWriter out, AuthorizationResult result) {
            if (result.isAllowed()) {
                out.println("ALLOW");
            } else {
                String level = result.deniedBy().orElseThrow().messageName();
                out.println(result.isExplicitDeny()
                        ? "DENY: explicit deny in the " + level + " policy"
                        : "DENY: no " + level + " policy allows it");
                out.println("  403 " + result.accessDeniedMessage());
            }
        }
    }

    private static PolicyKind parseKind(String kind) {
        return switch (kind) {
            case "auth" -> PolicyKind.RESOURCE_BASED;
            case "identity" -> PolicyKind.IDENTITY_BASED;
            default -> throw new IllegalArgumentException("--kind must be auth or identity, not '" + kind + "'");
        };
    }
}
