package dev.trellis.controlplane.route53;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class RecordValuesTest {

    @Test
    void acceptsDottedQuadsOnly() {
        assertThat(List.of("10.0.0.1", "0.0.0.0", "255.255.255.255", "169.254.171.65"))
                .allMatch(RecordValues::isIpv4);
        assertThat(List.of("10.0.0", "256.1.1.1", "01.2.3.4", "1.2.3.4.5", "a.b.c.d", "", "1..2.3", " 1.2.3.4"))
                .noneMatch(RecordValues::isIpv4);
    }

    @Test
    void acceptsRfc4291TextForms() {
        assertThat(List.of("::", "::1", "fd00:ec2:80::a9fe:ab41", "2001:db8:0:0:0:0:0:1", "::ffff:10.0.0.1",
                "FD00::1")).allMatch(RecordValues::isIpv6);
        assertThat(List.of("fd00::1::2", "12345::", "2001:db8:0:0:0:0:0:0:1", "g::1", ":1", "1:", "10.0.0.1",
                "fe80::1%eth0", "[::1]", "1:2:3:4:5:6:7", "\uFF12001:db8::1")).noneMatch(RecordValues::isIpv6);
    }

    @Test
    void wantsTxtValuesAsQuotedStringsOfAtMost255Octets() {
        assertThat(RecordValues.txtProblem("\"v=spf1 -all\"")).isNull();
        assertThat(RecordValues.txtProblem("\"a\" \"b \\\" c\"")).isNull();
        assertThat(RecordValues.txtProblem("\"" + "x".repeat(255) + "\"")).isNull();
        assertThat(RecordValues.txtProblem("unquoted")).startsWith("InvalidCharacterString");
        assertThat(RecordValues.txtProblem("\"open")).startsWith("InvalidCharacterString");
        assertThat(RecordValues.txtProblem("")).startsWith("InvalidCharacterString");
        assertThat(RecordValues.txtProblem("\"" + "x".repeat(256) + "\"")).startsWith("CharacterStringTooLong");
    }

    @Test
    void checksTheSevenFieldsOfAnSoa() {
        assertThat(RecordValues.soaProblem(HostedZoneOperations.SOA_VALUE)).isNull();
        assertThat(RecordValues.soaProblem("a. b. 1 2 3 4")).contains("7 fields");
        assertThat(RecordValues.soaProblem("a. b. 1 2 3 4 -5")).contains("unsigned 32-bit");
        assertThat(RecordValues.soaProblem("a. b. \uFF11 2 3 4 5")).contains("unsigned 32-bit");
        assertThat(RecordValues.soaProblem("a..x b. 1 2 3 4 5")).contains("InvalidDomainName");
    }
}
