package dev.trellis.auth.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trellis.auth.Principal;
import org.junit.jupiter.api.Test;

class TrustPolicyTest {

    private static final String ROLE_ARN = "arn:aws:iam::111122223333:role/aws-sigv4-client";
    private static final String ISSUER = "oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE";
    private static final String PROVIDER_ARN = "arn:aws:iam::111122223333:oidc-provider/" + ISSUER;
    private static final String IRSA_TRUST = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
            + "\"Principal\":{\"Federated\":\"" + PROVIDER_ARN + "\"},"
            + "\"Action\":\"sts:AssumeRoleWithWebIdentity\","
            + "\"Condition\":{\"StringEquals\":{\"" + ISSUER + ":sub\":\"system:serviceaccount:apps:aws-sigv4-client\","
            + "\"" + ISSUER + ":aud\":\"sts.amazonaws.com\"}}}]}";

    private static RequestContext webIdentity(String providerArn, String sub, String aud) {
        return RequestContext.builder(Principal.webIdentity(providerArn, "111122223333", sub))
                .put(ISSUER + ":sub", sub)
                .put(ISSUER + ":aud", aud)
                .build();
    }

    private static String trust(String principal, String extra) {
        return "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":" + principal
                + ",\"Action\":\"sts:AssumeRole\"}" + extra + "]}";
    }

    @Test
    void irsaTrustPolicyLetsInTheServiceAccountOfTheRegisteredProvider() {
        Policy policy = Policy.parseTrustPolicy(IRSA_TRUST);

        assertThat(policy.kind()).isEqualTo(PolicyKind.ROLE_TRUST);
        assertThat(policy.evaluateTrust("sts:AssumeRoleWithWebIdentity", ROLE_ARN,
                webIdentity(PROVIDER_ARN, "system:serviceaccount:apps:aws-sigv4-client", "sts.amazonaws.com")))
                .isEqualTo(TrustDecision.ALLOW_NAMING_PRINCIPAL);
    }

    @Test
    void irsaTrustPolicyRefusesAnotherServiceAccountAudienceProviderOrAction() {
        Policy policy = Policy.parseTrustPolicy(IRSA_TRUST);

        assertThat(policy.evaluateTrust("sts:AssumeRoleWithWebIdentity", ROLE_ARN,
                webIdentity(PROVIDER_ARN, "system:serviceaccount:apps:other", "sts.amazonaws.com")))
                .isEqualTo(TrustDecision.NOT_APPLICABLE);
        assertThat(policy.evaluateTrust("sts:AssumeRoleWithWebIdentity", ROLE_ARN,
                webIdentity(PROVIDER_ARN, "system:serviceaccount:apps:aws-sigv4-client", "other")))
                .isEqualTo(TrustDecision.NOT_APPLICABLE);
        assertThat(policy.evaluateTrust("sts:AssumeRoleWithWebIdentity", ROLE_ARN,
                webIdentity("arn:aws:iam::111122223333:oidc-provider/other.example.com",
                        "system:serviceaccount:apps:aws-sigv4-client", "sts.amazonaws.com")))
                .isEqualTo(TrustDecision.NOT_APPLICABLE);
        assertThat(policy.evaluateTrust("sts:AssumeRole", ROLE_ARN,
                webIdentity(PROVIDER_ARN, "system:serviceaccount:apps:aws-sigv4-client", "sts.amazonaws.com")))
                .isEqualTo(TrustDecision.NOT_APPLICABLE);
    }

    @Test
    void aFederatedEntryMatchesNoIamPrincipalAndAnAccountEntryNoTokenHolder() {
        Policy federated = Policy.parseTrustPolicy(IRSA_TRUST.replace(",\"Condition\":{\"StringEquals\":{\""
                + ISSUER + ":sub\":\"system:serviceaccount:apps:aws-sigv4-client\",\"" + ISSUER
                + ":aud\":\"sts.amazonaws.com\"}}", "").replace("AssumeRoleWithWebIdentity", "AssumeRole"));
        Policy account = Policy.parseTrustPolicy(trust("{\"AWS\":\"111122223333\"}", ""));

        assertThat(federated.evaluateTrust("sts:AssumeRole", ROLE_ARN,
                RequestContext.builder(TestPrincipals.ALICE).build())).isEqualTo(TrustDecision.NOT_APPLICABLE);
        assertThat(account.evaluateTrust("sts:AssumeRole", ROLE_ARN,
                RequestContext.builder(Principal.webIdentity(PROVIDER_ARN, "111122223333", "sub")).build()))
                .isEqualTo(TrustDecision.NOT_APPLICABLE);
    }

