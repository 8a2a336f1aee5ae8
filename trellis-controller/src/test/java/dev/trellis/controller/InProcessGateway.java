package dev.trellis.controller;

import dev.trellis.controlplane.ControlPlane;
import dev.trellis.controlplane.identity.IdentityDirectory;
import dev.trellis.gateway.GatewayConfig;
import dev.trellis.gateway.GatewayServer;
import dev.trellis.gateway.GatewaySnapshots;
import dev.trellis.gateway.snapshot.SnapshotClient;
import dev.trellis.model.snapshot.VpcSnapshot;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A real Trellis gateway (data plane) for one VPC on 127.0.0.1, configured by the control plane's snapshots as
 * {@code trellis gateway} is, without the fabric (clients and targets are in the same VPC). Listener port 80 is bound
 * on a free local port.
 */
final class InProcessGateway implements AutoCloseable {

    private final GatewayServer server;
    private final SnapshotClient snapshots;

    InProcessGateway(ControlPlane controlPlane, String vpcId, Path dataDir) {
        this(controlPlane, vpcId, dataDir, null);
    }

    /** With access logs written where subscriptions point, under {@code accessLogDirectory} (null: none). */
    InProcessGateway(ControlPlane controlPlane, String vpcId, Path dataDir, Path accessLogDirectory) {
        IdentityDirectory.AdminCredentials admin = controlPlane.firstStartCredentials().orElseThrow();
        String region = controlPlane.config().region();
        GatewaySnapshots current = new GatewaySnapshots(VpcSnapshot.empty(vpcId, region));
        GatewayConfig.Builder config = GatewayConfig.builder().bindAddress("127.0.0.1").mapPort(80, 0).ioThreads(2);
        if (accessLogDirectory != null) {
            config.accessLogDirectory(accessLogDirectory);
        }
        server = new GatewayServer(config.build(), current).start();
        snapshots = new SnapshotClient(new SnapshotClient.Settings(controlPlane.endpoint(), vpcId, region,
                admin.accessKeyId(), admin.secretAccessKey(), dataDir), current::swap);
        snapshots.start();
    }

    /** The local port the gateway's listener port 80 is bound on. */
    int httpPort() {
        return server.localPort(80);
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
        server.close();
    }
}
