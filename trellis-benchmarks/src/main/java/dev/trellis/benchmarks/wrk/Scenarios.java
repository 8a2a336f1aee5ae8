package dev.trellis.benchmarks.wrk;

import dev.trellis.benchmarks.gateway.BenchGateway;
import dev.trellis.benchmarks.gateway.BenchPki;
import dev.trellis.benchmarks.gateway.BenchSnapshots;
import dev.trellis.gateway.http.LatticeHeaders;
import dev.trellis.gateway.tls.TlsPolicy;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The scenarios of {@code ./bench wrk}, in the order they run. nginx runs before the gateways: its maximum rate
 * sets the paced runs' rate.
 */
final class Scenarios {

    static final String DIRECT = "direct";
    static final String NGINX = "nginx";
    static final String NGINX_HEADERS = "nginx-headers";
    static final String HAPROXY = "haproxy";
    static final String GATEWAY = "gateway";
    static final String GATEWAY_AUTH = "gateway-auth";
    static final String FABRIC = "fabric";
    static final String NGINX_HTTPS = "nginx-https";
    static final String GATEWAY_HTTPS = "gateway-https";
    static final String NGINX_HANDSHAKES = "nginx-handshakes";
    static final String GATEWAY_HANDSHAKES = "gateway-handshakes";

    private Scenarios() {
    }

    static List<Scenario> all(WrkOptions options) {
        return List.of(new Direct(), new Nginx(false, options.upstreamIdle()), new Nginx(true, options.upstreamIdle()),
                new Haproxy(),
                new Gateway(false, options.upstreamIdle()), new Gateway(true, options.upstreamIdle()),
                new Fabric(options.upstreamIdle()),
                new NginxTls(false, options.upstreamIdle()), new GatewayTls(false, options.upstreamIdle()),
                new NginxTls(true, options.upstreamIdle()), new GatewayTls(true, options.upstreamIdle()));
    }

    /** JVM options of a gateway process: the configured ones, plus a JFR recording named after it with --jfr. */
    static List<String> gatewayJvm(BenchContext context, String name) {
        WrkOptions options = context.options();
        List<String> jvm = new ArrayList<>(Arrays.asList(options.gatewayJavaOpts().trim().split("\\s+")));
        if (options.jfr()) {
            Path jfr = context.workDir().resolve(name + ".jfr").toAbsolutePath();
            jvm.add("-XX:StartFlightRecording=filename=" + jfr + ",settings=profile,dumponexit=true");
        }
        return jvm;
    }

    /** nginx's configuration: one worker, no access log, {@code server} is the server block. */
    static Path nginxConf(BenchContext context, Path dir, String server) throws IOException {
        return context.write(dir.getFileName() + "/nginx.conf", """
                worker_processes 1;
                daemon off;
                master_process on;
                pid %1$s/nginx.pid;
                error_log %1$s/error.log warn;
                events { worker_connections 4096; }
                http {
                  access_log off;
                  client_body_temp_path %1$s/client_body;
                  proxy_temp_path %1$s/proxy;
                  fastcgi_temp_path %1$s/fastcgi;
                  uwsgi_temp_path %1$s/uwsgi;
                  scgi_temp_path %1$s/scgi;
                %2$s
                }
                """.formatted(dir, server.indent(2).stripTrailing()));
    }

    static ManagedProcess startNginx(BenchContext context, Path dir, Path conf) throws IOException {
        return ManagedProcess.start(dir.getFileName().toString(), context.proxyCommand(List.of("nginx",
                "-p", dir.toString(), "-e", dir.resolve("error.log").toString(), "-c", conf.toString())),
                dir.resolve("nginx.out"), context.proxyPort());
    }

    /** wrk straight to the backend: the ceiling of this machine's loopback, backend and wrk. */
    static final class Direct implements Scenario {
        @Override
        public String name() {
            return DIRECT;
        }

        @Override
        public String description() {
            return "wrk straight to the backend (no proxy)";
        }

        @Override
        public Running start(BenchContext context) {
            return new Running(context.backendPort(), -1, () -> { });
        }
    }

    /**
     * nginx with one worker, an upstream keep-alive pool of {@link WrkOptions#upstreamIdle()} idle connections (the
     * same number the gateway gets), HTTP/1.1 upstream, no access log. With {@code gatewayHeaders}
     * ({@value #NGINX_HEADERS}) it also does the header work the gateway does on this route: it passes the
     * client's Host, appends {@code x-forwarded-for}, and adds a request id (to the response as well) and the
     * Lattice headers with the values the gateway gives them ({@link BenchSnapshots#datastoreTargetHeaders}), so
     * that the backend gets the same request from both. An informational comparison: the targets are
     * judged against plain {@code nginx}.
     */
    static final class Nginx implements Scenario {
        private final boolean gatewayHeaders;
        private final int upstreamIdle;