    @Test
    void trustingTheAccountNeedsTheCallersIdentityPolicyTooButNamingTheCallerDoesNot() {
        RequestContext alice = RequestContext.builder(TestPrincipals.ALICE).build();

        TrustDecision byAccount = Policy.parseTrustPolicy(trust("{\"AWS\":\"arn:aws:iam::111122223333:root\"}", ""))
                .evaluateTrust("sts:AssumeRole", ROLE_ARN, alice);
        TrustDecision byArn = Policy.parseTrustPolicy(trust("{\"AWS\":[\"111122223333\","
                + "\"arn:aws:iam::111122223333:user/alice\"]}", "")).evaluateTrust("sts:AssumeRole", ROLE_ARN, alice);

        assertThat(byAccount).isEqualTo(TrustDecision.ALLOW_FOR_ACCOUNT);
        assertThat(byAccount.allows(Decision.ALLOW)).isTrue();
        assertThat(byAccount.allows(Decision.NOT_APPLICABLE)).isFalse();
        assertThat(byArn).isEqualTo(TrustDecision.ALLOW_NAMING_PRINCIPAL);
        assertThat(byArn.allows(Decision.NOT_APPLICABLE)).isTrue();
        assertThat(byArn.allows(Decision.EXPLICIT_DENY)).isFalse();
    }

    @Test
    void aDenyStatementWinsOverATrustingOne() {
        Policy policy = Policy.parseTrustPolicy(trust("\"*\"", ",{\"Effect\":\"Deny\",\"Principal\":"
                + "{\"AWS\":\"arn:aws:iam::111122223333:user/alice\"},\"Action\":\"sts:*\"}"));

        assertThat(policy.evaluateTrust("sts:AssumeRole", ROLE_ARN, RequestContext.builder(TestPrincipals.ALICE)
                .build())).isEqualTo(TrustDecision.EXPLICIT_DENY);
        assertThat(policy.evaluateTrust("sts:AssumeRole", ROLE_ARN, RequestContext.builder(TestPrincipals.ROLE)
                .build())).isEqualTo(TrustDecision.ALLOW_NAMING_PRINCIPAL);
        assertThat(TrustDecision.EXPLICIT_DENY.allows(Decision.ALLOW)).isFalse();
    }

    @Test
    void rejectsResourceElementsAndActionsOfOtherServices() {
        assertThatThrownBy(() -> Policy.parseTrustPolicy("{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\","
                + "\"Action\":\"sts:AssumeRole\",\"Resource\":\"*\"}]}"))
                .isInstanceOf(PolicyParseException.class)
                .hasMessage("Statement[0].Resource: not allowed in a role trust policy (the role is the resource)");
        assertThatThrownBy(() -> Policy.parseTrustPolicy("{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\","
                + "\"Action\":[\"sts:AssumeRole\",\"s3:GetObject\"]}]}"))
                .isInstanceOf(PolicyParseException.class)
                .hasMessage("Statement[0].Action[1]: \"s3:GetObject\" is not an STS action; a role trust policy"
                        + " allows only sts: actions (sts:AssumeRole, sts:AssumeRoleWithWebIdentity, sts:TagSession,"
                        + " ...)");
        assertThatThrownBy(() -> Policy.parseTrustPolicy("{\"Statement\":[{\"Effect\":\"Allow\","
                + "\"Action\":\"sts:AssumeRole\"}]}"))
                .isInstanceOf(PolicyParseException.class)
                .hasMessage("Statement[0]: missing Principal or NotPrincipal (required in a resource-based policy)");
    }

    @Test
    void identityProviderConditionKeysAreConditionKeys() {
        Policy policy = Policy.parseTrustPolicy(IRSA_TRUST);

        assertThat(policy.statements()).hasSize(1);
        assertThat(policy.statements().get(0).conditionCount()).isEqualTo(2);
    }
}
