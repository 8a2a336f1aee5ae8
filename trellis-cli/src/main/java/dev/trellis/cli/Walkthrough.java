package dev.trellis.cli;

import dev.trellis.auth.Principal;
import dev.trellis.auth.policy.AuthSetting;
import dev.trellis.auth.policy.AuthorizationResult;
import dev.trellis.auth.policy.LatticeAction;
import dev.trellis.auth.policy.LatticeAuthorizer;
import dev.trellis.auth.policy.Policy;
import dev.trellis.auth.policy.RequestContext;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;

/**
 * The walkthrough's authorization, offline: a service network that lets any authenticated or anonymous caller in,
 * a datastore service that only role {@code aws-sigv4-client} from the frontend's VPC may invoke, and that role's
 * identity policy. The policies are written here with this scenario's own ids.
 */
final class Walkthrough {

    static final String ACCOUNT = "111122223333";
    static final String REGION = "us-west-2";
    static final String SERVICE_ARN = "arn:aws:vpc-lattice:" + REGION + ":" + ACCOUNT
            + ":service/svc-0d47a1e0c5b8f2a31";
    static final String NETWORK_ARN = "arn:aws:vpc-lattice:" + REGION + ":" + ACCOUNT
            + ":servicenetwork/sn-03c9d2b6a1f4e8705";
    static final String CLIENT_VPC = "vpc-0a1b2c3d4e5f60718";
    static final String OTHER_VPC = "vpc-0f9e8d7c6b5a40312";

    static final String NETWORK_POLICY = """
            {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",\
            "Action":"vpc-lattice-svcs:Invoke","Resource":"*"}]}""";
    static final String SERVICE_POLICY = """
            {"Version":"2012-10-17","Statement":[{"Effect":"Allow",\
            "Principal":{"AWS":"arn:aws:iam::%s:role/aws-sigv4-client"},"Action":"vpc-lattice-svcs:Invoke",\
            "Resource":"%s/*","Condition":{"StringEquals":{"vpc-lattice-svcs:SourceVpc":"%s"}}}]}"""
            .formatted(ACCOUNT, SERVICE_ARN, CLIENT_VPC);
    static final String CLIENT_IDENTITY_POLICY = """
            {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"vpc-lattice-svcs:Invoke",\
            "Resource":"*"}]}""";

    private Walkthrough() {
    }

    private record Case(String title, Principal caller, String sourceVpc, List<Policy> identity) {
    }

    static int run(PrintWriter out) {
        LatticeAuthorizer authorizer = new LatticeAuthorizer(SERVICE_ARN,
                AuthSetting.awsIam(Policy.parseAuthPolicy(NETWORK_POLICY)),
                AuthSetting.awsIam(Policy.parseAuthPolicy(SERVICE_POLICY)));
        List<Policy> clientIdentity = List.of(Policy.parseIdentityPolicy(CLIENT_IDENTITY_POLICY));
        Principal client = Principal.assumedRole("aws", ACCOUNT, "/", "aws-sigv4-client", "AROAWALKTHROUGH",
                "frontend", Map.of());
        Principal otherRole = Principal.assumedRole("aws", ACCOUNT, "/", "reporting", "AROAOTHERROLE",
                "batch", Map.of());
        List<Case> cases = List.of(
                new Case("frontend (role aws-sigv4-client) from its own VPC", client, CLIENT_VPC, clientIdentity),
                new Case("another role from the frontend's VPC", otherRole, CLIENT_VPC, clientIdentity),
                new Case("role aws-sigv4-client from another VPC", client, OTHER_VPC, clientIdentity),
                new Case("an unsigned (anonymous) request", Principal.anonymous(), CLIENT_VPC, List.of()),
                new Case("role aws-sigv4-client without its identity policy", client, CLIENT_VPC, List.of()));

        out.println("Service " + SERVICE_ARN);
        out.println("  network auth policy: any principal may invoke (auth type AWS_IAM)");
        out.println("  service auth policy: only role aws-sigv4-client from " + CLIENT_VPC + " (auth type AWS_IAM)");
        out.println();
        int allowed = 0;
        for (Case c : cases) {
            RequestContext context = RequestContext.builder(c.caller())
                    .serviceArn(SERVICE_ARN)
                    .serviceNetworkArn(NETWORK_ARN)
                    .sourceVpc(c.sourceVpc())
                    .sourceVpcOwnerAccount(ACCOUNT)
                    .method("GET")
                    .path("/summary")
                    .port(80)
                    .build();
            AuthorizationResult result = authorizer.authorize(LatticeAction.INVOKE, "/summary", c.identity(),
                    context);
            out.println("GET /summary by " + c.title() + ":");
            out.print("  ");
            PolicyCommand.Check.print(out, result);
            allowed += result.isAllowed() ? 1 : 0;
        }
        out.println();
        out.printf("%d of %d callers allowed, as the walkthrough intends (only the first).%n", allowed, cases.size());
        return allowed == 1 ? 0 : PolicyCommand.DENIED;
    }
}