        Nginx(boolean gatewayHeaders, int upstreamIdle) {
            this.gatewayHeaders = gatewayHeaders;
            this.upstreamIdle = upstreamIdle;
        }

        @Override
        public String name() {
            return gatewayHeaders ? NGINX_HEADERS : NGINX;
        }

        @Override
        public String description() {
            return "nginx, worker_processes 1, upstream keepalive " + upstreamIdle
                    + ", proxy_http_version 1.1, access_log off" + (gatewayHeaders ? "; plus the gateway's header "
                    + "work (Host passed, x-forwarded-for appended, a request id both ways, x-forwarded-port/-proto, "
                    + "x-amzn-lattice-network/-target, x-amzn-source-vpc): the backend gets the gateway's request"
                    : "");
        }

        @Override
        public Running start(BenchContext context) throws Exception {
            Path dir = context.workDir().resolve(name()).toAbsolutePath();
            Path conf = nginxConf(context, dir, serverBlock(context));
            ManagedProcess nginx = startNginx(context, dir, conf);
            return new Running(context.proxyPort(), nginx.pid(), nginx);
        }

        String serverBlock(BenchContext context) {
            StringBuilder headers = new StringBuilder();
            if (gatewayHeaders) {
                headers.append("proxy_set_header Host $http_host;\n");
                headers.append("proxy_set_header ").append(LatticeHeaders.FORWARDED_FOR)
                        .append(" $proxy_add_x_forwarded_for;\n");
                headers.append("proxy_set_header ").append(LatticeHeaders.REQUEST_ID).append(" $request_id;\n");
                BenchSnapshots.datastoreTargetHeaders().forEach((name, value) -> headers.append("proxy_set_header ")
                        .append(name).append(" \"").append(value).append("\";\n"));
                headers.append("add_header ").append(LatticeHeaders.REQUEST_ID).append(" $request_id;\n");
            }
            return """
                    upstream backend {
                      server 127.0.0.1:%d;
                      keepalive %d;
                    }
                    server {
                      listen 127.0.0.1:%d;
                      location / {
                        proxy_pass http://backend;
                        proxy_http_version 1.1;
                        proxy_set_header Connection "";
                    %s  }
                    }
                    """.formatted(context.backendPort(), upstreamIdle, context.proxyPort(),
                    headers.toString().indent(4));
        }
    }

    /** HAProxy with one thread, {@code http-reuse always}, keep-alive both sides, no logging. */
    static final class Haproxy implements Scenario {
        @Override
        public String name() {
            return HAPROXY;
        }

        @Override
        public String description() {
            return "HAProxy, nbthread 1, http-reuse always, no log";
        }

        @Override
        public Running start(BenchContext context) throws Exception {
            Path conf = context.write("haproxy/haproxy.cfg", """
                    global
                      nbthread 1
                      maxconn 4096
                    defaults
                      mode http
                      option http-keep-alive
                      http-reuse always
                      timeout connect 5s
                      timeout client 60s
                      timeout server 60s
                    frontend bench
                      bind 127.0.0.1:%d
                      default_backend backend
                    backend backend
                      server target 127.0.0.1:%d
                    """.formatted(context.proxyPort(), context.backendPort()));
            ManagedProcess haproxy = ManagedProcess.start("haproxy", context.proxyCommand(List.of("haproxy",
                    "-db", "-f", conf.toAbsolutePath().toString())),
                    context.workDir().resolve("haproxy/haproxy.out"), context.proxyPort());
            return new Running(context.proxyPort(), haproxy.pid(), haproxy);
        }
    }

    /**
     * The Trellis gateway in its own JVM with one event-loop thread ({@link BenchGateway}); with {@code auth}, the
     * network and service are AWS_IAM with the walkthrough's two policies and every request is SigV4-signed.
     */
    static final class Gateway implements Scenario {
        private final boolean auth;
        private final int upstreamIdle;

        Gateway(boolean auth, int upstreamIdle) {
            this.auth = auth;
            this.upstreamIdle = upstreamIdle;
        }

        @Override
        public String name() {
            return auth ? GATEWAY_AUTH : GATEWAY;
        }

        @Override
        public String description() {
            return (auth ? "Trellis gateway, ioThreads 1, SigV4 + the walkthrough's network and service policies"
                    : "Trellis gateway, ioThreads 1, auth NONE") + ", maxIdleConnectionsPerTarget "
                    + upstreamIdle;
        }

