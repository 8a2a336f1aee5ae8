package dev.trellis.auth.sigv4;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.Signature;
import java.security.SignatureException;
import java.security.interfaces.ECPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.SecretKeySpec;

/**
 * Verifies SigV4 ({@code AWS4-HMAC-SHA256}) and SigV4A ({@code AWS4-ECDSA-P256-SHA256}) signatures of requests to
 * one service (signing name) in one region, in the {@code Authorization} header form and the presigned-URL form.
 *
 * <p>A verifier is immutable and thread-safe; build one per API and share it. It takes its credentials from a
 * {@link CredentialResolver}: credentials holding secrets (control plane) get their keys derived and cached in a
 * {@link SigV4KeyCache}; credentials holding derived keys and SigV4A public keys (gateways) are used directly.
 *
 * <p>Failures are values ({@link SigV4Outcome.Rejected}), not exceptions. Rejections are logged at debug level
 * with the reason and access key id only: secrets, signatures and session tokens are never logged.
 */
public final class SigV4Verifier {

    private static final Logger LOG = LoggerFactory.getLogger(SigV4Verifier.class);

    /** AWS's limit for {@code X-Amz-Expires}: seven days. */
    public static final long MAX_PRESIGNED_EXPIRES_SECONDS = 604_800;

    private static final String CONTENT_SHA256 = "x-amz-content-sha256";
    private static final String SECURITY_TOKEN_HEADER = "x-amz-security-token";
    private static final String REGION_SET_HEADER = "x-amz-region-set";
    private static final String TERMINATOR = "aws4_request";
    private static final String Q_ALGORITHM = "X-Amz-Algorithm";
    private static final String Q_CREDENTIAL = "X-Amz-Credential";
    private static final String Q_DATE = "X-Amz-Date";
    private static final String Q_EXPIRES = "X-Amz-Expires";
    private static final String Q_SIGNED_HEADERS = "X-Amz-SignedHeaders";
    private static final String Q_SIGNATURE = "X-Amz-Signature";
    private static final String Q_SECURITY_TOKEN = "X-Amz-Security-Token";
    private static final String Q_REGION_SET = "X-Amz-Region-Set";
    private static final String Q_CONTENT_SHA256 = "X-Amz-Content-Sha256";

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private final String signingName;
    private final String region;
    private final Set<String> regions;
    private final boolean normalizePath;
    private final boolean requireSignedContentSha256;
    private final CredentialResolver credentials;
    private final SigV4KeyCache keyCache;
    private final Clock clock;
    private final long maxSkewSeconds;

