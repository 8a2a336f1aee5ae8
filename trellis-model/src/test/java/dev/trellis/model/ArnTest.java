package dev.trellis.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ArnTest {

    @Test
    void splitsAllSixPartsAndKeepsColonsInTheResource() {
        Arn arn = Arn.parse("arn:aws:vpc-lattice:us-west-2:615847537300:service/svc-0891088e6cc27c501/a:b");

        assertThat(arn.partition()).isEqualTo("aws");
        assertThat(arn.service()).isEqualTo("vpc-lattice");
        assertThat(arn.region()).isEqualTo("us-west-2");
        assertThat(arn.accountId()).isEqualTo("615847537300");
        assertThat(arn.resource()).isEqualTo("service/svc-0891088e6cc27c501/a:b");
        assertThat(arn).hasToString("arn:aws:vpc-lattice:us-west-2:615847537300:service/svc-0891088e6cc27c501/a:b");
    }

    @Test
    void acceptsEmptyRegionAndAccountAsIamArnsHaveThem() {
        Arn arn = Arn.parse("arn:aws:iam::615847537300:role/aws-sigv4-client");

        assertThat(arn.region()).isEmpty();
        assertThat(arn.resource()).isEqualTo("role/aws-sigv4-client");
    }

    @Test
    void rejectsTextThatIsNotAnArnWithAMessageNamingIt() {
        assertThat(Arn.tryParse("svc-0891088e6cc27c501")).isNull();
        assertThat(Arn.tryParse("arn:aws:iam::123")).isNull();
        assertThatThrownBy(() -> Arn.parse("arn:aws"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not an ARN: 'arn:aws'");
    }
}