        @Override
        public Running start(BenchContext context) throws Exception {
            WrkOptions options = context.options();
            List<String> jvm = gatewayJvm(context, name());
            List<String> args = new ArrayList<>(List.of("--port", String.valueOf(context.proxyPort()),
                    "--backend-port", String.valueOf(context.backendPort()),
                    "--max-idle-upstream", String.valueOf(upstreamIdle)));
            if (auth) {
                args.addAll(List.of("--auth", "--reference", options.reference().toAbsolutePath().toString()));
            }
            ManagedProcess gateway = ManagedProcess.start(name(), context.proxyCommand(context.java(jvm,
                    BenchGateway.class.getName(), args)), context.workDir().resolve(name() + ".out"),
                    context.proxyPort());
            return new Running(context.proxyPort(), gateway.pid(), gateway);
        }

        @Override
        public Map<String, String> requestHeaders() {
            return auth ? LuaScripts.signedHeaders() : LuaScripts.plainHeaders();
        }
    }

    /**
     * Two gateways with the fabric between them (issue 5: "across the fabric (two gateways), at least 0.5 ×
     * nginx"): VPC-A's gateway ({@code BenchGateway --fabric first-hop}) takes wrk's requests and routes them to
     * the datastore's target group, which is in VPC-B; VPC-B's gateway ({@code --fabric peer}) receives them over
     * the fabric (HTTP/2 over mutual TLS 1.3, certificates from this run's CA) and proxies to the backend.
     *
     * <p><b>Pinning.</b> Both JVMs run on the proxy CPU, like every other proxy: the two hops together are the
     * proxy under test and get the one core nginx gets. Their CPU time is added up for the CPU-per-request figure.
     * Each has one event loop ({@code ioThreads 1}) and the usual heap.
     */
    static final class Fabric implements Scenario {
        private final int upstreamIdle;

        Fabric(int upstreamIdle) {
            this.upstreamIdle = upstreamIdle;
        }

        @Override
        public String name() {
            return FABRIC;
        }

        @Override
        public String description() {
            return "two Trellis gateways (VPC-A's first hop → fabric, HTTP/2 over mTLS 1.3 → VPC-B's gateway → "
                    + "backend), ioThreads 1 each, auth NONE, both JVMs pinned together to the proxy CPU, "
                    + "maxIdleConnectionsPerTarget " + upstreamIdle + " at B";
        }

        @Override
        public Running start(BenchContext context) throws Exception {
            Path material = context.fabricMaterial().toAbsolutePath();
            List<String> common = List.of("--backend-port", String.valueOf(context.backendPort()),
                    "--fabric-dir", material.toString(), "--fabric-port", String.valueOf(context.fabricPort()),
                    "--max-idle-upstream", String.valueOf(upstreamIdle));
            List<String> peerArgs = new ArrayList<>(List.of("--fabric", "peer"));
            peerArgs.addAll(common);
            ManagedProcess peer = ManagedProcess.start("fabric-peer", context.proxyCommand(context.java(
                    gatewayJvm(context, "fabric-peer"), BenchGateway.class.getName(), peerArgs)),
                    context.workDir().resolve("fabric-peer.out"), context.fabricPort());
            try {
                List<String> firstArgs = new ArrayList<>(List.of("--fabric", "first-hop", "--port",
                        String.valueOf(context.proxyPort())));
                firstArgs.addAll(common);
                ManagedProcess first = ManagedProcess.start("fabric-first-hop", context.proxyCommand(context.java(
                        gatewayJvm(context, "fabric-first-hop"), BenchGateway.class.getName(), firstArgs)),
                        context.workDir().resolve("fabric-first-hop.out"), context.proxyPort());
                return new Running(context.proxyPort(), List.of(first.pid(), peer.pid()), () -> {
                    first.close();
                    peer.close();
                });
            } catch (IOException | RuntimeException e) {
                peer.close();
                throw e;
            }
        }
    }

    /**
     * nginx terminating TLS for the datastore's generated name with the harness's certificate (the gateway's
     * scenario gets the same files), then proxying as {@link Nginx} does. The TLS settings are Lattice's policy as
     * the gateway applies it ({@code TlsPolicy}): TLS 1.2 and 1.3, the same suites in the same server-preference
     * order, so both servers negotiate the same protocol and suite with wrk. With {@code newHandshakes} every
     * request says {@code Connection: close}, so every request is a new TCP connection and a full handshake (wrk
     * does not resume sessions).
     */
    static final class NginxTls implements Scenario {
        private final boolean newHandshakes;
        private final int upstreamIdle;

        NginxTls(boolean newHandshakes, int upstreamIdle) {
            this.newHandshakes = newHandshakes;
            this.upstreamIdle = upstreamIdle;
        }

        @Override
        public String name() {
            return newHandshakes ? NGINX_HANDSHAKES : NGINX_HTTPS;
        }

