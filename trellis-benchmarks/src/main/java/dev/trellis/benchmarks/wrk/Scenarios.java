package dev.trellis.benchmarks.wrk;

import dev.trellis.benchmarks.gateway.BenchGateway;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The scenarios of {@code ./bench wrk}, in the order they run. nginx runs before the gateways: its maximum rate
 * sets the paced runs' rate.
 */
final class Scenarios {

    static final String DIRECT = "direct";
    static final String NGINX = "nginx";
    static final String HAPROXY = "haproxy";
    static final String GATEWAY = "gateway";
    static final String GATEWAY_AUTH = "gateway-auth";
    static final String FABRIC = "fabric";

    private Scenarios() {
    }

    static List<Scenario> all(WrkOptions options) {
        return List.of(new Direct(), new Nginx(options.upstreamIdle()), new Haproxy(),
                new Gateway(false, options.upstreamIdle()), new Gateway(true, options.upstreamIdle()), new Fabric());
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
     * same number the gateway gets), HTTP/1.1 upstream, no access log.
     */
    static final class Nginx implements Scenario {
        @Override
        public String name() {
            return NGINX;
        }

        @Override
        public String description() {
            return "nginx, worker_processes 1, upstream keepalive " + upstreamIdle
                    + ", proxy_http_version 1.1, access_log off";
        }

        private final int upstreamIdle;

        Nginx(int upstreamIdle) {
            this.upstreamIdle = upstreamIdle;
        }

        @Override
        public Running start(BenchContext context) throws Exception {
            Path dir = context.workDir().resolve("nginx").toAbsolutePath();
            Path conf = context.write("nginx/nginx.conf", """
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
                      upstream backend {
                        server 127.0.0.1:%3$d;
                        keepalive %4$d;
                      }
                      server {
                        listen 127.0.0.1:%2$d;
                        location / {
                          proxy_pass http://backend;
                          proxy_http_version 1.1;
                          proxy_set_header Connection "";
                        }
                      }
                    }
                    """.formatted(dir, context.proxyPort(), context.backendPort(), upstreamIdle));
            ManagedProcess nginx = ManagedProcess.start("nginx", context.proxyCommand(List.of("nginx",
                    "-p", dir.toString(), "-e", dir.resolve("error.log").toString(), "-c", conf.toString())),
                    dir.resolve("nginx.out"), context.proxyPort());
            return new Running(context.proxyPort(), nginx.pid(), nginx);
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
            List<String> jvm = new ArrayList<>(Arrays.asList(options.gatewayJavaOpts().trim().split("\\s+")));
            if (options.jfr()) {
                Path jfr = context.workDir().resolve(name() + ".jfr").toAbsolutePath();
                jvm.add("-XX:StartFlightRecording=filename=" + jfr + ",settings=profile,dumponexit=true");
            }
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
     * Two gateways with the fabric between them: the client's gateway routes to a target group in the other VPC,
     * whose gateway proxies to the backend.
     *
     * <p>Not runnable yet: {@code dev.trellis.gateway.fabric} has only the {@code FabricForwarder} seam, which
     * answers 502. When a real forwarder exists, {@link #unavailableReason()} returns null and {@link #start}
     * starts two {@link BenchGateway} JVMs (a {@code --fabric} mode there: VPC-A's snapshot forwards to a target
     * group in VPC-B with B's fabric address as peer; B's snapshot holds the group with the backend), both pinned
     * with {@link BenchContext#proxyCommand} (they share the proxy CPU, as one proxy's work).
     */
    static final class Fabric implements Scenario {
        @Override
        public String name() {
            return FABRIC;
        }

        @Override
        public String description() {
            return "two Trellis gateways across the fabric";
        }

        @Override
        public String unavailableReason() {
            return "not available yet: dev.trellis.gateway.fabric has no forwarder (the fabric is being built)";
        }

        @Override
        public Running start(BenchContext context) {
            throw new UnsupportedOperationException(unavailableReason());
        }
    }
}
