package dev.trellis.auth.sigv4;

import dev.trellis.auth.Principal;
import org.junit.jupiter.api.Test;

import java.security.interfaces.ECPublicKey;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class SigV4KeyCacheTest {

    static final Principal USER = Principal.user("aws", "111122223333", "/", "alice", "AIDAEXAMPLE", Map.of());

    static SigningCredential credential(String accessKeyId, String secret) {
        return SigningCredential.builder(accessKeyId, USER).secretAccessKey(secret).build();
    }

    @Test
    void derivesEachScopeOnceAndReusesIt() {
        SigV4KeyCache cache = new SigV4KeyCache(16);
        SigningCredential alice = credential("AKIAALICE", "secret-a");

        byte[] first = cache.signingKey(alice, "20260302", "us-west-2", "vpc-lattice-svcs");
        byte[] again = cache.signingKey(alice, "20260302", "us-west-2", "vpc-lattice-svcs");

        assertThat(again).isSameAs(first);
        assertThat(first).isEqualTo(SigV4KeyDerivation.deriveSigningKey("secret-a", "20260302", "us-west-2",
                "vpc-lattice-svcs").key());
        assertThat(cache.size()).isEqualTo(1);
    }

    @Test
    void keepsScopesApartByDateRegionAndService() {
        SigV4KeyCache cache = new SigV4KeyCache(16);
        SigningCredential alice = credential("AKIAALICE", "secret-a");

        byte[] base = cache.signingKey(alice, "20260302", "us-west-2", "vpc-lattice-svcs");

        assertThat(cache.signingKey(alice, "20260303", "us-west-2", "vpc-lattice-svcs")).isNotEqualTo(base);
        assertThat(cache.signingKey(alice, "20260302", "us-east-1", "vpc-lattice-svcs")).isNotEqualTo(base);
        assertThat(cache.signingKey(alice, "20260302", "us-west-2", "vpc-lattice")).isNotEqualTo(base);
        assertThat(cache.size()).isEqualTo(4);
    }

    @Test
    void neverServesAKeyDerivedFromAnotherSecretUnderTheSameAccessKeyId() {
        SigV4KeyCache cache = new SigV4KeyCache(16);
        byte[] old = cache.signingKey(credential("AKIAREUSED", "old-secret"), "20260302", "us-west-2", "iam");

        byte[] fresh = cache.signingKey(credential("AKIAREUSED", "new-secret"), "20260302", "us-west-2", "iam");

        assertThat(fresh).isNotEqualTo(old).isEqualTo(
                SigV4KeyDerivation.deriveSigningKey("new-secret", "20260302", "us-west-2", "iam").key());
    }

    @Test
    void staysWithinItsBound() {
        SigV4KeyCache cache = new SigV4KeyCache(32);
        for (int i = 0; i < 1000; i++) {
            cache.signingKey(credential("AKIA" + i, "secret-" + i), "20260302", "us-west-2", "iam");
            assertThat(cache.size()).isLessThanOrEqualTo(32);
        }
    }

    @Test
    void cachesSigV4aPublicKeysPerAccessKey() {
        SigV4KeyCache cache = new SigV4KeyCache(16);
        SigningCredential alice = credential("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");

        ECPublicKey key = cache.sigV4aPublicKey(alice);

        assertThat(cache.sigV4aPublicKey(alice)).isSameAs(key);
        assertThat(key.getW().getAffineX().toString(16))
                .isEqualTo("b6618f6a65740a99e650b33b6b4b5bd0d43b176d721a3edfea7e7d2d56d936b1");
    }
}
