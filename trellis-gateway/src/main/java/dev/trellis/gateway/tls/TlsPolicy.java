package dev.trellis.gateway.tls;

import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * VPC Lattice's one TLS security policy (lattice-facts §3, "HTTPS listeners"): TLS 1.3 and 1.2 only, its cipher
 * suites in its order of server preference, and ALPN {@code h2} then {@code http/1.1}. HTTPS listeners use it; the
 * same policy applies to TLS towards HTTPS targets and HTTPS health checks (facts §3), so it is public.
 *
 * <p>The suites are named here as Java does; {@link #openSslName} gives the OpenSSL names Lattice's documentation
 * and access logs use ({@code ECDHE-RSA-AES128-GCM-SHA256}). Every TLS 1.2 suite of the policy authenticates with
 * RSA, which is why Lattice accepts only RSA 2048 certificates and why Trellis's managed certificate is RSA too.
 */
public final class TlsPolicy {

    /** The protocol versions, newest first. TLS 1.0 and 1.1 handshakes are refused (protocol_version alert). */
    public static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    /** Java name → OpenSSL name, in the policy's order: TLS 1.3 first, then TLS 1.2 (facts §3). */
    private static final Map<String, String> SUITES = new LinkedHashMap<>();

    static {
        SUITES.put("TLS_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256");
        SUITES.put("TLS_AES_256_GCM_SHA384", "TLS_AES_256_GCM_SHA384");
        SUITES.put("TLS_CHACHA20_POLY1305_SHA256", "TLS_CHACHA20_POLY1305_SHA256");
        SUITES.put("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256");
        SUITES.put("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA");
        SUITES.put("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384");
        SUITES.put("TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA-AES256-SHA");
        SUITES.put("TLS_RSA_WITH_AES_128_GCM_SHA256", "AES128-GCM-SHA256");
        SUITES.put("TLS_RSA_WITH_AES_128_CBC_SHA", "AES128-SHA");
        SUITES.put("TLS_RSA_WITH_AES_256_GCM_SHA384", "AES256-GCM-SHA384");
        SUITES.put("TLS_RSA_WITH_AES_256_CBC_SHA", "AES256-SHA");
    }

    /**
     * The cipher suites in server-preference order (Java names). A JVM that disables some of them (newer JDKs
     * disable the static-RSA {@code TLS_RSA_*} suites by default) simply never negotiates those.
     */
    public static final List<String> CIPHER_SUITES = List.copyOf(SUITES.keySet());

    /** The same suites by their OpenSSL names, as {@code openssl s_client -cipher} and nginx take them. */
    public static final List<String> OPENSSL_CIPHER_SUITES = List.copyOf(SUITES.values());

    /**
     * ALPN as Lattice offers it: {@code h2} preferred, {@code http/1.1} otherwise; a client that offers neither (or
     * no ALPN at all) gets HTTP/1.1, so the server does not fail the handshake over ALPN.
     */
    public static final ApplicationProtocolConfig ALPN = new ApplicationProtocolConfig(
            ApplicationProtocolConfig.Protocol.ALPN,
            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
            ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1);

    private TlsPolicy() {
    }

    /** The OpenSSL name of a suite of the policy (the access log's {@code sslCipher}); other names unchanged. */
    public static String openSslName(String javaName) {
        return javaName == null ? null : SUITES.getOrDefault(javaName, javaName);
    }
}
