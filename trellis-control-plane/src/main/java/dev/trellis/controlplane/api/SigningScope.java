package dev.trellis.controlplane.api;

import dev.trellis.controlplane.protocol.ApiRequest;
import java.util.List;

/** Reads the signing name out of a request's SigV4 credential scope, before the signature is verified. */
final class SigningScope {

    private SigningScope() {
    }

    /**
     * The service of {@code Credential=<key>/<date>/<region>/<service>/aws4_request} (SigV4) or
     * {@code <key>/<date>/<service>/aws4_request} (SigV4A), from the Authorization header or the
     * {@code X-Amz-Credential} query parameter; null when the request carries none.
     */
    static String signingName(ApiRequest request) {
        String credential = null;
        String authorization = request.header("Authorization");
        if (authorization != null) {
            int at = authorization.indexOf("Credential=");
            if (at >= 0) {
                int end = authorization.indexOf(',', at);
                credential = authorization.substring(at + "Credential=".length(),
                        end < 0 ? authorization.length() : end).trim();
            }
        } else {
            List<String> values = request.query().get("X-Amz-Credential");
            if (values != null && !values.isEmpty()) {
                credential = values.get(0);
            }
        }
        if (credential == null) {
            return null;
        }
        String[] parts = credential.split("/");
        if (parts.length < 4 || !parts[parts.length - 1].equals("aws4_request")) {
            return null;
        }
        return parts[parts.length - 2];
    }
}
