package dev.trellis.auth.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trellis.auth.Principal;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How the network, service and identity levels combine (facts §6) and which refusal is reported. */
class LatticeAuthorizerTest {

    private static final String SVC = PolicyEvaluationTableTest.SERVICE_ARN;
    private static final Principal ALICE = TestPrincipals.ALICE;

    private static final Policy ALLOW_ALL = Policy.parseAuthPolicy(
            "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\","
                    + "\"Action\":\"vpc-lattice-svcs:*\",\"Resource\":\"*\"}]}");
    private static final Policy DENY_ALL = Policy.parseAuthPolicy(
            "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Principal\":\"*\","
                    + "\"Action\":\"*\",\"Resource\":\"*\"}]}");
    private static final Policy ALLOW_NOTHING = Policy.parseAuthPolicy(
            "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\","
                    + "\"Action\":\"*\",\"Resource\":\"arn:aws:vpc-lattice:*:*:service/svc-elsewhere/*\"}]}");
    private static final Policy IDENTITY_ALLOW = Policy.parseIdentityPolicy(
            "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"vpc-lattice-svcs:*\","
                    + "\"Resource\":\"*\"}}");
    private static final Policy IDENTITY_DENY = Policy.parseIdentityPolicy(
            "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Deny\",\"Action\":\"vpc-lattice-svcs:Invoke\","
                    + "\"Resource\":\"*\"}}");

    private static AuthorizationResult invoke(AuthSetting network, AuthSetting service, Principal principal,
                                              List<Policy> identity) {
        return new LatticeAuthorizer(SVC, network, service).authorize(LatticeAction.INVOKE, "/orders/7", identity,
                RequestContext.builder(principal).build());
    }

    private static String resource() {
        return SVC + "/orders/7";
    }

    @Test
    void allowsEverythingWithoutLookingAtIdentityPoliciesWhenBothLevelsAreNone() {
        LatticeAuthorizer authorizer = new LatticeAuthorizer(SVC, AuthSetting.none(), AuthSetting.none());

        assertThat(authorizer.enforcesAuthorization()).isFalse();
        assertThat(authorizer.authorize(LatticeAction.INVOKE, "/", List.of(IDENTITY_DENY),
                RequestContext.builder(ALICE).build()).isAllowed()).isTrue();
    }

    @Test
    void deniesEveryRequestWhenAwsIamHasNoPolicy() {
        AuthorizationResult result = invoke(AuthSetting.none(), AuthSetting.awsIam(null), ALICE,
                List.of(IDENTITY_ALLOW));

        assertThat(result.deniedBy()).contains(PolicyLevel.SERVICE);
        assertThat(result.isExplicitDeny()).isFalse();
    }

    @Test
    void deniesByTheNetworkPolicyWhenOnlyTheNetworkIsAwsIamAndItsPolicyDoesNotAllow() {
        AuthorizationResult result = invoke(AuthSetting.awsIam(ALLOW_NOTHING), AuthSetting.none(),
                Principal.anonymous(), List.of());

        assertThat(result.accessDeniedMessage()).isEqualTo("AccessDeniedException: User: anonymous is not "
                + "authorized to perform: vpc-lattice-svcs:Invoke on resource: " + resource()
                + " because no network-based policy allows the vpc-lattice-svcs:Invoke action");
    }

    @Test
    void ignoresAPolicyOfALevelWhoseAuthTypeIsNone() {
        AuthorizationResult result = invoke(AuthSetting.none(), AuthSetting.awsIam(ALLOW_ALL), ALICE,
                List.of(IDENTITY_ALLOW));

        assertThat(result.isAllowed()).isTrue();
    }

    @Test
    void doesNotRequireIdentityPoliciesForAnonymousCallers() {
        AuthorizationResult result = invoke(AuthSetting.awsIam(ALLOW_ALL), AuthSetting.awsIam(ALLOW_ALL),
                Principal.anonymous(), List.of());

        assertThat(result.isAllowed()).isTrue();
    }

    @Test
    void requiresAnIdentityPolicyToAllowAuthenticatedCallers() {
        AuthorizationResult result = invoke(AuthSetting.awsIam(ALLOW_ALL), AuthSetting.awsIam(ALLOW_ALL), ALICE,
                List.of());

        assertThat(result.deniedBy()).contains(PolicyLevel.IDENTITY);
    }

