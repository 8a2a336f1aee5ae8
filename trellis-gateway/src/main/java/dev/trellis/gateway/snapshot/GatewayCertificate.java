package dev.trellis.gateway.snapshot;

import java.time.Instant;
import java.util.Objects;

/**
 * What registration gives a gateway: its certificate for {@code <vpcId>.gateway.trellis.internal} from the control
 * plane's internal CA (the chain as PEM, leaf first), the CA's certificate (the fabric's trust anchor) and when the
 * certificate ends — register again before then.
 */
public record GatewayCertificate(String gatewayId, String vpcId, String certificateChainPem, String caCertificatePem,
                                 Instant notAfter) {

    public GatewayCertificate {
        Objects.requireNonNull(certificateChainPem, "certificateChainPem");
        Objects.requireNonNull(caCertificatePem, "caCertificatePem");
        Objects.requireNonNull(notAfter, "notAfter");
    }

    @Override
    public String toString() {
        return "GatewayCertificate[" + vpcId + "/" + gatewayId + " until " + notAfter + "]";
    }
}
