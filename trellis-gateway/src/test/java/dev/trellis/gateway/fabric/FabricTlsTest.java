package dev.trellis.gateway.fabric;

import static dev.trellis.gateway.support.Fixtures.VPC_A;
import static dev.trellis.gateway.support.Fixtures.VPC_B;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslContext;
import io.netty.handler.ssl.SslProvider;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** What {@link FabricTls} accepts as a gateway's fabric material, and the clear errors for what it does not. */
class FabricTlsTest {

    static final TestPki PKI = TestPki.create("Trellis test fabric CA");
    static final TestPki OTHER_PKI = TestPki.create("Some other CA");

    @Test
    void acceptsTheCertificateTheControlPlaneIssuesForThisVpc() {
        TestPki.Issued issued = PKI.gateway(VPC_A);
        FabricTls tls = FabricTls.create(VPC_A, issued.identity());
        assertThat(tls.certificate()).isEqualTo(issued.certificate());
        assertThat(FabricTls.vpcOf(issued.certificate())).isEqualTo(VPC_A);
    }

    @Test
    void usesBoringSslWhereItsNativeLibraryLoads() {
        assumeTrue(System.getProperty("os.name").startsWith("Linux")
                && System.getProperty("os.arch").equals("amd64"), "netty-tcnative is bundled for Linux x86-64");
        assumeTrue(System.getProperty(FabricTls.PROVIDER_PROPERTY) == null, "the JDK provider was asked for");

        FabricTls tls = FabricTls.create(VPC_A, PKI.gateway(VPC_A).identity());

        assertThat(OpenSsl.isAvailable()).as("BoringSSL unavailable: %s", OpenSsl.unavailabilityCause()).isTrue();
        assertThat(FabricTls.provider()).isEqualTo(SslProvider.OPENSSL);
        assertThat(tls.serverContext()).isInstanceOf(OpenSslContext.class);
        assertThat(tls.clientContext()).isInstanceOf(OpenSslContext.class);
    }

    @Test
    void acceptsTheKeyPairARegistrationKeptInTheGateway() {
        TestPki.Issued issued = PKI.gateway(VPC_A);
        FabricIdentity identity = FabricIdentity.of(issued.identity().certificateChainPem(), issued.key(),
                PKI.caPem());
        assertThat(FabricTls.create(VPC_A, identity).certificate()).isEqualTo(issued.certificate());
    }

    @Test
    void refusesACertificateForAnotherVpcsGateway() {
        assertThatThrownBy(() -> FabricTls.create(VPC_A, PKI.gateway(VPC_B).identity()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the fabric certificate must name " + VPC_A + ".gateway.trellis.internal (DNS SAN); it"
                        + " names [" + VPC_B + ".gateway.trellis.internal]");
    }

    @Test
    void refusesAPrivateKeyThatIsNotTheCertificates() {
        TestPki.Issued one = PKI.gateway(VPC_A);
        TestPki.Issued other = PKI.gateway(VPC_A);
        FabricIdentity mixed = new FabricIdentity(one.identity().certificateChainPem(),
                other.identity().privateKeyPem(), PKI.caPem());
        assertThatThrownBy(() -> FabricTls.create(VPC_A, mixed))
                .hasMessageStartingWith("the fabric private key does not belong to the certificate");
    }

    @Test
    void refusesACertificateNotIssuedByTheGivenCa() {
        FabricIdentity foreign = OTHER_PKI.gateway(VPC_A).identity();
        FabricIdentity mixed = new FabricIdentity(foreign.certificateChainPem(), foreign.privateKeyPem(),
                PKI.caPem());
        assertThatThrownBy(() -> FabricTls.create(VPC_A, mixed))
                .hasMessageStartingWith("the fabric certificate chain does not lead to one of the CA certificates");
    }

    @Test
    void acceptsACaBundleSoThatACaRotationCanOverlap() {
        FabricIdentity foreign = OTHER_PKI.gateway(VPC_A).identity();
        FabricIdentity bundled = new FabricIdentity(foreign.certificateChainPem(), foreign.privateKeyPem(),
                PKI.caPem() + OTHER_PKI.caPem());
        assertThat(FabricTls.create(VPC_A, bundled).certificate()).isNotNull();
    }

    @Test
    void refusesAnExpiredCertificate() {
        TestPki.Issued expired = PKI.issue(FabricTls.gatewayName(VPC_A), Instant.now().minus(Duration.ofDays(8)),
                Instant.now().minus(Duration.ofDays(1)));
        assertThatThrownBy(() -> FabricTls.create(VPC_A, expired.identity()))
                .hasMessageStartingWith("the fabric certificate is not valid now");
    }

    @Test
    void refusesTextThatIsNotPem() {
        assertThatThrownBy(() -> new FabricIdentity("certificate", "key", "ca"))
                .hasMessage("certificateChainPem must be PEM text (-----BEGIN ...)");
        FabricIdentity good = PKI.gateway(VPC_A).identity();
        assertThatThrownBy(() -> FabricTls.create(VPC_A, new FabricIdentity(good.certificateChainPem(),
                "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n", good.caCertificatesPem())))
                .hasMessage("the fabric private key must be unencrypted PKCS#8 PEM (-----BEGIN PRIVATE KEY-----)");
    }

    @Test
    void aRefusedRenewalKeepsTheCurrentMaterial() {
        FabricTls tls = FabricTls.create(VPC_A, PKI.gateway(VPC_A).identity());
        var current = tls.certificate();
        assertThatThrownBy(() -> tls.update(PKI.gateway(VPC_B).identity()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(tls.certificate()).isSameAs(current);
        tls.update(PKI.gateway(VPC_A).identity());
        assertThat(tls.certificate()).isNotEqualTo(current);
    }

    @Test
    void identityToStringNeverShowsTheKey() {
        FabricIdentity identity = PKI.gateway(VPC_A).identity();
        assertThat(identity.toString()).doesNotContain("PRIVATE");
    }
}
