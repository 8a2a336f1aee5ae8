package dev.trellis.gateway.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A snapshot body that stops arriving: the request's timeout ends with the response head, so the body has a deadline
 * of its own, and closing the client cuts it too. The control plane here is a raw socket that sends a head and part
 * of a body, then nothing.
 */
class ControlPlaneClientTest {

    private static final int BODY_LENGTH = 10_000;

    private ServerSocket server;
    private Thread serving;
    private final CountDownLatch bodyStarted = new CountDownLatch(1);

    @AfterEach
    void closeServer() throws IOException {
        if (serving != null) {
            serving.interrupt(); // ends its pause and closes the connection
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aSnapshotBodyThatStallsAfterItsHeadFailsAtItsDeadlineAndTheNextCallWorks() throws Exception {
        URI endpoint = controlPlane(1_000, Duration.ofMinutes(1));
        try (ControlPlaneClient client = client(endpoint, Duration.ofMillis(500))) {
            long started = System.nanoTime();
            assertThatThrownBy(() -> client.snapshot("vpc-1", -1, 1, "gw-1", InputStream::readAllBytes))
                    .isInstanceOf(IOException.class)
                    .isNotInstanceOf(InterruptedIOException.class)
                    .hasMessage("the snapshot's body did not arrive within 500 ms of its head");
            long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            assertThat(elapsedMillis).isBetween(450L, 5_000L);
        }
    }

    @Test
    void closingTheClientCutsASnapshotBodyBeingRead() throws Exception {
        URI endpoint = controlPlane(1_000, Duration.ofMinutes(1));
        ControlPlaneClient client = client(endpoint, Duration.ofMinutes(1));
        CompletableFuture<byte[]> call = CompletableFuture.supplyAsync(() -> {
            try {
                return client.snapshot("vpc-1", -1, 1, "gw-1", InputStream::readAllBytes);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        assertThat(bodyStarted.await(10, TimeUnit.SECONDS)).isTrue();
        Thread.sleep(200); // the reader is blocked on the rest of the body
        assertThat(call).isNotDone();
        client.close();
        assertThatThrownBy(() -> call.get(5, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .hasRootCauseInstanceOf(InterruptedIOException.class)
                .hasRootCauseMessage("the snapshot's body was cut: the control-plane client is closed");
    }

    @Test
    void aSlowBodyThatArrivesWithinItsDeadlineIsReadWhole() throws Exception {
        URI endpoint = controlPlane(BODY_LENGTH / 2, Duration.ofMillis(300));
        try (ControlPlaneClient client = client(endpoint, Duration.ofSeconds(5))) {
            byte[] body = client.snapshot("vpc-1", -1, 1, "gw-1", InputStream::readAllBytes);
            assertThat(body).hasSize(BODY_LENGTH).containsOnly((byte) 'x');
        }
    }

    private static ControlPlaneClient client(URI endpoint, Duration bodyTimeout) {
        return new ControlPlaneClient(endpoint, "us-west-2", "AKIDEXAMPLE", "secret", bodyTimeout);
    }

    /**
     * A control plane that answers one call with 200 and a {@value #BODY_LENGTH}-byte body: {@code firstPart} bytes
     * at once, the rest after {@code pause}.
     */
    private URI controlPlane(int firstPart, Duration pause) throws IOException {
        server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
        serving = new Thread(() -> {
            try (Socket socket = server.accept()) {
                readHead(socket.getInputStream());
                OutputStream out = socket.getOutputStream();
                out.write(("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: " + BODY_LENGTH
                        + "\r\nx-trellis-revision: 7\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write("x".repeat(firstPart).getBytes(StandardCharsets.US_ASCII));
                out.flush();
                bodyStarted.countDown();
                Thread.sleep(pause.toMillis());
                out.write("x".repeat(BODY_LENGTH - firstPart).getBytes(StandardCharsets.US_ASCII));
                out.flush();
                Thread.sleep(1_000);
            } catch (IOException | InterruptedException e) {
                // the test is over, or the client went away: either ends this control plane
            }
        }, "stalling-control-plane");
        serving.setDaemon(true);
        serving.start();
        return URI.create("http://127.0.0.1:" + server.getLocalPort() + "/");
    }

    private static void readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            head.write(b);
            if (head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
                return;
            }
        }
    }
}
