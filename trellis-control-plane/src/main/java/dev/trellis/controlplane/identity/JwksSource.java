package dev.trellis.controlplane.identity;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;

/**
 * Where an OpenID Connect provider's signing keys (a JWK set) come from. Trellis has no internet, so it does not
 * discover them from the issuer: whoever registers the provider names them with the tag
 * {@value #TAG} on {@code CreateOpenIDConnectProvider}, as a {@code file:} URI on the control plane's machine or an
 * {@code http://}/{@code https://} URL on the loopback interface (a Kubernetes API server's
 * {@code /openid/v1/jwks} through {@code kubectl proxy}, say). Only the public keys are kept.
 */
public final class JwksSource {

    /** The Trellis-specific tag that names a provider's JWK set. */
    public static final String TAG = "trellis:jwks-uri";
    static final int MAX_BYTES = 256 * 1024;
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final Set<String> LOOPBACK = Set.of("127.0.0.1", "localhost", "[::1]", "::1");

    private JwksSource() {
    }

    /** The URI is not one Trellis reads keys from, or what it holds is not a usable JWK set. */
    public static final class InvalidSourceException extends Exception {
        private static final long serialVersionUID = 1L;

        InvalidSourceException(String message) {
            super(message, null, false, false);
        }
    }

    /** The source could not be read. */
    public static final class UnreachableSourceException extends Exception {
        private static final long serialVersionUID = 1L;

        UnreachableSourceException(String message) {
            super(message, null, false, false);
        }
    }

    /** Checks that {@code uri} is a source Trellis reads from, without reading it. */
    public static URI parse(String uri) throws InvalidSourceException {
        URI parsed;
        try {
            parsed = new URI(uri);
        } catch (URISyntaxException e) {
            throw new InvalidSourceException("the " + TAG + " tag is not a URI: " + e.getReason());
        }
        String scheme = parsed.getScheme() == null ? "" : parsed.getScheme().toLowerCase(Locale.ROOT);
        switch (scheme) {
            case "file" -> {
                if (parsed.getPath() == null || !parsed.getPath().startsWith("/")) {
                    throw new InvalidSourceException("the " + TAG + " tag must name an absolute path"
                            + " (file:/path/to/jwks.json)");
                }
            }
            case "http", "https" -> {
                if (parsed.getHost() == null || !LOOPBACK.contains(parsed.getHost().toLowerCase(Locale.ROOT))) {
                    throw new InvalidSourceException("the " + TAG + " tag may name http(s) URLs on the loopback"
                            + " interface only (127.0.0.1, localhost, [::1]), not " + parsed.getHost());
                }
            }
            default -> throw new InvalidSourceException("the " + TAG + " tag must be a file: URI or an"
                    + " http://127.0.0.1 URL, not a " + (scheme.isEmpty() ? "relative reference" : scheme + ": URI"));
        }
        return parsed;
    }

    /**
     * Reads the JWK set at {@code uri} and returns its public keys as JSON. Messages never quote what the source
     * holds.
     */
    public static String load(String uri) throws InvalidSourceException, UnreachableSourceException {
        URI source = parse(uri);
        String text = source.getScheme().equalsIgnoreCase("file") ? readFile(source) : fetch(source);
        return publicKeys(text, uri);
    }

    /** The public keys of a JWK set's JSON text, as JSON; refuses sets without an asymmetric signing key. */
    public static String publicKeys(String text, String where) throws InvalidSourceException {
        JWKSet set;
        try {
            set = JWKSet.parse(text);
        } catch (ParseException e) {
            throw new InvalidSourceException(where + " does not hold a JWK set ({\"keys\": [...]})");
        }
        JWKSet publicSet = set.toPublicJWKSet();
        if (publicSet.getKeys().isEmpty()) {
            throw new InvalidSourceException(where + " holds no public key (RSA or EC)");
        }
        for (JWK key : publicSet.getKeys()) {
            if (key.getKeyUse() != null && !key.getKeyUse().identifier().equals("sig")) {
                continue;
            }
            return publicSet.toString(true);
        }
        throw new InvalidSourceException(where + " holds no signing key (\"use\": \"sig\")");
    }

    private static String readFile(URI source) throws UnreachableSourceException {
        Path path;
        try {
            path = Path.of(source);
        } catch (IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
            throw new UnreachableSourceException("cannot read " + source + ": not a local file");
        }
        try (InputStream in = Files.newInputStream(path)) {
            return new String(readLimited(in, source), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UnreachableSourceException("cannot read " + source + ": " + e.getClass().getSimpleName());
        }
    }

    private static String fetch(URI source) throws UnreachableSourceException {
        HttpClient client = HttpClient.newBuilder().connectTimeout(TIMEOUT)
                .followRedirects(HttpClient.Redirect.NEVER).build();
        try {
            HttpResponse<InputStream> response = client.send(HttpRequest.newBuilder(source).timeout(TIMEOUT)
                    .header("Accept", "application/json").GET().build(), HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = response.body()) {
                byte[] body = readLimited(in, source);
                if (response.statusCode() != 200) {
                    throw new UnreachableSourceException(source + " answered HTTP " + response.statusCode());
                }
                return new String(body, StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            throw new UnreachableSourceException("cannot fetch " + source + ": " + e.getClass().getSimpleName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UnreachableSourceException("interrupted while fetching " + source);
        }
    }

    private static byte[] readLimited(InputStream in, URI source) throws IOException, UnreachableSourceException {
        byte[] bytes = in.readNBytes(MAX_BYTES + 1);
        if (bytes.length > MAX_BYTES) {
            throw new UnreachableSourceException(source + " holds more than " + MAX_BYTES + " bytes");
        }
        return bytes;
    }
}