    @Test
    void reportsAnExplicitDenyInAnIdentityPolicyBeforeAnImplicitDenyOfTheNetwork() {
        AuthorizationResult result = invoke(AuthSetting.awsIam(ALLOW_NOTHING), AuthSetting.awsIam(ALLOW_ALL),
                ALICE, List.of(IDENTITY_ALLOW, IDENTITY_DENY));

        assertThat(result.deniedBy()).contains(PolicyLevel.IDENTITY);
        assertThat(result.isExplicitDeny()).isTrue();
        assertThat(result.accessDeniedMessage()).isEqualTo("AccessDeniedException: User: "
                + "arn:aws:iam::111122223333:user/alice is not authorized to perform: vpc-lattice-svcs:Invoke on "
                + "resource: " + resource() + " with an explicit deny in an identity-based policy");
    }

    @Test
    void reportsTheServicesExplicitDenyEvenWhenTheNetworkAlsoRefuses() {
        AuthorizationResult result = invoke(AuthSetting.awsIam(ALLOW_NOTHING), AuthSetting.awsIam(DENY_ALL),
                ALICE, List.of(IDENTITY_ALLOW));

        assertThat(result.deniedBy()).contains(PolicyLevel.SERVICE);
        assertThat(result.accessDeniedMessage()).isEqualTo("AccessDeniedException: User: "
                + "arn:aws:iam::111122223333:user/alice is not authorized to perform: vpc-lattice-svcs:Invoke on "
                + "resource: " + resource() + " with an explicit deny in a service-based policy");
    }

    @Test
    void reportsTheNetworkFirstAmongExplicitDenies() {
        AuthorizationResult result = invoke(AuthSetting.awsIam(DENY_ALL), AuthSetting.awsIam(DENY_ALL), ALICE,
                List.of(IDENTITY_DENY));

        assertThat(result.deniedBy()).contains(PolicyLevel.NETWORK);
        assertThat(result.isExplicitDeny()).isTrue();
        assertThat(result.accessDeniedMessage()).endsWith(" with an explicit deny in a network-based policy");
    }

    @Test
    void reportsTheNetworkFirstAmongImplicitDenies() {
        AuthorizationResult result = invoke(AuthSetting.awsIam(ALLOW_NOTHING), AuthSetting.awsIam(ALLOW_NOTHING),
                ALICE, List.of());

        assertThat(result.deniedBy()).contains(PolicyLevel.NETWORK);
        assertThat(result.isExplicitDeny()).isFalse();
    }

    @Test
    void connectIsAuthorizedOnTheServiceArnAndNamedInTheMessage() {
        Policy invokeOnly = Policy.parseAuthPolicy("{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":"
                + "\"Allow\",\"Principal\":\"*\",\"Action\":\"vpc-lattice-svcs:Invoke\",\"Resource\":\"*\"}]}");
        LatticeAuthorizer authorizer = new LatticeAuthorizer(SVC, AuthSetting.none(), AuthSetting.awsIam(invokeOnly));

        AuthorizationResult result = authorizer.authorize(LatticeAction.CONNECT, "/ignored", List.of(),
                RequestContext.builder(Principal.anonymous()).build());

        assertThat(result.accessDeniedMessage()).isEqualTo("AccessDeniedException: User: anonymous is not "
                + "authorized to perform: vpc-lattice-svcs:Connect on resource: " + SVC
                + " because no service-based policy allows the vpc-lattice-svcs:Connect action");
    }

    @Test
    void theAllowedResultIsASharedConstantAndHasNoMessage() {
        AuthorizationResult a = invoke(AuthSetting.awsIam(ALLOW_ALL), AuthSetting.none(), Principal.anonymous(),
                List.of());
        AuthorizationResult b = invoke(AuthSetting.none(), AuthSetting.awsIam(ALLOW_ALL), Principal.anonymous(),
                List.of());

        assertThat(a).isSameAs(b);
        assertThatThrownBy(a::accessDeniedMessage).isInstanceOf(IllegalStateException.class)
                .hasMessage("the request was allowed");
    }

    @Test
    void refusesAnIdentityPolicyAsAnAuthPolicy() {
        assertThatThrownBy(() -> AuthSetting.awsIam(IDENTITY_ALLOW))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("an auth policy must be a resource-based policy");
    }
}
