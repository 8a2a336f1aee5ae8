package dev.trellis.auth.sigv4;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** Canonicalisation rules beyond what the AWS test suite covers. */
class CanonicalEncodingTest {

    static String path(String raw, boolean normalize) {
        OctetBuffer out = new OctetBuffer(16);
        CanonicalEncoding.writeCanonicalPath(raw, normalize, out);
        return out.asOctetString();
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "''                         | /",
            "/                          | /",
            "/a/b/../c/./d              | /a/c/d",
            "/a/b/..                    | /a/",
            "/a/.                       | /a/",
            "/../../a                   | /a",
            "//a///b//                  | /a/b/",
            "/tags/arn%3Aaws%3Aservice%2Fsvc-1 | /tags/arn%253Aaws%253Aservice%252Fsvc-1",
            "/a b/c+d/e=f               | /a%20b/c%2Bd/e%3Df",
            "/%7euser                   | /%257euser",
            "/-_.~az09AZ                | /-_.~az09AZ",
    })
    void normalisesAndDoubleEncodesPathsForNonS3Services(String raw, String canonical) {
        assertThat(path(raw, true)).isEqualTo(canonical);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "//a//./b/../c  | //a//./b/../c",
            "/photos/my%2Fkey | /photos/my%2Fkey",
            "/%7euser       | /~user",
            "/%e1%88%b4     | /%E1%88%B4",
            "/a b           | /a%20b",
            "/100%          | /100%25",
            "/%\u0660\u0660x  | /%25%D9%A0%D9%A0x",
            "/%\uFF10A       | /%25%EF%BC%90A",
    })
    void keepsS3StylePathsAsSentAndEncodesThemOnce(String raw, String canonical) {
        assertThat(path(raw, false)).isEqualTo(canonical);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "b=2&a=1                    | a=1&b=2",
            "a=2&a=10&a=1               | a=1&a=10&a=2",
            "flag&a=                    | a=&flag=",
            "&&a=1&                     | a=1",
            "k=a+b&k2=%20               | k=a%2Bb&k2=%20",
            "%7e=%7E&%41=x              | A=x&~=~",
            "a=%zz                      | a=%25zz",
            "a=%\uFF12\uFF10              | a=%25%EF%BC%92%EF%BC%90",
            "Z=1&a=1&_=1                | Z=1&_=1&a=1",
    })
    void sortsAndReencodesQueryParameters(String raw, String canonical) {
        String actual = Arrays.stream(SigV4Verifier.parseQuery(raw))
                .map(q -> q.key() + "=" + q.value()).collect(Collectors.joining("&"));
        assertThat(actual).isEqualTo(canonical);
    }

    @ParameterizedTest(name = "[{0}] -> [{1}]")
    @CsvSource(delimiter = '|', value = {
            "'  value  '            | value",
            "'a   b\tc'             | a b c",
            "'\"a   b   c\"'        | \"a b c\"",
            "''                     | ''",
            "'   '                  | ''",
    })
    void trimsHeaderValuesAndCollapsesInnerWhitespace(String raw, String canonical) {
        OctetBuffer out = new OctetBuffer(16);
        CanonicalEncoding.writeTrimmedValue(raw, out);
        assertThat(out.asOctetString()).isEqualTo(canonical);
    }

    @ParameterizedTest(name = "{0} matches {1}: {2}")
    @CsvSource({"*, us-east-1, true", "us-*, us-east-1, true", "us-*, eu-west-1, false",
            "*-west-*, eu-west-1, true", "us-east-1, us-east-1, true", "us-east-1, us-east-2, false"})
    void matchesRegionSetEntriesWithWildcards(String pattern, String region, boolean matches) {
        assertThat(SigV4Verifier.globMatches(pattern, region)).isEqualTo(matches);
    }
}
