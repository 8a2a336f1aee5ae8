package dev.trellis.auth.policy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class IpRangeTest {

    @ParameterizedTest(name = "{0} contains {1}: {2}")
    @CsvSource({
            "10.0.0.0/8, 10.255.255.255, true",
            "10.0.0.0/8, 11.0.0.0, false",
            "0.0.0.0/0, 203.0.113.1, true",
            "192.0.2.7, 192.0.2.7, true",
            "192.0.2.7/32, 192.0.2.8, false",
            "169.254.171.0/24, ::ffff:169.254.171.65, true",
            "169.254.171.0/24, ::ffff:169.254.172.65, false",
            "fd00:ec2:80::/64, fd00:ec2:80::a9fe:ab41, true",
            "fd00:ec2:80::/64, fd00:ec2:81::1, false",
            "::/0, 2001:db8::1, true",
            "::1, ::1, true",
            "::1, 0:0:0:0:0:0:0:1, true",
            "2001:db8::/127, 2001:db8::1, true",
            "2001:db8::/127, 2001:db8::2, false",
            "2001:db8:0:0:1::/80, 2001:DB8::1:0:0:5, true",
            "fe80::/10, fe80::1%eth0, true",
            "10.0.0.0/8, fd00::1, false",
            "fd00::/8, 10.0.0.1, false",
            "10.0.0.0/8, 10.0.0, false",
            "10.0.0.0/8, not-an-ip, false",
    })
    void matchesAddressesInsideTheBlock(String block, String address, boolean expected) {
        IpRange range = IpRange.parse(block);

        assertThat(range).isNotNull();
        assertThat(range.contains(address)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "10.0.0", "10.0.0.0.0", "256.0.0.1", "10.0.0.01", "10.0.0.0/", "10.0.0.0/33",
            "10.0.0.0/a", ":::", "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", "fd00::/129", "g::1", "1:2:3:4:5:6:7:"})
    void rejectsWhatIsNotAnAddressOrBlock(String text) {
        assertThat(IpRange.parse(text)).isNull();
    }
}
