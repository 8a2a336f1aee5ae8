package dev.trellis.controlplane.sts;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.trellis.controlplane.protocol.ApiException;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Set;

/**
 * Verification of OpenID Connect tokens for {@code AssumeRoleWithWebIdentity}: a signed JWT (RS*, PS* or ES*; never
 * {@code none} or HMAC) whose signature verifies with one of the provider's registered public keys, with an issuer,
 * a subject, an audience among the provider's client ids, and an expiry still ahead. Failures are STS's errors:
 * {@code InvalidIdentityToken} (400), or {@code ExpiredTokenException} (400) for an expired token.
 */
final class WebIdentityTokens {

    private static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.RS256, JWSAlgorithm.RS384,
            JWSAlgorithm.RS512, JWSAlgorithm.PS256, JWSAlgorithm.PS384, JWSAlgorithm.PS512, JWSAlgorithm.ES256,
            JWSAlgorithm.ES384, JWSAlgorithm.ES512);
    /** How far ahead of this clock a token's {@code nbf} may be, for clocks that disagree a little. */
    static final Duration CLOCK_SKEW = Duration.ofMinutes(5);
    static final String NO_KEY = "Couldn't retrieve verification key from your identity provider, please reference"
            + " AssumeRoleWithWebIdentity documentation for requirements";

    private WebIdentityTokens() {
    }

    /** A parsed, not yet verified token: what is needed to find its provider and key. */
    record ParsedToken(SignedJWT jwt, String issuer) {
    }

    /** A verified token's facts. */
    record VerifiedToken(String issuer, String subject, String audience) {
    }

    static ParsedToken parse(String token) {
        SignedJWT jwt;
        String issuer;
        try {
            jwt = SignedJWT.parse(token.trim());
            issuer = jwt.getJWTClaimsSet().getIssuer();
        } catch (ParseException e) {
            throw invalid("The web identity token is not a signed JWT (header.payload.signature of base64url"
                    + " JSON).");
        }
        if (issuer == null || issuer.isEmpty()) {
            throw invalid("Missing a required claim: iss");
        }
        return new ParsedToken(jwt, issuer);
    }

    /**
     * Whether one of {@code keys} is the token's key (by {@code kid}, or the only key of the algorithm's type when
     * the token names none): a key set without it may be stale.
     */
    static boolean hasKeyFor(ParsedToken token, JWKSet keys) {
        return key(token, keys) != null;
    }

    /**
     * Verifies the signature with the provider's keys, then the claims.
     *
     * @param clientIds the provider's client ids: the token's audience must be one of them
     */
    static VerifiedToken verify(ParsedToken token, JWKSet keys, List<String> clientIds, Instant now) {
        JWSAlgorithm algorithm = token.jwt().getHeader().getAlgorithm();
        if (!ALGORITHMS.contains(algorithm)) {
            throw invalid("The web identity token is signed with " + algorithm + "; RS256, RS384, RS512, PS256,"
                    + " PS384, PS512, ES256, ES384 and ES512 are accepted.");
        }
        JWK key = key(token, keys);
        if (key == null) {
            throw invalid(NO_KEY);
        }
        boolean verified;
        try {
            JWSVerifier verifier = key instanceof RSAKey rsa ? new RSASSAVerifier(rsa) : new ECDSAVerifier((ECKey) key);
            verified = token.jwt().verify(verifier);
        } catch (JOSEException e) {
            verified = false;
        }
        if (!verified) {
            throw invalid("The web identity token's signature does not verify with the identity provider's"
                    + " signing keys.");
        }
        JWTClaimsSet claims;
        try {
            claims = token.jwt().getJWTClaimsSet();
        } catch (ParseException e) {
            throw invalid("The web identity token's claims are not a JSON object.");
        }
        Date expiry = claims.getExpirationTime();
        if (expiry == null) {
            throw invalid("Missing a required claim: exp");
        }
        if (!now.isBefore(expiry.toInstant())) {
            throw new ApiException("ExpiredTokenException", 400, "Token expired: current date/time "
                    + now.getEpochSecond() + " must be before the expiration date/time "
                    + expiry.toInstant().getEpochSecond());
        }
        Date notBefore = claims.getNotBeforeTime();
        if (notBefore != null && notBefore.toInstant().isAfter(now.plus(CLOCK_SKEW))) {
            throw invalid("The web identity token is not valid before " + notBefore.toInstant() + ".");
        }
        List<String> audiences = claims.getAudience();
        if (audiences == null || audiences.isEmpty()) {
            throw invalid("Missing a required claim: aud");
        }
        String audience = audiences.stream().filter(clientIds::contains).findFirst()
                .orElseThrow(() -> invalid("Incorrect token audience"));
        String subject = claims.getSubject();
        if (subject == null || subject.isEmpty()) {
            throw invalid("Missing a required claim: sub");
        }
        return new VerifiedToken(token.issuer(), subject, audience);
    }

    private static JWK key(ParsedToken token, JWKSet keys) {
        JWSAlgorithm algorithm = token.jwt().getHeader().getAlgorithm();
        boolean rsa = JWSAlgorithm.Family.RSA.contains(algorithm);
        boolean ec = JWSAlgorithm.Family.EC.contains(algorithm);
        String kid = token.jwt().getHeader().getKeyID();
        JWK found = null;
        int candidates = 0;
        for (JWK key : keys.getKeys()) {
            boolean typeFits = rsa && key instanceof RSAKey || ec && key instanceof ECKey;
            if (!typeFits || key.getKeyUse() != null && !key.getKeyUse().identifier().equals("sig")) {
                continue;
            }
            if (kid != null) {
                if (kid.equals(key.getKeyID())) {
                    return key;
                }
            } else {
                found = key;
                candidates++;
            }
        }
        return candidates == 1 ? found : null;
    }

    static ApiException invalid(String message) {
        return new ApiException("InvalidIdentityToken", 400, message);
    }
}
