package dev.trellis.cli.lab;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * What a plain, unsigned client inside a VPC gets when it calls a service by name, the way {@code curl https://name/}
 * would: the VPC's resolver (its gateway) is asked for the name, then the address it gives — or, when DNS gives none,
 * the VPC's gateway address anyway — is called over HTTPS with the name as SNI and Host, trusting one CA.
 *
 * <p>Runs in-process (loopback mode) or as a child JVM inside a namespace ({@code ip netns exec}): {@link #main}
 * prints one {@link Result} as {@code key=value} lines for the parent to {@link Result#parse parse}.
 */
public final class Probe {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private Probe() {
    }

    /**
     * What the probe saw.
     *
     * @param dnsAnswer the resolver's rcode ({@code NOERROR}, {@code NXDOMAIN}, {@code REFUSED}, ...) or
     *     {@code TIMEOUT}
     * @param address the IPv4 address DNS gave, or null
     * @param status the HTTP status, or 0 when no HTTP answer came
     * @param body the answer's body (or, without an answer, why: {@code connection refused}, a TLS failure, ...)
     */
    public record Result(String dnsAnswer, String address, int status, String body) {

        /** One line for people, e.g. {@code DNS NXDOMAIN; HTTPS to 169.254.171.1:443: connection refused}. */
        public String describe(String connectedTo) {
            return "DNS " + dnsAnswer + (address != null ? " (" + address + ")" : "") + "; HTTPS to " + connectedTo
                    + ": " + (status != 0 ? "HTTP " + status + " " + body.strip() : body);
        }

        String render() {
            return "dns=" + dnsAnswer + "\naddress=" + (address == null ? "" : address) + "\nstatus=" + status
                    + "\nbody=" + body.replace('\n', ' ').replace('\r', ' ') + "\n";
        }

        /** Reads what {@link Probe#main} printed. */
        public static Result parse(String printed) throws IOException {
            String dns = null;
            String address = null;
            Integer status = null;
            String body = null;
            for (String line : printed.split("\n")) {
                int eq = line.indexOf('=');
                if (eq < 0) {
                    continue;
                }
                String value = line.substring(eq + 1);
                switch (line.substring(0, eq)) {
                    case "dns" -> dns = value;
                    case "address" -> address = value.isEmpty() ? null : value;
                    case "status" -> status = Integer.parseInt(value);
                    case "body" -> body = value;
                    default -> { }
                }
            }
            if (dns == null || status == null || body == null) {
                throw new IOException("the probe printed no result: " + printed.strip());
            }
            return new Result(dns, address, status, body);
        }
    }

    /**
     * Resolves {@code name} with the resolver at {@code dnsServer:dnsPort}, then calls {@code GET path} on the address
     * it gave (else {@code fallbackAddress}) at {@code httpsPort}, unsigned.
     */
    public static Result call(String dnsServer, int dnsPort, String name, String fallbackAddress, int httpsPort,
                              Path caPem, String path) throws IOException, GeneralSecurityException {
        String rcode;
        String address = null;
        try {
            SimpleResolver resolver = new SimpleResolver(dnsServer);
            resolver.setPort(dnsPort);
            resolver.setTimeout(TIMEOUT);
            Message answer = resolver.send(Message.newQuery(Record.newRecord(Name.fromString(name + "."), Type.A,
                    DClass.IN)));
            rcode = Rcode.string(answer.getRcode());
            for (Record record : answer.getSection(Section.ANSWER)) {
                if (record instanceof ARecord a) {
                    address = a.getAddress().getHostAddress();
                }
            }
        } catch (SocketTimeoutException e) {
            rcode = "TIMEOUT";
        }
        String target = address != null ? address : fallbackAddress;
        return https(target, httpsPort, name, caPem, path, rcode, address);
    }

    /**
     * {@link #call}, repeated every 200 ms while the answer is a 2xx, for up to {@code patience}: the probe checks
     * that a caller is kept out, and an auth policy put a moment ago reaches the gateways with their next snapshot
     * (well within a second), so an early 2xx is not yet the answer.
     */
    public static Result callUntilRefused(String dnsServer, int dnsPort, String name, String fallbackAddress,
                                          int httpsPort, Path caPem, String path, Duration patience)
            throws IOException, GeneralSecurityException, InterruptedException {
        long deadline = System.nanoTime() + patience.toNanos();
        Result result = call(dnsServer, dnsPort, name, fallbackAddress, httpsPort, caPem, path);
        while (result.status() / 100 == 2 && System.nanoTime() < deadline) {
            Thread.sleep(200);
            result = call(dnsServer, dnsPort, name, fallbackAddress, httpsPort, caPem, path);
        }
        return result;
    }

    private static Result https(String address, int port, String name, Path caPem, String path, String rcode,
                                String resolved) throws IOException, GeneralSecurityException {
        Socket plain = new Socket();
        try {
            plain.connect(new InetSocketAddress(address, port), (int) TIMEOUT.toMillis());
        } catch (ConnectException e) {
            plain.close();
            return new Result(rcode, resolved, 0, "connection refused");
        } catch (SocketTimeoutException e) {
            plain.close();
            return new Result(rcode, resolved, 0, "no answer within " + TIMEOUT.toSeconds() + " s");
        } catch (IOException e) {
            plain.close();
            return new Result(rcode, resolved, 0, e.getMessage().toLowerCase(Locale.ROOT));
        }
        plain.setSoTimeout((int) TIMEOUT.toMillis());
        try (SSLSocket tls = (SSLSocket) trusting(caPem).getSocketFactory().createSocket(plain, name, port, true)) {
            SSLParameters parameters = tls.getSSLParameters();
            parameters.setServerNames(List.of(new SNIHostName(name)));
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            parameters.setApplicationProtocols(new String[] {"http/1.1"});
            tls.setSSLParameters(parameters);
            tls.startHandshake();
            OutputStream out = tls.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: " + name + "\r\nUser-Agent: trellis-probe\r\n"
                    + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return parseResponse(tls.getInputStream(), rcode, resolved);
        } catch (SSLException e) {
            return new Result(rcode, resolved, 0, "TLS handshake failed: " + e.getMessage());
        }
    }

    private static Result parseResponse(InputStream in, String rcode, String resolved) throws IOException {
        byte[] all = in.readAllBytes();
        String text = new String(all, StandardCharsets.UTF_8);
        int headEnd = text.indexOf("\r\n\r\n");
        if (!text.startsWith("HTTP/1.") || headEnd < 0) {
            return new Result(rcode, resolved, 0, "not an HTTP answer");
        }
        int status = Integer.parseInt(text.substring(9, 12));
        String head = text.substring(0, headEnd).toLowerCase(Locale.ROOT);
        String body = text.substring(headEnd + 4);
        if (head.contains("\r\ntransfer-encoding: chunked")) {
            body = dechunk(body);
        }
        return new Result(rcode, resolved, status, body);
    }

    private static String dechunk(String chunked) {
        StringBuilder body = new StringBuilder();
        int at = 0;
        while (at < chunked.length()) {
            int lineEnd = chunked.indexOf("\r\n", at);
            if (lineEnd < 0) {
                break;
            }
            int size = Integer.parseInt(chunked.substring(at, lineEnd).split(";")[0].strip(), 16);
            if (size == 0) {
                break;
            }
            body.append(chunked, lineEnd + 2, Math.min(chunked.length(), lineEnd + 2 + size));
            at = lineEnd + 2 + size + 2;
        }
        return body.toString();
    }

    private static SSLContext trusting(Path caPem) throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        List<Certificate> certificates;
        try (InputStream in = Files.newInputStream(caPem)) {
            certificates = new ArrayList<>(CertificateFactory.getInstance("X.509").generateCertificates(in));
        }
        for (int i = 0; i < certificates.size(); i++) {
            store.setCertificateEntry("ca-" + i, certificates.get(i));
        }
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(store);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return context;
    }

    /**
     * {@code Probe DNS_SERVER DNS_PORT NAME FALLBACK_ADDRESS HTTPS_PORT CA_PEM PATH}: prints the {@link Result}
     * of {@link #callUntilRefused} with 10 s of patience.
     * Exit status 0 whenever a result was obtained (a refusal is a result), 2 for bad arguments, 1 otherwise.
     */
    public static void main(String[] args) {
        if (args.length != 7) {
            System.err.println("usage: Probe DNS_SERVER DNS_PORT NAME FALLBACK_ADDRESS HTTPS_PORT CA_PEM PATH");
            System.exit(2);
        }
        try {
            Result result = callUntilRefused(args[0], Integer.parseInt(args[1]), args[2], args[3],
                    Integer.parseInt(args[4]), Path.of(args[5]), args[6], Duration.ofSeconds(10));
            System.out.print(result.render());
            System.out.flush();
            System.exit(0);
        } catch (Exception e) {
            System.err.println("probe failed: " + e);
            System.exit(1);
        }
    }

}
