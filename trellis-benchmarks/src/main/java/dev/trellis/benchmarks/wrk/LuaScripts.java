package dev.trellis.benchmarks.wrk;

import dev.trellis.benchmarks.gateway.BenchSnapshots;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import software.amazon.awssdk.http.SdkHttpFullRequest;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignRequest;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;

/**
 * The Lua scripts wrk runs. Every scenario sends the same request, {@code GET /} with the datastore's Host, so
 * that request sizes match; the SigV4 scenario adds the signature headers.
 *
 * <p><b>Signing.</b> wrk sends one fixed request per script, so the script carries one pre-signed header set
 * (Host, X-Amz-Date, x-amz-content-sha256: UNSIGNED-PAYLOAD, Authorization), made with the AWS SDK's
 * {@code AwsV4HttpSigner} right before each wrk run: the gateway accepts X-Amz-Date within 5 minutes of its
 * clock, and it verifies every request in full (nothing is cached per signature), so replaying the same signature
 * costs the gateway exactly what fresh ones would.
 *
 * <p><b>Pacing.</b> wrk 4 has no fixed-rate mode ({@code -R} is wrk2's). Its Lua {@code delay()} hook returns the
 * milliseconds a connection waits before its next request, as a whole number. For a rate R over C connections each
 * connection must send every C/R seconds; a connection's cycle is its delay plus the response time plus wrk's timer
 * slack, so the delay is somewhat under {@code C/R}, and the harness finds it with short calibration runs
 * ({@code WrkHarness.pacedRun}). A fractional delay is reached on average by choosing between its floor and ceiling
 * at random with the right odds (2.56 ms: 3 ms 56 % of the time). The harness checks the achieved rate in wrk's
 * report.
 */
final class LuaScripts {

    private LuaScripts() {
    }

    /** The plain request: {@code GET /} with the datastore's Host. */
    static Map<String, String> plainHeaders() {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Host", BenchSnapshots.HOST);
        return headers;
    }

    /** The request signed now for the walkthrough's caller, as a Lattice client signs it. */
    static Map<String, String> signedHeaders() {
        SdkHttpFullRequest request = SdkHttpFullRequest.builder()
                .method(SdkHttpMethod.GET)
                .protocol("https")
                .host(BenchSnapshots.HOST)
                .encodedPath("/")
                .putHeader("Host", BenchSnapshots.HOST)
                .putHeader("x-amz-content-sha256", "UNSIGNED-PAYLOAD")
                .build();
        SignedRequest signed = AwsV4HttpSigner.create().sign(
                (SignRequest.Builder<AwsCredentialsIdentity> r) -> r
                        .identity(AwsCredentialsIdentity.create(BenchSnapshots.ACCESS_KEY_ID,
                                BenchSnapshots.SECRET_ACCESS_KEY))
                        .request(request)
                        .putProperty(AwsV4FamilyHttpSigner.SERVICE_SIGNING_NAME, BenchSnapshots.SIGNING_NAME)
                        .putProperty(AwsV4HttpSigner.REGION_NAME, BenchSnapshots.REGION)
                        .putProperty(AwsV4FamilyHttpSigner.PAYLOAD_SIGNING_ENABLED, false));
        Map<String, String> headers = new LinkedHashMap<>();
        for (Map.Entry<String, List<String>> header : signed.request().headers().entrySet()) {
            if (header.getValue().size() != 1) {
                throw new IllegalStateException("the signer produced several values of " + header.getKey());
            }
            headers.put(header.getKey(), header.getValue().get(0));
        }
        if (!headers.containsKey("Authorization")) {
            throw new IllegalStateException("the signer added no Authorization header: " + headers.keySet());
        }
        return headers;
    }

    /** The request of the TLS handshake scenarios: the plain one, closed after each response. */
    static Map<String, String> closingHeaders() {
        Map<String, String> headers = plainHeaders();
        headers.put("Connection", "close");
        return headers;
    }

    /** {@link #script(Map, double, boolean)} for a cleartext scenario. */
    static String script(Map<String, String> headers, double delayMillis) {
        return script(headers, delayMillis, false);
    }

    /**
     * A script sending {@code headers}; with {@code delayMillis > 0} each connection waits that long on average
     * before each request.
     *
     * <p>With {@code resolveLocally}, the URL's host (the generated name, which wrk sends as the TLS SNI) is
     * resolved to 127.0.0.1 by replacing {@code wrk.resolve}, the function wrk 4 calls once to turn the URL's
     * host into addresses (it sets {@code wrk.addrs}; the default looks the host up with getaddrinfo and keeps
     * the addresses that accept a connection). wrk keeps using the URL's host for SNI, so nothing outside the
     * harness (no /etc/hosts entry) is needed.
     */
    static String script(Map<String, String> headers, double delayMillis, boolean resolveLocally) {
        StringBuilder lua = new StringBuilder("-- generated by dev.trellis.benchmarks.wrk.LuaScripts\n");
        if (resolveLocally) {
            lua.append("""
                    -- the URL's host is the SNI; connect to 127.0.0.1 (no DNS, no hosts file)
                    function wrk.resolve(host, service)
                      wrk.addrs = wrk.lookup("127.0.0.1", service)
                    end
                    """);
        }
        lua.append("wrk.method = \"GET\"\nwrk.path = \"/\"\n");
        headers.forEach((name, value) -> lua.append("wrk.headers[").append(quote(name)).append("] = ")
                .append(quote(value)).append('\n'));
        if (delayMillis > 0) {
            double floor = Math.floor(delayMillis);
            lua.append(String.format(Locale.ROOT, """
                    -- paced: %.4f ms per connection on average (floor or ceiling, at random)
                    local floor_ms, fraction = %d, %.4f
                    function delay()
                      if math.random() < fraction then return floor_ms + 1 end
                      return floor_ms
                    end
                    """, delayMillis, (long) floor, delayMillis - floor));
        }
        return lua.toString();
    }

    private static String quote(String value) {
        return '"' + value.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }
}
