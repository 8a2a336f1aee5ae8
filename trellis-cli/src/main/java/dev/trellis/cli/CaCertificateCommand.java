package dev.trellis.cli;

import dev.trellis.controlplane.pki.InternalCa;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code trellis ca-certificate}: the internal CA's certificate, for clients to trust. */
@Command(
        name = "ca-certificate",
        mixinStandardHelpOptions = true,
        description = {
            "Prints the certificate of Trellis's internal CA (PEM), which issues the certificates of the services'"
                + " generated names, the certificates ACM's RequestCertificate issues, and the gateways' fabric"
                + " certificates. Give it to clients to trust, e.g.",
            "  trellis ca-certificate > trellis-ca.pem && curl --cacert trellis-ca.pem https://<service name>/",
            "  keytool -importcert -noprompt -alias trellis -file trellis-ca.pem -keystore trust.p12",
            "The control plane writes it to <data-dir>/ca.pem at every start."
        })
final class CaCertificateCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--data-dir", defaultValue = "data",
            description = "The control plane's data directory. Default: ${DEFAULT-VALUE}.")
    Path dataDir;

    @Override
    public Integer call() throws IOException {
        Path file = dataDir.resolve(InternalCa.CERTIFICATE_FILE);
        String pem;
        try {
            pem = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            spec.commandLine().getErr().println("no CA certificate at " + file
                    + ": start the control plane (trellis server --data-dir " + dataDir + ") once first");
            return 1;
        }
        X509Certificate certificate;
        try {
            certificate = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
        } catch (CertificateException | ClassCastException e) {
            spec.commandLine().getErr().println(file + " is not a PEM certificate: " + e.getMessage());
            return 1;
        }
        spec.commandLine().getErr().println(certificate.getSubjectX500Principal().getName() + ", valid until "
                + certificate.getNotAfter().toInstant());
        spec.commandLine().getOut().print(pem.endsWith("\n") ? pem : pem + "\n");
        spec.commandLine().getOut().flush();
        return 0;
    }
}
