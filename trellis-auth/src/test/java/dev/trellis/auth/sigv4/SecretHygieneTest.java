package dev.trellis.auth.sigv4;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static dev.trellis.auth.sigv4.SdkSignerInteropTest.CLOCK;
import static dev.trellis.auth.sigv4.SdkSignerInteropTest.NOW;
import static dev.trellis.auth.sigv4.SdkSignerInteropTest.ROLE_SESSION;
import static dev.trellis.auth.sigv4.SdkSignerInteropTest.SECRET;
import static dev.trellis.auth.sigv4.SdkSignerInteropTest.SESSION_ACCESS_KEY;
import static dev.trellis.auth.sigv4.SdkSignerInteropTest.SESSION_TOKEN;
import static org.assertj.core.api.Assertions.assertThat;

/** Secrets, derived keys, signatures and session tokens stay out of toString() and out of the logs. */
class SecretHygieneTest {

    @Test
    void credentialToStringShowsNoKeyMaterialOrToken() {
        SigningCredential credential = SigningCredential.builder(SESSION_ACCESS_KEY, ROLE_SESSION)
                .secretAccessKey(SECRET).sessionToken(SESSION_TOKEN).expiresAt(NOW.plus(Duration.ofHours(1)))
                .derivedKey(SigV4KeyDerivation.deriveSigningKey(SECRET, "20260302", "us-west-2", "vpc-lattice-svcs"))
                .sigV4aPublicKey(SigV4KeyDerivation.deriveSigV4aPublicKey(SESSION_ACCESS_KEY, SECRET))
                .build();

        assertThat(credential.toString()).contains(SESSION_ACCESS_KEY).doesNotContain(SECRET)
                .doesNotContain(SESSION_TOKEN).doesNotContain("IQoJ");
        assertThat(credential.derivedKeys().values().iterator().next().toString())
                .isEqualTo("DerivedSigningKey[20260302/us-west-2/vpc-lattice-svcs]");
    }

    @Test
    void signedRequestToStringShowsHeaderNamesOnly() {
        SignedRequest signed = SigV4VerifierRejectionTest.latticeSigned();
        String signature = signed.firstHeader("Authorization").replaceAll(".*Signature=", "");

        assertThat(signed.toString()).contains("Authorization").doesNotContain(signature)
                .doesNotContain(SESSION_TOKEN);
    }

    @Test
    void rejectionsAreLoggedWithoutSignaturesSecretsOrTokens() {
        Logger logger = (Logger) LoggerFactory.getLogger(SigV4Verifier.class);
        Level previous = logger.getLevel();
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        logger.setLevel(Level.DEBUG);
        logger.setAdditive(false); // capture only; keep the console quiet
        try {
            SigV4Verifier verifier = SigV4VerifierRejectionTest.latticeVerifier(CLOCK,
                    SigV4VerifierRejectionTest.sessionCredential());
            List<SignedRequest> rejected = new ArrayList<>();
            rejected.add(SdkSigning.signV4(SigV4VerifierRejectionTest.LATTICE_CALL,
                    SigV4VerifierRejectionTest.LATTICE_SESSION.withSecret("wrong"), false));
            rejected.add(RequestEdit.of(SigV4VerifierRejectionTest.latticeSigned(), null)
                    .header("X-Amz-Security-Token", "wrong-token").build());
            rejected.add(RequestEdit.of(SigV4VerifierRejectionTest.latticePresigned(), null)
                    .queryParam("X-Amz-Signature", "00").build());
            for (SignedRequest request : rejected) {
                assertThat(verifier.verify(request)).isInstanceOf(SigV4Outcome.Rejected.class);
            }

            assertThat(appender.list).hasSize(rejected.size());
            for (ILoggingEvent event : appender.list) {
                String line = event.getFormattedMessage();
                assertThat(line).contains("reason=").contains(SESSION_ACCESS_KEY).doesNotContain(SECRET)
                        .doesNotContain(SESSION_TOKEN).doesNotContain("wrong-token").doesNotContain("Signature=");
                for (SignedRequest request : rejected) {
                    String auth = request.firstHeader("Authorization");
                    if (auth != null) {
                        assertThat(line).doesNotContain(auth.replaceAll(".*Signature=", ""));
                    }
                }
            }
        } finally {
            logger.detachAppender(appender);
            logger.setLevel(previous);
            logger.setAdditive(true);
        }
    }
}
