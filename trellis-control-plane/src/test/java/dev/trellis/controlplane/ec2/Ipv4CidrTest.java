package dev.trellis.controlplane.ec2;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class Ipv4CidrTest {

    @ParameterizedTest(name = "{0} is {1}")
    @CsvSource({
            "10.0.0.0/16, 10.0.0.0/16",
            "100.68.0.18/18, 100.68.0.0/18",
            "192.168.7.200/28, 192.168.7.192/28",
            "255.255.255.255/32, 255.255.255.255/32",
            "255.255.255.255/0, 0.0.0.0/0",
            "010.001.0.0/16, 10.1.0.0/16",
    })
    void parsesAndCanonicalisesDottedQuadsWithAPrefix(String text, String canonical) {
        assertThat(Ipv4Cidr.parse(text)).map(Ipv4Cidr::toString).contains(canonical);
    }

    @ParameterizedTest(name = "''{0}''")
    @ValueSource(strings = {"", "10.0.0.0", "10.0.0/16", "10.0.0.0.0/16", "256.0.0.0/16", "10.0.0.0/33",
        "10.0.0.0/016", "10.0.0.0/", "/16", "10.0.0.-1/16", "10.0.0.+1/16", "1000.0.0.0/16", "a.b.c.d/16",
        " 10.0.0.0/16", "10.0.0.0/16 ", "::/0", "10.0.0.0/1a"})
    void refusesAnythingElse(String text) {
        assertThat(Ipv4Cidr.parse(text)).isEmpty();
    }
}
