package dev.trellis.controller;

import dev.trellis.controlplane.ControlPlane;
import dev.trellis.controlplane.identity.IdentityDirectory;
import dev.trellis.gateway.GatewayConfig;
import dev.trellis.gateway.GatewayServer;
import dev.trellis.gateway.GatewaySnapshots;
import dev.trellis.gateway.fabric.FabricClient;
import dev.trellis.gateway.fabric.FabricTls;
import dev.trellis.gateway.snapshot.ControlPlaneClient;
import dev.trellis.gateway.snapshot.GatewayEnrollment;
import dev.trellis.gateway.snapshot.SnapshotClient;
import dev.trellis.model.snapshot.VpcSnapshot;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;

/**
 * A real Trellis gateway (data plane) for one VPC on 127.0.0.1, configured by the control plane's snapshots as
 * {@code trellis gateway} is. Listener port 80 is bound on a free local port, 443 (HTTPS and TLS passthrough
 * listeners) on another. Without the fabric, clients and targets must be in the same VPC; {@link #withFabric} also registers it with the control plane and listens for its peers, so
 * a client in this VPC reaches targets in another VPC through that VPC's gateway, as across the walkthrough's clusters.
 */
final class InProcessGateway implements AutoCloseable {

    private final GatewayServer server;
    private final SnapshotClient snapshots;
    private final ControlPlaneClient controlPlaneClient;
    private final GatewayEnrollment enrollment;

    InProcessGateway(ControlPlane controlPlane, String vpcId, Path dataDir) {
        this(controlPlane, vpcId, dataDir, false, null);
    }

    /** A gateway that is a member of the fabric (registered, with a fabric listener on 127.0.0.1). */
    static InProcessGateway withFabric(ControlPlane controlPlane, String vpcId, Path dataDir) {
        return new InProcessGateway(controlPlane, vpcId, dataDir, true, null);
    }

    /** A gateway writing access logs where subscriptions point, one file per destination under {@code directory}. */
    static InProcessGateway withAccessLogs(ControlPlane controlPlane, String vpcId, Path dataDir, Path directory) {
        return new InProcessGateway(controlPlane, vpcId, dataDir, false, directory);
    }

    private InProcessGateway(ControlPlane controlPlane, String vpcId, Path dataDir, boolean fabric,
            Path accessLogDirectory) {
        IdentityDirectory.AdminCredentials admin = controlPlane.firstStartCredentials().orElseThrow();
        String region = controlPlane.config().region();
        GatewaySnapshots current = new GatewaySnapshots(VpcSnapshot.empty(vpcId, region));
        GatewayConfig.Builder config = GatewayConfig.builder().bindAddress("127.0.0.1").mapPort(80, 0).mapPort(443, 0).ioThreads(2);
        if (accessLogDirectory != null) {
            config.accessLogDirectory(accessLogDirectory);
        }
        controlPlaneClient = new ControlPlaneClient(controlPlane.endpoint(), region, admin.accessKeyId(),
                admin.secretAccessKey());
        if (fabric) {
            int fabricPort = freePort();
            enrollment = new GatewayEnrollment(controlPlaneClient, new GatewayEnrollment.Registration(vpcId,
                    "gw-" + vpcId, "127.0.0.1", fabricPort), dataDir, Clock.systemUTC());
            try {
                FabricTls tls = enrollment.start(() -> { });
                config.fabric(new FabricClient(tls)).fabricTls(tls).fabricListener("127.0.0.1", fabricPort);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        } else {
            enrollment = null;
        }
        server = new GatewayServer(config.build(), current).start();
        snapshots = new SnapshotClient(new SnapshotClient.Settings(controlPlane.endpoint(), vpcId, region,
                admin.accessKeyId(), admin.secretAccessKey(), dataDir), controlPlaneClient, Clock.systemUTC(),
                current::swap);
        snapshots.start();
    }

    /** The local port the gateway's listener port 80 is bound on. */
    int httpPort() {
        return server.localPort(80);
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The local port listener port {@code listenerPort} (80 or 443) is bound on. */
    int port(int listenerPort) {
        return server.localPort(listenerPort);
    }

    /** One HTTP/1.1 GET with {@code host} as Host: "status body", or "error ..." when nothing answered. */
    String get(String host, String path) {
        try (Socket socket = new Socket("127.0.0.1", server.localPort(80))) {
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            String status = response.substring(response.indexOf(' ') + 1, response.indexOf(' ') + 4);
            return status + " " + response.substring(response.indexOf("\r\n\r\n") + 4);
        } catch (IOException | RuntimeException e) {
            return "error " + e;
        }
    }

    @Override
    public void close() {
        snapshots.close();
        if (enrollment != null) {
            enrollment.close();
        }
        server.close();
        controlPlaneClient.close();
    }
}
