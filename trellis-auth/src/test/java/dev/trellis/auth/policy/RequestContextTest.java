package dev.trellis.auth.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.auth.Principal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RequestContextTest {

    private static Object lookup(RequestContext context, String key) {
        return context.lookup(ConditionKey.of(key));
    }

    @Test
    void looksUpOnlyTheHeadersThatConditionsNameAndByLowerCaseName() {
        List<String> asked = new ArrayList<>();
        RequestContext context = RequestContext.builder(TestPrincipals.ALICE)
                .headers(name -> {
                    asked.add(name);
                    return name.equals("x-team") ? List.of("blue") : null;
                })
                .build();
        Policy policy = Policy.parseAuthPolicy("{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\","
                + "\"Principal\":\"*\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"StringEquals\":"
                + "{\"vpc-lattice-svcs:RequestHeader/X-Team\":\"blue\"}}}}");

        assertThat(asked).isEmpty();
        assertThat(policy.evaluate("vpc-lattice-svcs:Invoke", "arn:aws:x", context)).isEqualTo(Decision.ALLOW);
        assertThat(asked).containsExactly("x-team");
    }

    @Test
    void givesAnonymousCallersOnlyTheirTypeAndUserId() {
        RequestContext context = RequestContext.builder(Principal.anonymous()).build();

        assertThat(lookup(context, "aws:PrincipalType")).isEqualTo("Anonymous");
        assertThat(lookup(context, "aws:userid")).isEqualTo("anonymous");
        assertThat(lookup(context, "aws:PrincipalArn")).isNull();
        assertThat(lookup(context, "aws:PrincipalAccount")).isNull();
        assertThat(lookup(context, "aws:username")).isNull();
        assertThat(lookup(context, "aws:PrincipalOrgID")).isNull();
    }

    @Test
    void givesARoleSessionItsRoleArnAndSessionUserId() {
        RequestContext context = RequestContext.builder(TestPrincipals.ROLE.withOrgId("o-a1b2c3d4e5")).build();

        assertThat(lookup(context, "aws:PrincipalType")).isEqualTo("AssumedRole");
        assertThat(lookup(context, "aws:PrincipalArn")).isEqualTo("arn:aws:iam::111122223333:role/app-role");
        assertThat(lookup(context, "aws:PrincipalAccount")).isEqualTo("111122223333");
        assertThat(lookup(context, "aws:userid")).isEqualTo("AROAAPPROLE:session-1");
        assertThat(lookup(context, "aws:PrincipalOrgID")).isEqualTo("o-a1b2c3d4e5");
        assertThat(lookup(context, "aws:PrincipalTag/Team")).isEqualTo("red");
    }

    @Test
    void formatsTheRequestTimeAsIso8601AndEpochSeconds() {
        RequestContext context = RequestContext.builder(TestPrincipals.ALICE)
                .requestTime(Instant.parse("2026-11-27T08:02:03.456Z"))
                .build();

        assertThat(lookup(context, "aws:CurrentTime")).isEqualTo("2026-11-27T08:02:03Z");
        assertThat(lookup(context, "aws:EpochTime")).isEqualTo("1795766523");
    }

    @Test
    void answersTypedFactsAndCustomKeysCaseInsensitively() {
        RequestContext context = RequestContext.builder(TestPrincipals.ALICE)
                .port(8443)
                .secureTransport(false)
                .queryParameters(Map.of("Page", List.of("1", "2")))
                .resourceTags(Map.of("Env", "prod"))
                .put("Custom:Thing", "x")
                .build();

        assertThat(lookup(context, "vpc-lattice-svcs:port")).isEqualTo("8443");
        assertThat(lookup(context, "aws:SecureTransport")).isEqualTo("false");
        assertThat(lookup(context, "vpc-lattice-svcs:RequestQueryString/page")).isEqualTo(List.of("1", "2"));
        assertThat(lookup(context, "aws:ResourceTag/env")).isEqualTo("prod");
        assertThat(lookup(context, "custom:thing")).isEqualTo("x");
        assertThat(lookup(context, "vpc-lattice-svcs:SourceVpc")).isNull();
    }
}
