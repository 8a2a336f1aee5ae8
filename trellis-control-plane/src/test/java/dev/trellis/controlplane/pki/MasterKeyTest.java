package dev.trellis.controlplane.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MasterKeyTest {

    @TempDir
    Path dataDir;

    private static final byte[] SECRET = "-----BEGIN PRIVATE KEY-----".getBytes(StandardCharsets.US_ASCII);

    @Test
    void theFirstLoadCreatesAKeyFileOnlyTheOwnerCanReadAndLaterLoadsReadIt() throws Exception {
        MasterKey first = MasterKey.load(dataDir, Map.of());
        Path file = dataDir.resolve("master.key");

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(Base64.getDecoder().decode(Files.readString(file).strip())).hasSize(32);
        MasterKey second = MasterKey.load(dataDir, Map.of());
        assertThat(second.fingerprint()).isEqualTo(first.fingerprint());
        assertThat(second.open(first.seal(SECRET, "arn:x"), "arn:x")).isEqualTo(SECRET);
        assertThat(first.toString()).contains(first.fingerprint()).contains(file.toString());
    }

    @Test
    void theEnvironmentVariableWinsAndNoFileIsWritten() {
        String key = Base64.getEncoder().encodeToString(new byte[32]);

        MasterKey fromEnvironment = MasterKey.load(dataDir, Map.of("TRELLIS_MASTER_KEY", key));

        assertThat(Files.exists(dataDir.resolve("master.key"))).isFalse();
        assertThat(fromEnvironment.source()).isEqualTo("the environment variable TRELLIS_MASTER_KEY");
        assertThat(fromEnvironment.fingerprint()).isEqualTo(MasterKey.fromBase64(key, "test").fingerprint());
    }

    @Test
    void aKeyOfTheWrongSizeOrNotBase64IsRefused() {
        assertThat(catchThrowableOfType(IllegalArgumentException.class, () -> MasterKey.load(dataDir,
                Map.of("TRELLIS_MASTER_KEY", Base64.getEncoder().encodeToString(new byte[16])))))
                .hasMessage("a master key is 32 bytes (base64 of 32 random bytes), not 16 (from the environment"
                        + " variable TRELLIS_MASTER_KEY)");
        assertThat(catchThrowableOfType(IllegalArgumentException.class, () -> MasterKey.load(dataDir,
                Map.of("TRELLIS_MASTER_KEY", "not base64!")))).hasMessageStartingWith("the master key from the"
                + " environment variable TRELLIS_MASTER_KEY is not base64");
    }

    @Test
    void aSealedValueOpensOnlyWithItsKeyAndForItsOwnResource() {
        MasterKey key = MasterKey.generate();
        String sealed = key.seal(SECRET, "arn:aws:acm:us-west-2:111122223333:certificate/a");

        assertThat(sealed).startsWith("v1." + key.fingerprint() + ".").doesNotContain("BEGIN");
        assertThat(key.seal(SECRET, "arn:a")).isNotEqualTo(key.seal(SECRET, "arn:a"));
        MasterKey other = MasterKey.generate();
        assertThat(catchThrowableOfType(MasterKey.WrongMasterKeyException.class,
                () -> other.open(sealed, "arn:aws:acm:us-west-2:111122223333:certificate/a")))
                .hasMessage("the private key of arn:aws:acm:us-west-2:111122223333:certificate/a was encrypted with"
                        + " master key " + key.fingerprint() + ", but this control plane's master key (from a"
                        + " generated key) is " + other.fingerprint() + ": start it with the master key the store"
                        + " was created with");
        assertThat(catchThrowableOfType(MasterKey.WrongMasterKeyException.class,
                () -> key.open(sealed, "arn:aws:acm:us-west-2:111122223333:certificate/b")))
                .hasMessageContaining("does not authenticate");
        String tampered = sealed.substring(0, sealed.length() - 4) + (sealed.endsWith("AAAA") ? "BBBB" : "AAAA");
        assertThat(catchThrowableOfType(MasterKey.WrongMasterKeyException.class,
                () -> key.open(tampered, "arn:aws:acm:us-west-2:111122223333:certificate/a")))
                .hasMessageContaining("does not authenticate");
    }
}