        @Override
        public String description() {
            return "nginx as `nginx` plus `listen ssl`, the same RSA 2048 certificate, ssl_protocols TLSv1.2 TLSv1.3,"
                    + " Lattice's suites in its order (ssl_prefer_server_ciphers on)" + (newHandshakes
                    ? "; every request `Connection: close`: one new TLS connection per request" : "; keep-alive");
        }

        @Override
        public boolean tls() {
            return true;
        }

        @Override
        public String baseline() {
            return name();
        }

        @Override
        public Running start(BenchContext context) throws Exception {
            BenchPki.Issued.PemFiles certificate = context.httpsCertificate();
            String tls12 = TlsPolicy.OPENSSL_CIPHER_SUITES.stream().filter(suite -> !suite.startsWith("TLS_"))
                    .collect(Collectors.joining(":"));
            String tls13 = TlsPolicy.OPENSSL_CIPHER_SUITES.stream().filter(suite -> suite.startsWith("TLS_"))
                    .collect(Collectors.joining(":"));
            Path dir = context.workDir().resolve(name()).toAbsolutePath();
            Path conf = nginxConf(context, dir, """
                    upstream backend {
                      server 127.0.0.1:%d;
                      keepalive %d;
                    }
                    server {
                      listen 127.0.0.1:%d ssl;
                      server_name %s;
                      ssl_certificate %s;
                      ssl_certificate_key %s;
                      ssl_protocols TLSv1.2 TLSv1.3;
                      ssl_ciphers %s;
                      ssl_conf_command Ciphersuites %s;
                      ssl_prefer_server_ciphers on;
                      location / {
                        proxy_pass http://backend;
                        proxy_http_version 1.1;
                        proxy_set_header Connection "";
                      }
                    }
                    """.formatted(context.backendPort(), upstreamIdle, context.proxyPort(), BenchSnapshots.HOST,
                    certificate.certificate().toAbsolutePath(), certificate.key().toAbsolutePath(), tls12, tls13));
            ManagedProcess nginx = startNginx(context, dir, conf);
            return new Running(context.proxyPort(), nginx.pid(), nginx);
        }

        @Override
        public Map<String, String> requestHeaders() {
            return newHandshakes ? LuaScripts.closingHeaders() : LuaScripts.plainHeaders();
        }
    }

    /**
     * The gateway with the datastore's listener HTTPS ({@code BenchGateway --https-cert/--https-key}): the harness's
     * certificate is the snapshot's managed certificate of the generated names (a {@code CertificateEntry} without
     * ARN), chosen by SNI. Otherwise as {@link Gateway} without auth; {@code newHandshakes} as in {@link NginxTls}.
     */
    static final class GatewayTls implements Scenario {
        private final boolean newHandshakes;
        private final int upstreamIdle;

        GatewayTls(boolean newHandshakes, int upstreamIdle) {
            this.newHandshakes = newHandshakes;
            this.upstreamIdle = upstreamIdle;
        }

        @Override
        public String name() {
            return newHandshakes ? GATEWAY_HANDSHAKES : GATEWAY_HTTPS;
        }

        @Override
        public String description() {
            return "Trellis gateway, ioThreads 1, auth NONE, HTTPS listener with the same certificate as the managed"
                    + " certificate of the generated name (JDK TLS provider), maxIdleConnectionsPerTarget "
                    + upstreamIdle + (newHandshakes ? "; every request `Connection: close`" : "; keep-alive");
        }

        @Override
        public boolean tls() {
            return true;
        }

        @Override
        public String baseline() {
            return newHandshakes ? NGINX_HANDSHAKES : NGINX_HTTPS;
        }

        @Override
        public Running start(BenchContext context) throws Exception {
            BenchPki.Issued.PemFiles certificate = context.httpsCertificate();
            List<String> args = List.of("--port", String.valueOf(context.proxyPort()),
                    "--backend-port", String.valueOf(context.backendPort()),
                    "--max-idle-upstream", String.valueOf(upstreamIdle),
                    "--https-cert", certificate.certificate().toAbsolutePath().toString(),
                    "--https-key", certificate.key().toAbsolutePath().toString());
            ManagedProcess gateway = ManagedProcess.start(name(), context.proxyCommand(context.java(
                    gatewayJvm(context, name()), BenchGateway.class.getName(), args)),
                    context.workDir().resolve(name() + ".out"), context.proxyPort());
            return new Running(context.proxyPort(), gateway.pid(), gateway);
        }

        @Override
        public Map<String, String> requestHeaders() {
            return newHandshakes ? LuaScripts.closingHeaders() : LuaScripts.plainHeaders();
        }
    }
}
