package dev.trellis.auth.sigv4;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trellis.auth.Principal;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs every case of the AWS SigV4 test suites in {@code shared/reference/sigv4-testsuite} (aws-c-auth v4 and v4a,
 * and the classic AWS suite): canonical request and string to sign byte for byte, the signature, and verification
 * of the signed request (header and presigned forms) by {@link SigV4Verifier} with the clock at the case's time.
 */
class SigV4TestSuiteTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Principal SUITE_USER =
            Principal.user("aws", "123456789012", "/", "sigv4-suite", "AIDASIGV4SUITEEXAMPLE", Map.of());

    /** The fixed parameters of a case ({@code context.json}). */
    record CaseContext(String accessKeyId, String secretAccessKey, String token, long expirationSeconds,
                       boolean normalize, String region, String service, boolean signBody, Instant timestamp,
                       boolean omitSessionToken) {

        static CaseContext read(Path file) {
            try {
                JsonNode json = JSON.readTree(file.toFile());
                JsonNode credentials = json.get("credentials");
                return new CaseContext(credentials.get("access_key_id").asText(),
                        credentials.get("secret_access_key").asText(),
                        credentials.hasNonNull("token") ? credentials.get("token").asText() : null,
                        json.get("expiration_in_seconds").asLong(), json.get("normalize").asBoolean(),
                        json.get("region").asText(), json.get("service").asText(),
                        json.get("sign_body").asBoolean(), Instant.parse(json.get("timestamp").asText()),
                        json.path("omit_session_token").asBoolean(false));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        String scopeDate() {
            return AmzDate.format(timestamp).substring(0, 8);
        }

        SigningCredential.Builder credential() {
            SigningCredential.Builder builder = SigningCredential.builder(accessKeyId, SUITE_USER);
            if (token != null) {
                builder.sessionToken(token);
            }
            return builder;
        }

        SigningCredential secretCredential() {
            return credential().secretAccessKey(secretAccessKey).build();
        }

        SigningCredential derivedKeyCredential() {
            return credential()
                    .derivedKey(SigV4KeyDerivation.deriveSigningKey(secretAccessKey, scopeDate(), region, service))
                    .build();
        }

        SigV4Verifier verifier(SigningCredential credential) {
            return SigV4Verifier.builder()
                    .signingName(service)
                    .region(region)
                    .normalizePath(normalize)
                    .credentials(CredentialResolver.of(credential))
                    .clock(Clock.fixed(timestamp, ZoneOffset.UTC))
                    .build();
        }
    }

    // -------------------------------------------------------------------------------------------------------------
    // aws-c-auth v4
    // -------------------------------------------------------------------------------------------------------------

    @TestFactory
    Stream<DynamicNode> awsCAuthSigV4Cases() {
        Path root = ReferenceData.testSuite().resolve("aws-c-auth").resolve("v4");
        List<Path> cases = ReferenceData.sortedSubdirectories(root).toList();
        assertThat(cases).as("aws-c-auth v4 cases (SOURCE.txt says 38)").hasSize(38);
        return cases.stream().map(dir -> DynamicContainer.dynamicContainer("v4/" + dir.getFileName(),
                Stream.of("header", "query").map(form -> sigV4Form(dir, form, "v4/" + dir.getFileName()))));
    }

    private static DynamicContainer sigV4Form(Path dir, String form, String label) {
        CaseContext ctx = CaseContext.read(dir.resolve("context.json"));
        SignedRequest signed = HttpRequestText.parse(ReferenceData.read(dir.resolve(form + "-signed-request.txt")),
                HttpRequestText.Continuation.FOLD_INTO_VALUE).toSignedRequest();
        String expectedCanonical = ReferenceData.readOctets(dir.resolve(form + "-canonical-request.txt"));
        String expectedStringToSign = ReferenceData.readOctets(dir.resolve(form + "-string-to-sign.txt"));
        String expectedSignature = ReferenceData.readOctets(dir.resolve(form + "-signature.txt")).trim();
        return DynamicContainer.dynamicContainer(form, List.of(
                DynamicTest.dynamicTest(label + " " + form + ": canonical request equals " + form + "-canonical-request.txt", () ->
                        assertThat(canonical(ctx, signed).canonicalRequest()).isEqualTo(expectedCanonical)),
                DynamicTest.dynamicTest(label + " " + form + ": string to sign equals " + form + "-string-to-sign.txt", () ->
                        assertThat(canonical(ctx, signed).stringToSign()).isEqualTo(expectedStringToSign)),
                DynamicTest.dynamicTest(label + " " + form + ": derived key signs the string to sign into " + form + "-signature.txt",
                        () -> {
                            DerivedSigningKey key = SigV4KeyDerivation.deriveSigningKey(ctx.secretAccessKey(),
                                    ctx.scopeDate(), ctx.region(), ctx.service());
                            assertThat(hmacHex(key.key(), expectedStringToSign)).isEqualTo(expectedSignature);
                            assertThat(signatureIn(signed)).isEqualTo(expectedSignature);
                        }),
                DynamicTest.dynamicTest(label + " " + form + ": verifies with the secret access key", () ->
                        assertAuthenticated(ctx.verifier(ctx.secretCredential()).verify(signed), form,
                                SigV4Algorithm.AWS4_HMAC_SHA256)),
                DynamicTest.dynamicTest(label + " " + form + ": verifies with only the derived signing key", () ->
                        assertAuthenticated(ctx.verifier(ctx.derivedKeyCredential()).verify(signed), form,
                                SigV4Algorithm.AWS4_HMAC_SHA256))));
    }

    // -------------------------------------------------------------------------------------------------------------
    // aws-c-auth v4a
    // -------------------------------------------------------------------------------------------------------------

    @TestFactory
    Stream<DynamicNode> awsCAuthSigV4aCases() {
        Path root = ReferenceData.testSuite().resolve("aws-c-auth").resolve("v4a");
        List<Path> cases = ReferenceData.sortedSubdirectories(root).toList();
        assertThat(cases).as("aws-c-auth v4a cases (SOURCE.txt says 40)").hasSize(40);
        return cases.stream().map(dir -> {
            String name = "v4a/" + dir.getFileName();
            if (!Files.exists(dir.resolve("header-signed-request.txt"))) {
                return DynamicContainer.dynamicContainer(name, Stream.of(roundTripWithDerivedPrivateKey(dir, name)));
            }
            List<DynamicNode> nodes = new ArrayList<>();
            nodes.add(DynamicTest.dynamicTest(name + ": public key derived from the credentials equals public-key.json",
                    () -> {
                        CaseContext ctx = CaseContext.read(dir.resolve("context.json"));
                        ECPublicKey derived = SigV4KeyDerivation.deriveSigV4aPublicKey(ctx.accessKeyId(),
                                ctx.secretAccessKey());
                        ECPublicKey reference = publicKeyJson(dir);
                        assertThat(derived.getW()).isEqualTo(reference.getW());
                    }));
            if (Files.exists(dir.resolve("canonical-request.txt"))) {
                nodes.add(DynamicTest.dynamicTest(name + ": canonical-request.txt and string-to-sign.txt equal the header ones",
                        () -> {
                            assertThat(ReferenceData.readOctets(dir.resolve("canonical-request.txt")))
                                    .isEqualTo(ReferenceData.readOctets(dir.resolve("header-canonical-request.txt")));
                            assertThat(ReferenceData.readOctets(dir.resolve("string-to-sign.txt")))
                                    .isEqualTo(ReferenceData.readOctets(dir.resolve("header-string-to-sign.txt")));
                        }));
            }
            nodes.add(sigV4aForm(dir, "header", name));
            nodes.add(sigV4aForm(dir, "query", name));
            return DynamicContainer.dynamicContainer(name, nodes);
        });
    }

    private static DynamicContainer sigV4aForm(Path dir, String form, String label) {
        CaseContext ctx = CaseContext.read(dir.resolve("context.json"));
        SignedRequest signed = HttpRequestText.parse(ReferenceData.read(dir.resolve(form + "-signed-request.txt")),
                HttpRequestText.Continuation.FOLD_INTO_VALUE).toSignedRequest();
        String expectedCanonical = ReferenceData.readOctets(dir.resolve(form + "-canonical-request.txt"));
        String expectedStringToSign = ReferenceData.readOctets(dir.resolve(form + "-string-to-sign.txt"));
        byte[] referenceSignature = HexFormat.of().parseHex(
                ReferenceData.readOctets(dir.resolve(form + "-signature.txt")).trim());
        return DynamicContainer.dynamicContainer(form, List.of(
                DynamicTest.dynamicTest(label + " " + form + ": canonical request equals " + form + "-canonical-request.txt", () ->
                        assertThat(canonical(ctx, signed).canonicalRequest()).isEqualTo(expectedCanonical)),
                DynamicTest.dynamicTest(label + " " + form + ": string to sign equals " + form + "-string-to-sign.txt", () ->
                        assertThat(canonical(ctx, signed).stringToSign()).isEqualTo(expectedStringToSign)),
                DynamicTest.dynamicTest(label + " " + form + ": " + form + "-signature.txt verifies with public-key.json and with the key "
                        + "derived from the credentials", () -> {
                            assertThat(ecdsaVerifies(publicKeyJson(dir), expectedStringToSign, referenceSignature))
                                    .isTrue();
                            ECPublicKey derived = SigV4KeyDerivation.deriveSigV4aPublicKey(ctx.accessKeyId(),
                                    ctx.secretAccessKey());
                            assertThat(ecdsaVerifies(derived, expectedStringToSign, referenceSignature)).isTrue();
                            assertThat(ecdsaVerifies(derived, expectedStringToSign + " ", referenceSignature))
                                    .as("a different string to sign must not verify").isFalse();
                        }),
                DynamicTest.dynamicTest(label + " " + form + ": signed request verifies with the public key from public-key.json", () ->
                        assertAuthenticated(ctx.verifier(ctx.credential().sigV4aPublicKey(publicKeyJson(dir))
                                .build()).verify(signed), form, SigV4Algorithm.AWS4_ECDSA_P256_SHA256)),
                DynamicTest.dynamicTest(label + " " + form + ": signed request verifies with the secret access key (derived key pair)", () ->
                        assertAuthenticated(ctx.verifier(ctx.secretCredential()).verify(signed), form,
                                SigV4Algorithm.AWS4_ECDSA_P256_SHA256))));
    }

    /**
     * Two v4a cases ship only {@code context.json} and {@code request.txt}: sign them with the private key derived
     * from the credentials and verify (a self-consistency check, not a comparison with reference output).
     */
    private static DynamicTest roundTripWithDerivedPrivateKey(Path dir, String name) {
        return DynamicTest.dynamicTest(name + ": request.txt signed with the derived private key verifies (no reference "
                + "output in this case)", () -> {
                    CaseContext ctx = CaseContext.read(dir.resolve("context.json"));
                    HttpRequestText text = HttpRequestText.parse(ReferenceData.read(dir.resolve("request.txt")),
                            HttpRequestText.Continuation.FOLD_INTO_VALUE);
                    String amzDate = AmzDate.format(ctx.timestamp());
                    String authPrefix = "AWS4-ECDSA-P256-SHA256 Credential=" + ctx.accessKeyId() + "/"
                            + ctx.scopeDate() + "/" + ctx.service() + "/aws4_request, "
                            + "SignedHeaders=host;x-amz-date;x-amz-region-set, Signature=";
                    SigV4Verifier verifier = ctx.verifier(ctx.secretCredential());
                    SignedRequest unsignedYet = withHeaders(text, amzDate, authPrefix + "00");
                    String stringToSign = verifier.canonicalForms(unsignedYet).orElseThrow().stringToSign();
                    ECPrivateKey privateKey = SigV4KeyDerivation.deriveSigV4aPrivateKey(ctx.accessKeyId(),
                            ctx.secretAccessKey());
                    Signature ecdsa = Signature.getInstance("SHA256withECDSA");
                    ecdsa.initSign(privateKey);
                    ecdsa.update(stringToSign.getBytes(StandardCharsets.ISO_8859_1));
                    String signatureHex = HexFormat.of().formatHex(ecdsa.sign());
                    SignedRequest signed = withHeaders(text, amzDate, authPrefix + signatureHex);
                    assertAuthenticated(verifier.verify(signed), "header", SigV4Algorithm.AWS4_ECDSA_P256_SHA256);
                });
    }

    private static SignedRequest withHeaders(HttpRequestText text, String amzDate, String authorization) {
        SignedRequest.Builder builder = SignedRequest.builder(text.method(), text.target());
        text.headers().forEach(h -> builder.header(h.getKey(), h.getValue()));
        return builder.header("X-Amz-Date", amzDate).header("X-Amz-Region-Set", "us-east-1")
                .header("Authorization", authorization).body(text.body()).build();
    }

    // -------------------------------------------------------------------------------------------------------------
    // classic suite
    // -------------------------------------------------------------------------------------------------------------

    @TestFactory
    Stream<DynamicNode> classicSuiteCases() throws IOException {
        Path root = ReferenceData.testSuite().resolve("classic").resolve("aws-sig-v4-test-suite");
        List<Path> cases;
        try (Stream<Path> walk = Files.walk(root)) {
            cases = walk.filter(p -> p.getFileName().toString().endsWith(".sreq")).map(Path::getParent)
                    .sorted().toList();
        }
        assertThat(cases).as("classic cases (SOURCE.txt says 31)").hasSize(31);
        String token = classicSessionToken(root.resolve("post-sts-token").resolve("readme.txt"));
        return cases.stream().map(dir -> {
            String name = dir.getFileName().toString();
            Path file = dir.resolve(name);
            CaseContext ctx = new CaseContext("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                    name.startsWith("post-sts-") ? token : null, 0, true, "us-east-1", "service", false,
                    Instant.parse("2015-08-30T12:36:00Z"), false);
            String displayName = "classic/" + root.relativize(dir);
            if (CLASSIC_DEFECTS.contains(name)) {
                return DynamicContainer.dynamicContainer(displayName, inconsistentClassicCase(ctx, file, displayName));
            }
            SignedRequest signed = classicRequest(file, ".sreq");
            String expectedStringToSign = ReferenceData.readOctets(sibling(file, ".sts"));
            String expectedSignature = signatureOf(ReferenceData.readOctets(sibling(file, ".authz")));
            return DynamicContainer.dynamicContainer(displayName, Stream.of(
                    DynamicTest.dynamicTest(displayName + ": canonical request equals " + name + ".creq", () ->
                            assertThat(canonical(ctx, signed).canonicalRequest())
                                    .isEqualTo(ReferenceData.readOctets(sibling(file, ".creq")))),
                    DynamicTest.dynamicTest(displayName + ": string to sign equals " + name + ".sts", () ->
                            assertThat(canonical(ctx, signed).stringToSign()).isEqualTo(expectedStringToSign)),
                    DynamicTest.dynamicTest(displayName + ": signature equals the one in " + name + ".authz", () -> {
                        assertThat(hmacHex(suiteKey(ctx), expectedStringToSign)).isEqualTo(expectedSignature);
                        assertThat(signatureIn(signed)).isEqualTo(expectedSignature);
                    }),
                    DynamicTest.dynamicTest(displayName + ": " + name + ".sreq verifies", () ->
                            assertAuthenticated(ctx.verifier(ctx.secretCredential()).verify(signed), "header",
                                    SigV4Algorithm.AWS4_HMAC_SHA256))));
        });
    }

    /**
     * Two classic cases are internally inconsistent (aws-c-auth ships corrected versions, tested above): their
     * {@code .creq} does not hash to the hash in their {@code .sts}. In {@code post-x-www-form-urlencoded} the
     * {@code .creq} also signs {@code content-length}, which {@code .authz}/{@code .sreq}/{@code .sts} do not; in
     * {@code post-x-www-form-urlencoded-parameters} the {@code .sts}/{@code .authz} were computed from a request
     * whose Content-Type said {@code charset=utf8}, while {@code .req}/{@code .sreq} say {@code charset=utf-8}.
     * Each file is tested against what it is consistent with, and the defect itself is asserted so that a fixed
     * copy of the data shows up here.
     */
    private static final List<String> CLASSIC_DEFECTS =
            List.of("post-x-www-form-urlencoded", "post-x-www-form-urlencoded-parameters");

    private static Stream<DynamicTest> inconsistentClassicCase(CaseContext ctx, Path file, String label) {
        String name = file.getFileName().toString();
        String creq = ReferenceData.readOctets(sibling(file, ".creq"));
        String sts = ReferenceData.readOctets(sibling(file, ".sts"));
        String authz = ReferenceData.readOctets(sibling(file, ".authz"));
        String creqSignedHeaders = creq.split("\n")[creq.split("\n").length - 2];
        boolean utf8Variant = name.endsWith("-parameters");
        return Stream.of(
                DynamicTest.dynamicTest(label + ": reference defect: " + name + ".creq does not hash to the hash in "
                        + name + ".sts", () -> assertThat(sha256Hex(creq)).isNotEqualTo(lastLine(sts))),
                DynamicTest.dynamicTest(label + ": canonical request of " + name + ".req signed with the .creq's "
                        + "SignedHeaders equals " + name + ".creq", () -> {
                            HttpRequestText req = HttpRequestText.parse(ReferenceData.read(sibling(file, ".req")),
                                    HttpRequestText.Continuation.SEPARATE_VALUE);
                            SignedRequest request = rebuild(req, null, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"
                                    + "20150830/us-east-1/service/aws4_request, SignedHeaders=" + creqSignedHeaders
                                    + ", Signature=" + signatureOf(authz));
                            assertThat(canonical(ctx, request).canonicalRequest()).isEqualTo(creq);
                        }),
                DynamicTest.dynamicTest(label + ": " + (utf8Variant ? name + ".sreq with the 'charset=utf8' Content-Type the "
                        + ".sts was computed from" : name + ".sreq") + ": string to sign equals " + name
                        + ".sts and the request verifies", () -> {
                            HttpRequestText sreq = HttpRequestText.parse(ReferenceData.read(sibling(file, ".sreq")),
                                    HttpRequestText.Continuation.SEPARATE_VALUE);
                            SignedRequest request = rebuild(sreq,
                                    utf8Variant ? "application/x-www-form-urlencoded; charset=utf8" : null, null);
                            assertThat(canonical(ctx, request).stringToSign()).isEqualTo(sts);
                            assertThat(hmacHex(suiteKey(ctx), sts)).isEqualTo(signatureOf(authz));
                            assertAuthenticated(ctx.verifier(ctx.secretCredential()).verify(request), "header",
                                    SigV4Algorithm.AWS4_HMAC_SHA256);
                        }));
    }

    /** A copy of a parsed request with Content-Type and/or Authorization replaced (null: keep). */
    private static SignedRequest rebuild(HttpRequestText text, String contentType, String authorization) {
        SignedRequest.Builder builder = SignedRequest.builder(text.method(), text.target());
        boolean hasAuthorization = false;
        for (Map.Entry<String, String> h : text.headers()) {
            if (contentType != null && h.getKey().equalsIgnoreCase("content-type")) {
                builder.header(h.getKey(), contentType);
            } else if (authorization != null && h.getKey().equalsIgnoreCase("authorization")) {
                builder.header(h.getKey(), authorization);
                hasAuthorization = true;
            } else {
                builder.header(h.getKey(), h.getValue());
            }
        }
        if (authorization != null && !hasAuthorization) {
            builder.header("Authorization", authorization);
        }
        return builder.body(text.body()).build();
    }

    private static SignedRequest classicRequest(Path file, String extension) {
        return HttpRequestText.parse(ReferenceData.read(sibling(file, extension)),
                HttpRequestText.Continuation.SEPARATE_VALUE).toSignedRequest();
    }

    private static String signatureOf(String authorization) {
        return authorization.substring(authorization.indexOf("Signature=") + "Signature=".length()).trim();
    }

    private static byte[] suiteKey(CaseContext ctx) {
        return SigV4KeyDerivation.deriveSigningKey(ctx.secretAccessKey(), ctx.scopeDate(), ctx.region(),
                ctx.service()).key();
    }

    private static String lastLine(String text) {
        return text.substring(text.lastIndexOf('\n') + 1);
    }

    private static String sha256Hex(String octets) throws Exception {
        return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(octets.getBytes(StandardCharsets.ISO_8859_1)));
    }

    private static Path sibling(Path base, String extension) {
        return base.resolveSibling(base.getFileName() + extension);
    }

    private static String classicSessionToken(Path readme) {
        Matcher m = Pattern.compile("AQoD[A-Za-z0-9+/=]+").matcher(ReferenceData.readOctets(readme));
        assertThat(m.find()).as("token in " + readme).isTrue();
        return m.group();
    }

    // -------------------------------------------------------------------------------------------------------------
    // helpers
    // -------------------------------------------------------------------------------------------------------------

    private static SigV4Verifier.CanonicalForms canonical(CaseContext ctx, SignedRequest signed) {
        // omit_session_token: the presigned URL got X-Amz-Security-Token after signing (post-sts-header-after).
        return ctx.verifier(ctx.secretCredential()).canonicalForms(signed, ctx.omitSessionToken())
                .orElseThrow(() -> new AssertionError("request does not parse: " + ctx.verifier(
                        ctx.secretCredential()).verify(signed)));
    }

    private static void assertAuthenticated(SigV4Outcome outcome, String form, SigV4Algorithm algorithm) {
        assertThat(outcome).isInstanceOf(SigV4Outcome.Authenticated.class);
        SigV4Outcome.Authenticated authenticated = (SigV4Outcome.Authenticated) outcome;
        assertThat(authenticated.principal()).isEqualTo(SUITE_USER);
        assertThat(authenticated.algorithm()).isEqualTo(algorithm);
        assertThat(authenticated.location()).isEqualTo(form.equals("header")
                ? SigV4Outcome.SignatureLocation.AUTHORIZATION_HEADER : SigV4Outcome.SignatureLocation.QUERY_STRING);
        assertThat(authenticated.signedAt()).isEqualTo(Instant.parse("2015-08-30T12:36:00Z"));
    }

    private static String signatureIn(SignedRequest signed) {
        String authorization = signed.firstHeader("Authorization");
        if (authorization != null) {
            return authorization.substring(authorization.indexOf("Signature=") + "Signature=".length()).trim();
        }
        for (String param : signed.rawQuery().split("&")) {
            if (param.startsWith("X-Amz-Signature=")) {
                return param.substring("X-Amz-Signature=".length());
            }
        }
        throw new AssertionError("no signature in " + signed);
    }

    private static String hmacHex(byte[] key, String data) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        return HexFormat.of().formatHex(mac.doFinal(data.getBytes(StandardCharsets.ISO_8859_1)));
    }

    private static boolean ecdsaVerifies(ECPublicKey key, String stringToSign, byte[] der) throws Exception {
        Signature ecdsa = Signature.getInstance("SHA256withECDSA");
        ecdsa.initVerify(key);
        ecdsa.update(stringToSign.getBytes(StandardCharsets.ISO_8859_1));
        return ecdsa.verify(der);
    }

    private static ECPublicKey publicKeyJson(Path dir) throws IOException {
        JsonNode json = JSON.readTree(dir.resolve("public-key.json").toFile());
        return SigV4KeyDerivation.sigV4aPublicKeyFromHex(json.get("X").asText(), json.get("Y").asText());
    }
}
