package dev.trellis.auth.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.auth.Principal;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The auth part of the seed walkthrough ({@code reference/seed/vpc-lattice-eks-walkthrough.txt}) with its three
 * policies read from {@code reference/seed/sample/}: the service network allows everyone, the datastore service
 * allows only the role {@code aws-sigv4-client} from VPC-A, and that role's identity policy allows Invoke.
 */
class WalkthroughAuthorizationTest {

    private static final String SERVICE_ARN =
            "arn:aws:vpc-lattice:us-west-2:615847537300:service/svc-0891088e6cc27c501";
    private static final String NETWORK_ARN =
            "arn:aws:vpc-lattice:us-west-2:615847537300:servicenetwork/sn-0e05d75deabe9f290";
    private static final String VPC_A = "vpc-027baaaf7156c6075";
    private static final String OTHER_VPC = "vpc-0b1f56d26672bf677";

    private static final Policy NETWORK_POLICY =
            Policy.parseAuthPolicy(ReferenceFiles.read("seed/sample/lattice-service-network-policy.json"));
    private static final Policy SERVICE_POLICY =
            Policy.parseAuthPolicy(ReferenceFiles.read("seed/sample/lattice-service-policy.json"));
    private static final Policy CLIENT_POLICY =
            Policy.parseIdentityPolicy(ReferenceFiles.read("seed/sample/lattice-client-policy.json"));

    private static final LatticeAuthorizer AUTHORIZER = new LatticeAuthorizer(SERVICE_ARN,
            AuthSetting.awsIam(NETWORK_POLICY), AuthSetting.awsIam(SERVICE_POLICY));

    private static final Principal CLIENT_ROLE = Principal.assumedRole("aws", "615847537300", "/",
            "aws-sigv4-client", "AROAY6XLCLIENTROLE", "frontend-7d9f", Map.of());
    private static final Principal OTHER_ROLE = Principal.assumedRole("aws", "615847537300", "/",
            "some-other-role", "AROAY6XLOTHERROLE", "batch-1", Map.of());

    private static AuthorizationResult invoke(Principal principal, String sourceVpc, List<Policy> identityPolicies) {
        RequestContext context = RequestContext.builder(principal)
                .port(80)
                .method("GET")
                .path("/summary")
                .serviceArn(SERVICE_ARN)
                .serviceNetworkArn(NETWORK_ARN)
                .sourceVpc(sourceVpc)
                .sourceVpcOwnerAccount("615847537300")
                .sourceIp("10.0.1.7")
                .build();
        return AUTHORIZER.authorize(LatticeAction.INVOKE, "/summary", identityPolicies, context);
    }

    @Test
    void allowsTheClientRoleFromVpcA() {
        AuthorizationResult result = invoke(CLIENT_ROLE, VPC_A, List.of(CLIENT_POLICY));

        assertThat(result.isAllowed()).isTrue();
        assertThat(result.deniedBy()).isEmpty();
    }

    @Test
    void deniesAnotherRoleByTheServiceBasedPolicy() {
        AuthorizationResult result = invoke(OTHER_ROLE, VPC_A, List.of(CLIENT_POLICY));

        assertThat(result.isAllowed()).isFalse();
        assertThat(result.deniedBy()).contains(PolicyLevel.SERVICE);
        assertThat(result.isExplicitDeny()).isFalse();
        assertThat(result.accessDeniedMessage()).isEqualTo("AccessDeniedException: User: "
                + "arn:aws:sts::615847537300:assumed-role/some-other-role/batch-1 is not authorized to perform: "
                + "vpc-lattice-svcs:Invoke on resource: "
                + "arn:aws:vpc-lattice:us-west-2:615847537300:service/svc-0891088e6cc27c501/summary "
                + "because no service-based policy allows the vpc-lattice-svcs:Invoke action");
    }

    @Test
    void deniesTheClientRoleFromAnotherVpcByTheServiceBasedPolicy() {
        AuthorizationResult result = invoke(CLIENT_ROLE, OTHER_VPC, List.of(CLIENT_POLICY));

        assertThat(result.deniedBy()).contains(PolicyLevel.SERVICE);
        assertThat(result.accessDeniedMessage()).isEqualTo("AccessDeniedException: User: "
                + "arn:aws:sts::615847537300:assumed-role/aws-sigv4-client/frontend-7d9f is not authorized to "
                + "perform: vpc-lattice-svcs:Invoke on resource: "
                + "arn:aws:vpc-lattice:us-west-2:615847537300:service/svc-0891088e6cc27c501/summary "
                + "because no service-based policy allows the vpc-lattice-svcs:Invoke action");
    }

    @Test
    void deniesAnonymousCallersByTheServiceBasedPolicyAlthoughTheNetworkPolicyAllowsEveryone() {
        AuthorizationResult result = invoke(Principal.anonymous(), VPC_A, List.of());

        assertThat(result.deniedBy()).contains(PolicyLevel.SERVICE);
        assertThat(result.accessDeniedMessage()).isEqualTo("AccessDeniedException: User: anonymous is not "
                + "authorized to perform: vpc-lattice-svcs:Invoke on resource: "
                + "arn:aws:vpc-lattice:us-west-2:615847537300:service/svc-0891088e6cc27c501/summary "
                + "because no service-based policy allows the vpc-lattice-svcs:Invoke action");
    }

    @Test
    void deniesTheClientRoleWithoutItsIdentityPolicyByTheIdentityBasedPolicy() {
        AuthorizationResult result = invoke(CLIENT_ROLE, VPC_A, List.of());

        assertThat(result.deniedBy()).contains(PolicyLevel.IDENTITY);
        assertThat(result.accessDeniedMessage()).isEqualTo("AccessDeniedException: User: "
                + "arn:aws:sts::615847537300:assumed-role/aws-sigv4-client/frontend-7d9f is not authorized to "
                + "perform: vpc-lattice-svcs:Invoke on resource: "
                + "arn:aws:vpc-lattice:us-west-2:615847537300:service/svc-0891088e6cc27c501/summary "
                + "because no identity-based policy allows the vpc-lattice-svcs:Invoke action");
    }

    @Test
    void theServicePolicyCoversEveryPathOfTheServiceButNotTheServiceArnAlone() {
        RequestContext context = RequestContext.builder(CLIENT_ROLE).sourceVpc(VPC_A).build();

        assertThat(SERVICE_POLICY.evaluate("vpc-lattice-svcs:Invoke", SERVICE_ARN + "/", context))
                .isEqualTo(Decision.ALLOW);
        assertThat(SERVICE_POLICY.evaluate("vpc-lattice-svcs:Invoke", SERVICE_ARN + "/a/b?c", context))
                .isEqualTo(Decision.ALLOW);
        assertThat(SERVICE_POLICY.evaluate("vpc-lattice-svcs:Invoke", SERVICE_ARN, context))
                .isEqualTo(Decision.NOT_APPLICABLE);
    }
}