    private SigV4Verifier(Builder b) {
        this.signingName = b.signingName;
        this.region = b.regions.iterator().next();
        this.regions = Set.copyOf(b.regions);
        this.normalizePath = b.normalizePath;
        this.requireSignedContentSha256 = b.requireSignedContentSha256;
        this.credentials = b.credentials;
        this.keyCache = b.keyCache == null ? new SigV4KeyCache() : b.keyCache;
        this.clock = b.clock;
        this.maxSkewSeconds = b.maxSkew.getSeconds();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The signing name (credential-scope service) this verifier accepts. */
    public String signingName() {
        return signingName;
    }

    /** The region this verifier is in: SigV4 scopes must name it, SigV4A region sets must cover it. */
    public String region() {
        return region;
    }

    /** Verifies a request. Never throws for malformed input: every problem is a {@link SigV4Outcome.Rejected}. */
    public SigV4Outcome verify(SignedRequest request) {
        Objects.requireNonNull(request, "request");
        Parsed parsed = new Parsed(SCRATCH.get());
        SigV4Failure failure = parse(request, parsed);
        if (parsed.unsigned) {
            return SigV4Outcome.unsigned();
        }
        if (failure == null) {
            failure = authenticate(request, parsed);
        }
        if (failure != null) {
            if (LOG.isDebugEnabled()) {
                LOG.debug("SigV4 rejected: reason={} accessKeyId={} service={} location={}", failure.reason(),
                        parsed.accessKeyId, signingName, parsed.location);
            }
            return new SigV4Outcome.Rejected(failure);
        }
        return new SigV4Outcome.Authenticated(parsed.credential.principal(), parsed.accessKeyId,
                parsed.algorithm, parsed.location, parsed.scopeService,
                parsed.algorithm == SigV4Algorithm.AWS4_HMAC_SHA256 ? parsed.scopeRegion : parsed.regionSet,
                Instant.ofEpochSecond(parsed.epochSeconds), parsed.credential.sessionTokenOrNull() != null);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Parsing: Authorization header or presigned query parameters, then the checks that need no credential.
    // ---------------------------------------------------------------------------------------------------------

    /** Parsed signature parameters of one request, and the thread's scratch state that verifies it. */
    static final class Parsed {
        final Scratch scratch;
        boolean unsigned;
        SigV4Outcome.SignatureLocation location;
        SigV4Algorithm algorithm;
        String accessKeyId;
        String scopeDate;
        String scopeRegion;
        String scopeService;
        String signedHeadersRaw;
        String[] signedHeaders;
        /** Per signed header: its name in lower case, its canonical line's start ({@code name:}) as octets. */
        String[] signedHeaderLookupNames;
        byte[][] signedHeaderLineStarts;
        /** Per signed header: the index of its first field in the request. */
        int[] signedHeaderFirstFields;
        byte[] signedHeadersOctets;
        String signatureHex;
        String amzDate;
        long epochSeconds;
        long expiresSeconds = -1;
        String regionSet;
        String securityToken;
        boolean securityTokenInQuery;
        String contentSha256;
        QueryParameter[] query = QueryParameter.NONE;
        SigningCredential credential;
        boolean keyUnavailable;
        byte[] credentialScopeOctets;

        Parsed(Scratch scratch) {
            this.scratch = scratch;
        }
    }

    /** One query parameter: its canonical (re-encoded) key and value, and the raw value. */
    record QueryParameter(String key, String value, String rawValue) implements Comparable<QueryParameter> {
        static final QueryParameter[] NONE = new QueryParameter[0];

        @Override
        public int compareTo(QueryParameter o) {
            int byKey = key.compareTo(o.key);
            return byKey != 0 ? byKey : value.compareTo(o.value);
        }
    }

    private SigV4Failure parse(SignedRequest request, Parsed p) {
        String authorization = null;
        int authorizationFields = 0;
        for (int i = request.indexOf("authorization", 0); i >= 0; i = request.indexOf("authorization", i + 1)) {
            authorizationFields++;
            if (authorization == null) {
                authorization = request.headerValue(i).trim();
            }
        }
        // A scheme that is not AWS4 (Bearer, Basic, ...) belongs to the application, not to SigV4.
        if (authorization != null && !authorization.startsWith("AWS4-")) {
            authorization = null;
            authorizationFields = 0;
        }
        p.query = parseQuery(request.rawQuery());
        String presignAlgorithm = queryValue(p.query, Q_ALGORITHM);
        if (authorization == null && presignAlgorithm == null) {
            p.unsigned = true;
            return null;
        }
        if (authorization != null && presignAlgorithm != null) {
            return SigV4Failure.of(SigV4FailureReason.AMBIGUOUS_AUTHENTICATION, "Only one auth mechanism allowed; "
                    + "only the X-Amz-Algorithm query parameter or the Authorization header should be specified.");
        }
        SigV4Failure failure = authorization != null
                ? parseAuthorizationHeader(request, authorization, authorizationFields, p)
                : parsePresignedQuery(request, presignAlgorithm, p);
        if (failure != null) {
            return failure;
        }
        return checkScopeAndHeaders(request, p);
    }

    private SigV4Failure parseAuthorizationHeader(SignedRequest request, String authorization, int fields,
                                                  Parsed p) {
        p.location = SigV4Outcome.SignatureLocation.AUTHORIZATION_HEADER;
        int space = authorization.indexOf(' ');
        String algorithmName = space < 0 ? authorization : authorization.substring(0, space);
        p.algorithm = SigV4Algorithm.fromWireName(algorithmName);
        if (p.algorithm == null) {
            return SigV4Failure.of(SigV4FailureReason.UNSUPPORTED_ALGORITHM,
                    "Unsupported AWS 'algorithm': '" + printable(algorithmName) + "'.");
        }
        if (fields > 1) {
            return SigV4Failure.of(SigV4FailureReason.MALFORMED_AUTHORIZATION,
                    "The request carries " + fields + " Authorization headers; exactly one is allowed.");
        }
        // The components' values are located first and copied after: a client's Credential and SignedHeaders are
        // the same from one request to the next, and the thread's memo of the last ones (Scratch) then stands in
        // for the copy, and for splitting and checking them again (parseCredential, checkScopeAndHeaders).
        int credentialFrom = -1;
        int credentialTo = -1;
        int signedHeadersFrom = -1;
        int signedHeadersTo = -1;
        int signatureFrom = -1;
        int signatureTo = -1;
        if (space > 0) {
            int pos = space + 1;
            int n = authorization.length();
            while (pos < n) {
                int comma = authorization.indexOf(',', pos);
                int end = comma < 0 ? n : comma;
                int from = skipSpaces(authorization, pos, end);
                int to = trimEnd(authorization, from, end);
                if (from < to) {
                    int eq = authorization.indexOf('=', from);
                    if (eq < 0 || eq >= to) {
                        return SigV4Failure.of(SigV4FailureReason.MALFORMED_AUTHORIZATION,
                                "A component of the Authorization header is not a valid key=value pair "
                                        + "(missing equal-sign).");
                    }
                    int keyTo = trimEnd(authorization, from, eq);
                    int valueFrom = skipSpaces(authorization, eq + 1, to);
                    // Unknown components are ignored, as AWS does; of a repeated one, the last counts.
                    if (isKey(authorization, from, keyTo, "Credential")) {
                        credentialFrom = valueFrom;
                        credentialTo = to;
                    } else if (isKey(authorization, from, keyTo, "SignedHeaders")) {
                        signedHeadersFrom = valueFrom;
                        signedHeadersTo = to;
                    } else if (isKey(authorization, from, keyTo, "Signature")) {
                        signatureFrom = valueFrom;
                        signatureTo = to;
                    }
                }
                pos = end + 1;
            }
        }
        Scratch memo = p.scratch;
        String credential = null;
        if (credentialFrom >= 0) {
            credential = reuseOrCopy(memo.lastCredential, authorization, credentialFrom, credentialTo);
        }
        String signedHeaders = null;
        if (signedHeadersFrom >= 0) {
            signedHeaders = reuseOrCopy(memo.lastSignedHeaders, authorization, signedHeadersFrom, signedHeadersTo);
        }
        String signature = signatureFrom < 0 ? null : authorization.substring(signatureFrom, signatureTo);
        String amzDate = request.firstHeaderLowercase("x-amz-date");
        if (amzDate == null || isEmpty(credential) || isEmpty(signature) || isEmpty(signedHeaders)) {
            SigV4Failure failure = missingComponentsOrDate(request, credential, signature, signedHeaders);
            if (failure != null) {
                return failure;
            }
            amzDate = AmzDate.fromHttpDate(request.firstHeader("date"));
        }
        p.amzDate = amzDate.trim();
        p.signatureHex = signature;
        p.signedHeadersRaw = signedHeaders;
        p.securityToken = request.firstHeaderLowercase(SECURITY_TOKEN_HEADER);
        if (p.securityToken != null) {
            p.securityToken = p.securityToken.trim();
        }
        if (p.algorithm == SigV4Algorithm.AWS4_ECDSA_P256_SHA256) {
            String regionSet = request.firstHeaderLowercase(REGION_SET_HEADER);
            p.regionSet = regionSet == null ? null : regionSet.trim();
        }
        String contentSha256 = request.firstHeaderLowercase(CONTENT_SHA256);
        p.contentSha256 = contentSha256 == null ? null : contentSha256.trim();
        return parseCredential(credential, p);
    }

    /**
     * Why an Authorization header without one of its three components, or a request without a date, fails:
     * every missing piece named, as AWS names them; {@code null} when all are there and the date is a {@code
     * Date} header's.
     */
    private static SigV4Failure missingComponentsOrDate(SignedRequest request, String credential, String signature,
                                                        String signedHeaders) {
        boolean componentsComplete = !isEmpty(credential) && !isEmpty(signature) && !isEmpty(signedHeaders);
        String date = request.firstHeader("date");
        boolean dated = request.firstHeader("x-amz-date") != null;
        if (!dated && date != null) {
            if (AmzDate.fromHttpDate(date) == null) {
                return SigV4Failure.of(SigV4FailureReason.MALFORMED_DATE,
                        "The Date header must be an RFC 1123 date (or send X-Amz-Date).");
            }
            dated = true;
        }
        if (componentsComplete && dated) {
            return null;
        }
        StringBuilder missing = new StringBuilder();
        if (isEmpty(credential)) {
            missing.append("Authorization header requires 'Credential' parameter. ");
        }
        if (isEmpty(signature)) {
            missing.append("Authorization header requires 'Signature' parameter. ");
        }
        if (isEmpty(signedHeaders)) {
            missing.append("Authorization header requires 'SignedHeaders' parameter. ");
        }
        if (!dated) {
            missing.append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ");
        }
        SigV4FailureReason reason = componentsComplete
                ? SigV4FailureReason.MISSING_DATE : SigV4FailureReason.MALFORMED_AUTHORIZATION;
        return SigV4Failure.of(reason, missing.toString().trim());
    }

    /** Whether {@code text[from, to)} is exactly {@code key}. */
    private static boolean isKey(String text, int from, int to, String key) {
        return to - from == key.length() && text.startsWith(key, from);
    }

    /** {@code text[from, to)}: {@code last} when equal to it (no copy), else a copy. */
    private static String reuseOrCopy(String last, String text, int from, int to) {
        return last != null && last.length() == to - from && text.startsWith(last, from)
                ? last : text.substring(from, to);
    }

    private SigV4Failure parsePresignedQuery(SignedRequest request, String algorithmName, Parsed p) {
        p.location = SigV4Outcome.SignatureLocation.QUERY_STRING;
        p.algorithm = SigV4Algorithm.fromWireName(algorithmName);
        if (p.algorithm == null) {
            return SigV4Failure.of(SigV4FailureReason.UNSUPPORTED_ALGORITHM,
                    "Unsupported AWS 'algorithm': '" + printable(algorithmName) + "'.");
        }
        String credential = queryValue(p.query, Q_CREDENTIAL);
        String amzDate = queryValue(p.query, Q_DATE);
        String expires = queryValue(p.query, Q_EXPIRES);
        String signedHeaders = queryValue(p.query, Q_SIGNED_HEADERS);
        String signature = queryValue(p.query, Q_SIGNATURE);
        if (isEmpty(credential) || isEmpty(amzDate) || isEmpty(expires) || isEmpty(signedHeaders)
                || isEmpty(signature)) {
            return SigV4Failure.of(SigV4FailureReason.MALFORMED_AUTHORIZATION, "Query-string authentication "
                    + "version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, "
                    + "X-Amz-SignedHeaders, and X-Amz-Expires parameters.");
        }
        long expiresSeconds = parseExpires(expires);
        if (expiresSeconds == -1) {
            return SigV4Failure.of(SigV4FailureReason.INVALID_EXPIRES,
                    "X-Amz-Expires must be a whole number of seconds from 1 to " + MAX_PRESIGNED_EXPIRES_SECONDS
                            + ".");
        }
        if (expiresSeconds > MAX_PRESIGNED_EXPIRES_SECONDS) {
            return SigV4Failure.of(SigV4FailureReason.INVALID_EXPIRES,
                    "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be "
                            + "less than 604800 seconds");
        }
        p.expiresSeconds = expiresSeconds;
        p.amzDate = amzDate;
        p.signatureHex = signature;
        p.signedHeadersRaw = signedHeaders;
        p.securityToken = queryValue(p.query, Q_SECURITY_TOKEN);
        p.securityTokenInQuery = p.securityToken != null;
        if (p.securityToken == null) {
            String header = request.firstHeaderLowercase(SECURITY_TOKEN_HEADER);
            p.securityToken = header == null ? null : header.trim();
        }
        if (p.algorithm == SigV4Algorithm.AWS4_ECDSA_P256_SHA256) {
            p.regionSet = queryValue(p.query, Q_REGION_SET);
        }
        String contentSha256 = queryValue(p.query, Q_CONTENT_SHA256);
        if (contentSha256 == null) {
            contentSha256 = request.firstHeaderLowercase(CONTENT_SHA256);
        }
        p.contentSha256 = contentSha256 == null ? null : contentSha256.trim();
        return parseCredential(credential, p);
    }

    private static long parseExpires(String s) {
        if (s.isEmpty() || s.length() > 9) {
            return s.length() > 9 && s.chars().allMatch(Character::isDigit) ? Long.MAX_VALUE : -1;
        }
        long v = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v < 1 ? -1 : v;
    }

    private SigV4Failure parseCredential(String credential, Parsed p) {
        boolean v4a = p.algorithm == SigV4Algorithm.AWS4_ECDSA_P256_SHA256;
        int expectedParts = v4a ? 4 : 5;
        Scratch memo = p.scratch;
        String[] parts;
        if (credential == memo.lastCredential && p.algorithm == memo.lastCredentialAlgorithm) {
            parts = memo.lastCredentialParts;
        } else {
            parts = splitCredential(credential, expectedParts);
            if (parts == null || parts[0].isEmpty()) {
                return SigV4Failure.of(SigV4FailureReason.MALFORMED_CREDENTIAL,
                        "The authorization header is malformed; the Credential is mal-formed; expecting \""
                                + (v4a ? "<YOUR-AKID>/YYYYMMDD/SERVICE/aws4_request"
                                : "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request") + "\".");
            }
            memo.lastCredential = credential;
            memo.lastCredentialAlgorithm = p.algorithm;
            memo.lastCredentialParts = parts;
            memo.lastCredentialScope = credential.substring(parts[0].length() + 1);
            memo.lastCredentialScopeOctets = OctetBuffer.octetsOf(memo.lastCredentialScope);
        }
        p.accessKeyId = parts[0];
        p.scopeDate = parts[1];
        p.scopeRegion = v4a ? null : parts[2];
        p.scopeService = parts[v4a ? 2 : 3];
        String terminator = parts[expectedParts - 1];
        p.credentialScopeOctets = memo.lastCredentialScopeOctets;
        long epochSeconds = AmzDate.parseEpochSeconds(p.amzDate);
        if (epochSeconds == Long.MIN_VALUE) {
            return SigV4Failure.of(SigV4FailureReason.MALFORMED_DATE,
                    "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
        }
        p.epochSeconds = epochSeconds;
        if (!TERMINATOR.equals(terminator)) {
            return SigV4Failure.of(SigV4FailureReason.CREDENTIAL_SCOPE_TERMINATOR,
                    "Credential should be scoped with a valid terminator: 'aws4_request', not '"
                            + printable(terminator) + "'.");
        }
        if (!p.amzDate.regionMatches(0, p.scopeDate, 0, 8) || p.scopeDate.length() != 8) {
            return SigV4Failure.of(SigV4FailureReason.CREDENTIAL_SCOPE_DATE_MISMATCH,
                    "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '"
                            + printable(p.scopeDate) + "' != '" + p.amzDate.substring(0, 8) + "', from '"
                            + p.amzDate + "'.");
        }
        return null;
    }

    private SigV4Failure checkScopeAndHeaders(SignedRequest request, Parsed p) {
        if (!signingName.equals(p.scopeService)) {
            return SigV4Failure.of(SigV4FailureReason.WRONG_SERVICE,
                    "Credential should be scoped to correct service: '" + signingName + "'.");
        }
        if (p.algorithm == SigV4Algorithm.AWS4_HMAC_SHA256 && !regions.contains(p.scopeRegion)) {
            return SigV4Failure.of(SigV4FailureReason.WRONG_REGION,
                    "Credential should be scoped to a valid region, not '" + printable(p.scopeRegion) + "'.");
        }
        Scratch memo = p.scratch;
        if (p.signedHeadersRaw != memo.lastSignedHeaders) {
            String[] names = splitSignedHeaders(p.signedHeadersRaw);
            for (String name : names) {
                if (name.isEmpty()) {
                    return SigV4Failure.of(SigV4FailureReason.MALFORMED_AUTHORIZATION,
                            "SignedHeaders must be a ';'-separated list of header names.");
                }
            }
            memo.signedHeaders(p.signedHeadersRaw, names);
        }
        p.signedHeaders = memo.lastSignedHeaderNames;
        p.signedHeaderLookupNames = memo.lastSignedHeaderLookupNames;
        p.signedHeaderLineStarts = memo.lastSignedHeaderLineStarts;
        p.signedHeadersOctets = memo.lastSignedHeadersOctets;
        p.signedHeaderFirstFields = memo.firstFields(p.signedHeaders.length);
        boolean hostSigned = memo.hostSigned;
        boolean contentSha256Signed = memo.contentSha256Signed;
        boolean regionSetSigned = memo.regionSetSigned;
        if (!hostSigned) {
            return SigV4Failure.of(SigV4FailureReason.HOST_NOT_SIGNED,
                    "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
        }
        for (int k = 0; k < p.signedHeaders.length; k++) {
            int first = request.indexOf(p.signedHeaderLookupNames[k], 0);
            if (first < 0) {
                return SigV4Failure.of(SigV4FailureReason.SIGNED_HEADER_MISSING, "'" + printable(p.signedHeaders[k])
                        + "' is named as a SignedHeader, but it does not exist in the HTTP request.");
            }
            p.signedHeaderFirstFields[k] = first;
        }
        boolean headerForm = p.location == SigV4Outcome.SignatureLocation.AUTHORIZATION_HEADER;
        if (requireSignedContentSha256 && headerForm && !contentSha256Signed) {
            return SigV4Failure.of(SigV4FailureReason.CONTENT_SHA256_NOT_SIGNED,
                    "Missing the 'x-amz-content-sha256' in canonical headers.");
        }
        if (p.algorithm == SigV4Algorithm.AWS4_ECDSA_P256_SHA256) {
            if (isEmpty(p.regionSet)) {
                return SigV4Failure.of(SigV4FailureReason.MISSING_REGION_SET, "AWS4-ECDSA-P256-SHA256 requires "
                        + (headerForm ? "the X-Amz-Region-Set header." : "the X-Amz-Region-Set query parameter."));
            }
            if (headerForm && !regionSetSigned) {
                return SigV4Failure.of(SigV4FailureReason.REGION_SET_NOT_SIGNED,
                        "'X-Amz-Region-Set' must be a 'SignedHeader' in the AWS Authorization.");
            }
            if (!regionSetCovers(p.regionSet)) {
                return SigV4Failure.of(SigV4FailureReason.REGION_SET_EXCLUDES_REGION, "The region set '"
                        + printable(p.regionSet) + "' does not include the region '" + region + "'.");
            }
        }
        return null;
    }

    private boolean regionSetCovers(String regionSet) {
        int start = 0;
        int n = regionSet.length();
        while (start <= n) {
            int comma = regionSet.indexOf(',', start);
            int end = comma < 0 ? n : comma;
            String entry = regionSet.substring(start, end).trim();
            for (String r : regions) {
                if (globMatches(entry, r)) {
                    return true;
                }
            }
            if (comma < 0) {
                break;
            }
            start = comma + 1;
        }
        return false;
    }

    /** {@code *} matches any run of characters (region sets such as {@code *} or {@code us-*}). */
    static boolean globMatches(String pattern, String value) {
        int star = pattern.indexOf('*');
        if (star < 0) {
            return pattern.equals(value);
        }
        String prefix = pattern.substring(0, star);
        if (!value.startsWith(prefix)) {
            return false;
        }
        String rest = pattern.substring(star + 1);
        for (int i = prefix.length(); i <= value.length(); i++) {
            if (globMatches(rest, value.substring(i))) {
                return true;
            }
        }
        return false;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Authentication: time, credential, token, key, signature.
    // ---------------------------------------------------------------------------------------------------------

    private SigV4Failure authenticate(SignedRequest request, Parsed p) {
        long now = Math.floorDiv(clock.millis(), 1000);
        SigV4Failure timeFailure = checkTime(p, now);
        if (timeFailure != null) {
            return timeFailure;
        }
        Optional<SigningCredential> found = credentials.resolve(p.accessKeyId);
        if (found.isEmpty()) {
            return SigV4Failure.of(SigV4FailureReason.UNKNOWN_ACCESS_KEY, SigV4Failure.INVALID_TOKEN_MESSAGE);
        }
        SigningCredential credential = found.get();
        String expectedToken = credential.sessionTokenOrNull();
        if (expectedToken == null ? p.securityToken != null
                : p.securityToken == null || !constantTimeEquals(expectedToken, p.securityToken)) {
            return SigV4Failure.of(SigV4FailureReason.INVALID_SESSION_TOKEN, SigV4Failure.INVALID_TOKEN_MESSAGE);
        }
        Instant expiresAt = credential.expiresAtOrNull();
        if (expiresAt != null && now >= expiresAt.getEpochSecond()) {
            return SigV4Failure.of(SigV4FailureReason.EXPIRED_CREDENTIALS, SigV4Failure.EXPIRED_TOKEN_MESSAGE);
        }
        p.credential = credential;

        List<String> payloads = new ArrayList<>(2);
        SigV4Failure payloadFailure = payloadCandidates(request, p, payloads);
        if (payloadFailure != null) {
            return payloadFailure;
        }
        boolean matched = p.algorithm == SigV4Algorithm.AWS4_HMAC_SHA256
                ? verifyHmac(request, p, credential, payloads)
                : verifyEcdsa(request, p, credential, payloads);
        if (p.keyUnavailable) {
            return SigV4Failure.of(SigV4FailureReason.SIGNING_KEY_UNAVAILABLE, SigV4Failure.SIGNATURE_MISMATCH_MESSAGE);
        }
        return matched ? null
                : SigV4Failure.of(SigV4FailureReason.SIGNATURE_MISMATCH, SigV4Failure.SIGNATURE_MISMATCH_MESSAGE);
    }

    private SigV4Failure checkTime(Parsed p, long now) {
        long t = p.epochSeconds;
        if (t > now + maxSkewSeconds) {
            return SigV4Failure.of(SigV4FailureReason.REQUEST_TIME_SKEWED, "Signature not yet current: "
                    + p.amzDate + " is still later than " + AmzDate.formatEpochSeconds(now + maxSkewSeconds)
                    + " (" + AmzDate.formatEpochSeconds(now) + " + " + skewText() + ")");
        }
        if (p.location == SigV4Outcome.SignatureLocation.QUERY_STRING) {
            if (now > t + p.expiresSeconds) {
                return SigV4Failure.of(SigV4FailureReason.PRESIGNED_URL_EXPIRED, "Request has expired.");
            }
        } else if (t < now - maxSkewSeconds) {
            return SigV4Failure.of(SigV4FailureReason.REQUEST_TIME_SKEWED, "Signature expired: "
                    + p.amzDate + " is now earlier than " + AmzDate.formatEpochSeconds(now - maxSkewSeconds)
                    + " (" + AmzDate.formatEpochSeconds(now) + " - " + skewText() + ")");
        }
        return null;
    }

    private String skewText() {
        return maxSkewSeconds % 60 == 0 ? (maxSkewSeconds / 60) + " min." : maxSkewSeconds + " sec.";
    }

    /**
     * The payload hashes the signature may cover. An explicit {@code x-amz-content-sha256} is what the signer
     * signed. Without it the signer hashed the body, unless it chose {@code UNSIGNED-PAYLOAD}: both are tried (a
     * signature over {@code UNSIGNED-PAYLOAD} was made that way deliberately, so accepting it adds no forgery).
     */
    private SigV4Failure payloadCandidates(SignedRequest request, Parsed p, List<String> out) {
        String declared = p.contentSha256;
        if (declared != null) {
            if (SignedRequest.UNSIGNED_PAYLOAD.equals(declared)) {
                out.add(declared);
                return null;
            }
            if (SignedRequest.isHexSha256(declared)) {
                String actual = request.payloadSha256();
                if (actual == null) {
                    return SigV4Failure.of(SigV4FailureReason.PAYLOAD_SIGNING_UNSUPPORTED, "Payload signing is not "
                            + "supported here: send 'x-amz-content-sha256: UNSIGNED-PAYLOAD'.");
                }
                if (!declared.equalsIgnoreCase(actual)) {
                    return SigV4Failure.of(SigV4FailureReason.PAYLOAD_HASH_MISMATCH,
                            "The provided 'x-amz-content-sha256' header does not match what was computed.");
                }
                out.add(declared);
                return null;
            }
            return SigV4Failure.of(SigV4FailureReason.PAYLOAD_SIGNING_UNSUPPORTED,
                    "x-amz-content-sha256 must be a hex SHA-256 or 'UNSIGNED-PAYLOAD'; streaming payloads ("
                            + printable(declared.length() > 48 ? declared.substring(0, 48) : declared)
                            + ") are not supported.");
        }
        String actual = request.payloadSha256();
        if (actual != null) {
            out.add(actual);
        }
        out.add(SignedRequest.UNSIGNED_PAYLOAD);
        return null;
    }

    private boolean verifyHmac(SignedRequest request, Parsed p, SigningCredential credential, List<String> payloads) {
        DerivedSigningKey derived = credential.derivedKey(p.scopeDate, p.scopeRegion, p.scopeService);
        byte[] key;
        if (derived != null) {
            key = derived.keyBytes();
        } else if (credential.hasSecret()) {
            key = keyCache.signingKey(credential, p.scopeDate, p.scopeRegion, p.scopeService);
        } else {
            p.keyUnavailable = true;
            return false;
        }
        Scratch s = p.scratch;
        if (!decodeHex(p.signatureHex, s.provided)) {
            return false;
        }
        s.hmacKey(key);
        for (int variant = 0; variant < queryVariants(p); variant++) {
            int payloadStart = writeCanonicalRequestWithoutPayload(request, p, variant == 1, s.canonical);
            for (String payload : payloads) {
                s.canonical.truncate(payloadStart);
                s.canonical.append(payload);
                writeStringToSign(p, s);
                s.hmac.update(s.stringToSign.array(), 0, s.stringToSign.length());
                try {
                    s.hmac.doFinal(s.computed, 0);
                } catch (ShortBufferException e) {
                    throw new IllegalStateException(e); // 32 bytes always fit
                }
                if (MessageDigest.isEqual(s.computed, s.provided)) {
                    return true;
                }
            }
        }
        return false;
    }

    private boolean verifyEcdsa(SignedRequest request, Parsed p, SigningCredential credential,
                                List<String> payloads) {
        ECPublicKey publicKey = credential.sigV4aPublicKeyOrNull();
        if (publicKey == null && credential.hasSecret()) {
            publicKey = keyCache.sigV4aPublicKey(credential);
        }
        if (publicKey == null) {
            p.keyUnavailable = true;
            return false;
        }
        byte[] der = decodeHex(p.signatureHex);
        if (der == null || der.length < 8) {
            return false;
        }
        Scratch s = p.scratch;
        for (int variant = 0; variant < queryVariants(p); variant++) {
            int payloadStart = writeCanonicalRequestWithoutPayload(request, p, variant == 1, s.canonical);
            for (String payload : payloads) {
                s.canonical.truncate(payloadStart);
                s.canonical.append(payload);
                writeStringToSign(p, s);
                try {
                    s.ecdsa.initVerify(publicKey);
                    s.ecdsa.update(s.stringToSign.array(), 0, s.stringToSign.length());
                    if (s.ecdsa.verify(der)) {
                        return true;
                    }
                } catch (InvalidKeyException | SignatureException e) {
                    // A malformed DER signature simply does not verify.
                }
            }
        }
        return false;
    }

    /**
     * A presigned URL may have had {@code X-Amz-Security-Token} appended after signing (AWS allows this for some
     * services; test suite {@code post-sts-header-after}): the second variant leaves it out of the canonical query.
     * The token itself is still checked against the credential.
     */
    private static int queryVariants(Parsed p) {
        return p.securityTokenInQuery ? 2 : 1;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Canonical request and string to sign.
    // ---------------------------------------------------------------------------------------------------------

    /** Writes the canonical request up to (not including) the payload hash; returns where the hash goes. */
    private int writeCanonicalRequestWithoutPayload(SignedRequest request, Parsed p, boolean dropQueryToken,
                                                    OctetBuffer out) {
        out.reset();
        out.append(request.method()).append((byte) '\n');
        CanonicalEncoding.writeCanonicalPath(request.rawPath(), normalizePath, out);
        out.append((byte) '\n');
        boolean presigned = p.location == SigV4Outcome.SignatureLocation.QUERY_STRING;
        boolean first = true;
        for (QueryParameter q : p.query) {
            if (presigned && (q.key.equals(Q_SIGNATURE) || (dropQueryToken && q.key.equals(Q_SECURITY_TOKEN)))) {
                continue;
            }
            if (!first) {
                out.append((byte) '&');
            }
            out.append(q.key).append((byte) '=').append(q.value);
            first = false;
        }
        out.append((byte) '\n');
        for (int k = 0; k < p.signedHeaders.length; k++) {
            out.append(p.signedHeaderLineStarts[k]);
            String lowercaseName = p.signedHeaderLookupNames[k];
            for (int i = p.signedHeaderFirstFields[k]; i >= 0; ) {
                CanonicalEncoding.writeTrimmedValue(request.headerValue(i), out);
                i = request.indexOf(lowercaseName, i + 1);
                if (i >= 0) {
                    out.append((byte) ',');
                }
            }
            out.append((byte) '\n');
        }
        out.append((byte) '\n');
        out.append(p.signedHeadersOctets).append((byte) '\n');
        return out.length();
    }

    private static void writeStringToSign(Parsed p, Scratch s) {
        s.sha256.reset();
        s.sha256.update(s.canonical.array(), 0, s.canonical.length());
        byte[] hash = s.sha256.digest();
        OctetBuffer sts = s.stringToSign;
        sts.reset();
        sts.append(p.algorithm.wireNameOctets()).append((byte) '\n')
                .append(p.amzDate).append((byte) '\n')
                .append(p.credentialScopeOctets).append((byte) '\n')
                .appendHex(hash);
    }

    /** The canonical request and string to sign of a request, for tests and diagnostics. */
    record CanonicalForms(String canonicalRequest, String stringToSign) {
    }

    /**
     * The canonical request and string to sign this verifier computes for a signed request (first payload
     * candidate, full query), or empty when the request is unsigned or does not parse. For tests and diagnostics;
     * both may contain a session token, so never log them.
     */
    Optional<CanonicalForms> canonicalForms(SignedRequest request) {
        return canonicalForms(request, false);
    }

    /** As {@link #canonicalForms(SignedRequest)}; optionally with a presigned token left out of the query. */
    Optional<CanonicalForms> canonicalForms(SignedRequest request, boolean tokenAppendedAfterSigning) {
        Parsed p = new Parsed(SCRATCH.get());
        if (parse(request, p) != null || p.unsigned) {
            return Optional.empty();
        }
        List<String> payloads = new ArrayList<>(2);
        if (payloadCandidates(request, p, payloads) != null) {
            return Optional.empty();
        }
        Scratch s = p.scratch;
        writeCanonicalRequestWithoutPayload(request, p, tokenAppendedAfterSigning, s.canonical);
        s.canonical.append(payloads.get(0));
        writeStringToSign(p, s);
        return Optional.of(new CanonicalForms(s.canonical.asOctetString(), s.stringToSign.asOctetString()));
    }

    // ---------------------------------------------------------------------------------------------------------
    // Small helpers.
    // ---------------------------------------------------------------------------------------------------------

    static QueryParameter[] parseQuery(String rawQuery) {
        if (rawQuery.isEmpty()) {
            return QueryParameter.NONE;
        }
        List<QueryParameter> params = new ArrayList<>(8);
        int n = rawQuery.length();
        int start = 0;
        while (start <= n) {
            int amp = rawQuery.indexOf('&', start);
            int end = amp < 0 ? n : amp;
            if (end > start) {
                int eq = rawQuery.indexOf('=', start);
                if (eq < 0 || eq > end) {
                    eq = end;
                }
                String key = CanonicalEncoding.reencodeToString(rawQuery, start, eq);
                String value = eq < end ? CanonicalEncoding.reencodeToString(rawQuery, eq + 1, end) : "";
                String rawValue = eq < end ? rawQuery.substring(eq + 1, end) : "";
                params.add(new QueryParameter(key, value, rawValue));
            }
            if (amp < 0) {
                break;
            }
            start = amp + 1;
        }
        QueryParameter[] array = params.toArray(QueryParameter.NONE);
        Arrays.sort(array);
        return array;
    }

    /** The decoded value of the first query parameter with this (canonical) name, or {@code null}. */
    private static String queryValue(QueryParameter[] query, String name) {
        for (QueryParameter q : query) {
            if (q.key.equals(name)) {
                return CanonicalEncoding.decode(q.rawValue);
            }
        }
        return null;
    }

    /** The '/'-separated parts of a credential, or {@code null} when there are not exactly {@code count}. */
    private static String[] splitCredential(String credential, int count) {
        String[] parts = new String[count];
        int start = 0;
        for (int i = 0; i < count - 1; i++) {
            int slash = credential.indexOf('/', start);
            if (slash < 0) {
                return null;
            }
            parts[i] = credential.substring(start, slash);
            start = slash + 1;
        }
        if (credential.indexOf('/', start) >= 0) {
            return null;
        }
        parts[count - 1] = credential.substring(start);
        return parts;
    }

    private static String[] splitSignedHeaders(String raw) {
        int count = 1;
        for (int i = 0; i < raw.length(); i++) {
            if (raw.charAt(i) == ';') {
                count++;
            }
        }
        String[] names = new String[count];
        int start = 0;
        for (int i = 0; i < count; i++) {
            int semi = raw.indexOf(';', start);
            int end = semi < 0 ? raw.length() : semi;
            names[i] = raw.substring(start, end);
            start = end + 1;
        }
        return names;
    }

    /**
     * Compares two tokens in time that depends only on their length, without encoding them (session tokens are
     * ~1 KB and this runs on every temporary-credential request). Only the length may leak, and the length of an
     * STS token is not a secret.
     */
    static boolean constantTimeEquals(String expected, String actual) {
        int n = expected.length();
        if (n != actual.length()) {
            return false;
        }
        int diff = 0;
        for (int i = 0; i < n; i++) {
            diff |= expected.charAt(i) ^ actual.charAt(i);
        }
        return diff == 0;
    }

    private static byte[] decodeHex(String hex) {
        if (hex == null || hex.isEmpty() || (hex.length() & 1) != 0) {
            return null;
        }
        byte[] out = new byte[hex.length() / 2];
        return decodeHex(hex, out) ? out : null;
    }

    /** Decodes {@code hex} into {@code out}; false when it is not exactly {@code out.length} bytes of hex. */
    private static boolean decodeHex(String hex, byte[] out) {
        if (hex == null || hex.length() != 2 * out.length) {
            return false;
        }
        for (int i = 0; i < out.length; i++) {
            int hi = hexValue(hex.charAt(2 * i));
            int lo = hexValue(hex.charAt(2 * i + 1));
            if ((hi | lo) < 0) {
                return false;
            }
            out[i] = (byte) ((hi << 4) | lo);
        }
        return true;
    }

    /** The value of an ASCII hex digit of either case, or -1. */
    private static int hexValue(char c) {
        return HexFormat.isHexDigit(c) ? HexFormat.fromHexDigit(c) : -1;
    }

    private static boolean isEmpty(String s) {
        return s == null || s.isEmpty();
    }

    private static int skipSpaces(String s, int from, int to) {
        while (from < to && (s.charAt(from) == ' ' || s.charAt(from) == '\t')) {
            from++;
        }
        return from;
    }

    private static int trimEnd(String s, int from, int to) {
        while (to > from && (s.charAt(to - 1) == ' ' || s.charAt(to - 1) == '\t')) {
            to--;
        }
        return to;
    }

    /** Client-supplied text echoed in a message: bounded, printable ASCII only. */
    private static String printable(String s) {
        StringBuilder sb = new StringBuilder(Math.min(s.length(), 64));
        for (int i = 0; i < s.length() && sb.length() < 64; i++) {
            char c = s.charAt(i);
            sb.append(c >= 0x20 && c < 0x7F ? c : '?');
        }
        return s.length() > 64 ? sb.append("...").toString() : sb.toString();
    }

    /** Per-thread scratch state: buffers and crypto engines reused across verifications. */
    private static final class Scratch {
        final OctetBuffer canonical = new OctetBuffer(1024);
        final OctetBuffer stringToSign = new OctetBuffer(256);
        final MessageDigest sha256;
        final Mac hmac;
        final Signature ecdsa;
        /** A SigV4 signature: as the request gives it, and as computed. */
        final byte[] provided = new byte[32];
        final byte[] computed = new byte[32];
        /**
         * The key {@link #hmac} holds. A {@code Mac} keeps its key after {@code doFinal}, so the next request of
         * the same caller (the same derived key: the same array, held by its credential) skips the key set-up,
         * two SHA-256 blocks and a copy of the key.
         */
        private byte[] hmacKey;

        /*
         * The last Credential and SignedHeaders parsed on this thread and what they parsed to: a client sends the
         * same ones with each request (until its date changes), and finding them equal costs less than copying,
         * splitting and checking them again. Only valid ones are kept.
         */
        String lastCredential;
        SigV4Algorithm lastCredentialAlgorithm;
        String[] lastCredentialParts;
        String lastCredentialScope;
        byte[] lastCredentialScopeOctets;
        String lastSignedHeaders;
        String[] lastSignedHeaderNames;
        String[] lastSignedHeaderLookupNames;
        byte[][] lastSignedHeaderLineStarts;
        byte[] lastSignedHeadersOctets;
        private int[] firstFieldIndexes = new int[8];
        boolean hostSigned;
        boolean contentSha256Signed;
        boolean regionSetSigned;

        void signedHeaders(String raw, String[] names) {
            boolean host = false;
            boolean contentSha256 = false;
            boolean regionSet = false;
            for (String name : names) {
                host |= name.equalsIgnoreCase("host");
                contentSha256 |= name.equalsIgnoreCase(CONTENT_SHA256);
                regionSet |= name.equalsIgnoreCase(REGION_SET_HEADER);
            }
            String[] lookupNames = new String[names.length];
            byte[][] lineStarts = new byte[names.length][];
            for (int i = 0; i < names.length; i++) {
                lookupNames[i] = SignedRequest.lowercase(names[i]);
                lineStarts[i] = OctetBuffer.octetsOf(names[i] + ":");
            }
            lastSignedHeaders = raw;
            lastSignedHeaderNames = names;
            lastSignedHeaderLookupNames = lookupNames;
            lastSignedHeaderLineStarts = lineStarts;
            lastSignedHeadersOctets = OctetBuffer.octetsOf(raw);
            hostSigned = host;
            contentSha256Signed = contentSha256;
            regionSetSigned = regionSet;
        }

        Scratch() {
            try {
                sha256 = MessageDigest.getInstance("SHA-256");
                hmac = Mac.getInstance("HmacSHA256");
                ecdsa = Signature.getInstance("SHA256withECDSA");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("SHA-256, HmacSHA256 and SHA256withECDSA are required", e);
            }
        }

        /** An array for the first field of each of {@code count} signed headers (reused). */
        int[] firstFields(int count) {
            if (firstFieldIndexes.length < count) {
                firstFieldIndexes = new int[count];
            }
            return firstFieldIndexes;
        }

        void hmacKey(byte[] key) {
            if (key == hmacKey) {
                return;
            }
            hmacKey = null;
            try {
                hmac.init(new SecretKeySpec(key, "HmacSHA256"));
            } catch (InvalidKeyException e) {
                throw new IllegalStateException(e);
            }
            hmacKey = key;
        }
    }

    @Override
    public String toString() {
        return "SigV4Verifier[" + signingName + " in " + regions + (normalizePath ? "" : ", S3-style paths") + "]";
    }

    /** Configures a {@link SigV4Verifier}. */
    public static final class Builder {
        private String signingName;
        private final Set<String> regions = new LinkedHashSet<>();
        private boolean normalizePath = true;
        private boolean requireSignedContentSha256;
        private CredentialResolver credentials;
        private SigV4KeyCache keyCache;
        private Clock clock = Clock.systemUTC();
        private Duration maxSkew = Duration.ofMinutes(5);

        private Builder() {
        }

        /** The SigV4 signing name requests must be scoped to, e.g. {@code vpc-lattice-svcs}, {@code iam}. */
        public Builder signingName(String signingName) {
            this.signingName = DerivedSigningKey.requireNonEmpty(signingName, "signingName");
            return this;
        }

        /**
         * The region(s) SigV4 scopes may name; the first is the verifier's own region, which SigV4A region sets
         * must cover (or cover any of the others).
         */
        public Builder region(String region, String... moreRegions) {
            regions.add(DerivedSigningKey.requireNonEmpty(region, "region"));
            for (String r : moreRegions) {
                regions.add(DerivedSigningKey.requireNonEmpty(r, "region"));
            }
            return this;
        }

        /**
         * {@code false} for S3-style services: the path is signed as sent (single encoding, no {@code .}/{@code ..}
         * or {@code //} removal). Default {@code true}: normalised and double-encoded, as for every other service.
         */
        public Builder normalizePath(boolean normalizePath) {
            this.normalizePath = normalizePath;
            return this;
        }

        /**
         * Require {@code x-amz-content-sha256} among the signed headers of header-signed requests, as the Lattice
         * data plane does. Default {@code false}.
         */
        public Builder requireSignedContentSha256(boolean require) {
            this.requireSignedContentSha256 = require;
            return this;
        }

        public Builder credentials(CredentialResolver credentials) {
            this.credentials = Objects.requireNonNull(credentials, "credentials");
            return this;
        }

        /** The cache for keys derived from secrets; share one across the verifiers of a process. */
        public Builder keyCache(SigV4KeyCache keyCache) {
            this.keyCache = Objects.requireNonNull(keyCache, "keyCache");
            return this;
        }

        /** The clock request times are checked against. Default: the system UTC clock. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** How far a request time may be from the clock, either way. Default 5 minutes, as AWS. */
        public Builder maxSkew(Duration maxSkew) {
            if (maxSkew.isNegative() || maxSkew.getSeconds() < 1) {
                throw new IllegalArgumentException("maxSkew must be at least one second");
            }
            this.maxSkew = maxSkew;
            return this;
        }

        public SigV4Verifier build() {
            if (signingName == null) {
                throw new IllegalStateException("signingName is required");
            }
            if (regions.isEmpty()) {
                throw new IllegalStateException("region is required");
            }
            if (credentials == null) {
                throw new IllegalStateException("credentials (a CredentialResolver) are required");
            }
            return new SigV4Verifier(this);
        }
    }

    static {
        // Fail fast at class load if the platform lacks what verification needs.
        try {
            MessageDigest.getInstance("SHA-256");
            Mac.getInstance("HmacSHA256");
            Signature.getInstance("SHA256withECDSA");
        } catch (GeneralSecurityException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
