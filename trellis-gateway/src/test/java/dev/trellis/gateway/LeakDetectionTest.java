package dev.trellis.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A Trellis process turns Netty's leak detection off, unless the operator named a level. */
class LeakDetectionTest {

    private ResourceLeakDetector.Level before;
    private String property;

    @BeforeEach
    void remember() {
        before = ResourceLeakDetector.getLevel();
        property = System.getProperty(LeakDetection.PROPERTY);
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.SIMPLE);
    }

    @AfterEach
    void restore() {
        if (property == null) {
            System.clearProperty(LeakDetection.PROPERTY);
        } else {
            System.setProperty(LeakDetection.PROPERTY, property);
        }
        ResourceLeakDetector.setLevel(before);
    }

    @Test
    void offWhenNoLevelIsNamed() {
        System.clearProperty(LeakDetection.PROPERTY);

        assertThat(LeakDetection.offUnlessConfigured()).isTrue();
        assertThat(ResourceLeakDetector.getLevel()).isEqualTo(ResourceLeakDetector.Level.DISABLED);
    }

    @Test
    void aNamedLevelIsKept() {
        System.setProperty(LeakDetection.PROPERTY, "paranoid");

        assertThat(LeakDetection.offUnlessConfigured()).isFalse();
        assertThat(ResourceLeakDetector.getLevel()).isEqualTo(ResourceLeakDetector.Level.SIMPLE);
    }
}
