package dev.trellis.auth.policy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class WildcardPatternTest {

    @ParameterizedTest(name = "\"{0}\" matches \"{1}\" (ignoring case: {2}): {3}")
    @CsvSource({
            "*, '', false, true",
            "*, anything/at:all, false, true",
            "abc, abc, false, true",
            "abc, ABC, false, false",
            "abc, ABC, true, true",
            "ABC, abc, true, true",
            "abc*, abcdef, false, true",
            "abc*, ab, false, false",
            "*def, abcdef, false, true",
            "a*c*e, abcde, false, true",
            "a*c*e, abcdf, false, false",
            "a?c, abc, false, true",
            "a?c, ac, false, false",
            "a?c, abbc, false, false",
            "a**c, ac, false, true",
            "*a*a*a*a*b, aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, false, false",
            "vpc-lattice-svcs:*, VPC-LATTICE-SVCS:Invoke, true, true",
    })
    void matchesLikeIam(String pattern, String input, boolean ignoreCase, boolean expected) {
        assertThat(WildcardPattern.compile(pattern, ignoreCase).matches(input)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "\"{0}\" in an ARN part matches \"{1}\": {2}")
    @CsvSource({
            "arn:aws:vpc-lattice:*:111122223333:service/*, arn:aws:vpc-lattice:us-west-2:111122223333:service/svc-1, true",
            "arn:aws:vpc-lattice:*:111122223333:service/*, arn:aws:vpc-lattice:us-west-2:444455556666:service/svc-1, false",
            "arn:aws:*:*:*:*, arn:aws:iam::111122223333:role/x, true",
            "arn:aws:iam::*:role/x, arn:aws:iam::111122223333:role/x, true",
            "arn:aws:iam::*:role/x, arn:aws:iam:us-east-1:111122223333:role/x, false",
            "*, not-even-an-arn, true",
            "arn:aws:iam::111122223333:role/x, arn:aws:iam::111122223333, false",
    })
    void matchesArnsPartByPart(String pattern, String value, boolean expected) {
        ValueTemplate.Resolved p = ValueTemplate.parse(pattern, false).constant();

        assertThat(Condition.arnMatches(p.chars, p.wild, p.length, value)).isEqualTo(expected);
    }
}
