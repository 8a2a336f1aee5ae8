package dev.trellis.controlplane.ec2;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** EC2's filter-value wildcards: {@code *}, {@code ?}, and a backslash for a literal. */
class FilterPatternTest {

    @ParameterizedTest(name = "''{0}'' against ''{1}'' is {2}")
    @CsvSource(delimiter = '|', value = {
            "cluster-a     | cluster-a       | true",
            "cluster-a     | cluster-b       | false",
            "cluster-*     | cluster-        | true",
            "cluster-*     | cluster-abc     | true",
            "*-a           | cluster-a       | true",
            "*             | ''              | true",
            "''            | ''              | true",
            "''            | x               | false",
            "cluster-?     | cluster-a       | true",
            "cluster-?     | cluster-        | false",
            "cluster-?     | cluster-ab      | false",
            "a*b*c         | a-b-b-c         | true",
            "a*b*c         | a-b-b-d         | false",
            "Cluster-A     | cluster-a       | false",
            "Other\\*      | Other*          | true",
            "Other\\*      | Others          | false",
            "what\\?       | what?           | true",
            "back\\\\slash | back\\slash     | true",
            "**            | anything        | true",
            "10.0.*/16     | 10.0.0.0/16     | true",
    })
    void matchesAsEc2Documents(String pattern, String text, boolean matches) {
        assertThat(FilterPattern.compile(pattern).matches(text)).isEqualTo(matches);
    }
}
