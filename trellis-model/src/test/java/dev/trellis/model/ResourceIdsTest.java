package dev.trellis.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ResourceIdsTest {

    @Test
    void newIdsArePrefixAndSeventeenLowercaseHexDigitsStartingWithZero() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            String id = ResourceIds.newId("svc");
            assertThat(id).matches("svc-0[0-9a-f]{16}");
            assertThat(ResourceIds.isId("svc", id)).isTrue();
            seen.add(id);
        }
        assertThat(seen).hasSize(1000);
    }

    @Test
    void recognisesOnlyItsOwnPrefixAndShape() {
        assertThat(ResourceIds.isId("sn", "sn-0e05d75deabe9f290")).isTrue();
        assertThat(ResourceIds.isId("svc", "sn-0e05d75deabe9f290")).isFalse();
        assertThat(ResourceIds.isId("sn", "sn-0E05D75DEABE9F290")).isFalse();
        assertThat(ResourceIds.isId("sn", "sn-0e05d75deabe9f29")).isFalse();
        assertThat(ResourceIds.suffix("svc-0cfe1f49ff3266204")).isEqualTo("0cfe1f49ff3266204");
    }
}
