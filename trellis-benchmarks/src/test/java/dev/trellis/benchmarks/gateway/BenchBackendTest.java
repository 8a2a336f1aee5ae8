package dev.trellis.benchmarks.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How the harness's backend frames requests, over a real socket: it reads only what frames a request, so each of
 * these cases decides whether the next request on the connection is answered.
 */
class BenchBackendTest {

    private static final Pattern OK = Pattern.compile("HTTP/1\\.1 200 OK\r\n");

    private BenchBackend backend;

    @BeforeEach
    void start() throws InterruptedException {
        backend = BenchBackend.start("127.0.0.1", 0);
    }

    @AfterEach
    void stop() {
        backend.close();
    }

    @Test
    void answersPipelinedRequestsWhoseHeadsAndBodiesArriveInPieces() throws Exception {
        try (Socket socket = connect()) {
            OutputStream out = socket.getOutputStream();
            // The body is itself a request (19 bytes): read as one, it would get a fourth answer.
            send(out, "POST /a HTTP/1.1\r\nHost: backend\r\nx-amzn-lattice-target: service-arn=x\r\nCONTENT-Len");
            send(out, "gth:  19 \r\n\r\nGET /x HT");
            send(out, "TP/1.1\r\n\r\nGET /b HTTP/1.1\r\nHost: backend\r\n\r\nGET /c HTTP/1.1\r\n");
            send(out, "Host: backend\r\n\r\n");

            assertThat(readAnswers(socket, 3)).isEqualTo(3);
            // No fourth answer, and the connection stays open: nothing asked to close.
            assertThat(quietAndOpen(socket)).isTrue();
        }
    }

    @Test
    void closesAfterAnsweringARequestThatAsksToClose() throws Exception {
        assertThat(answersThenClose("GET / HTTP/1.1\r\nHost: backend\r\nConnection: keep-alive, Close\r\n\r\n"))
                .isEqualTo(1);
        assertThat(answersThenClose("GET / HTTP/1.0\r\n\r\n")).isEqualTo(1);
    }

    @Test
    void closesWithoutAnAnswerWhenItCannotFrameTheBody() throws Exception {
        assertThat(answersThenClose("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"))
                .isZero();
        assertThat(answersThenClose("POST / HTTP/1.1\r\nContent-Length: 5x\r\n\r\nhello")).isZero();
    }

    @Test
    void closesOnAHeadLargerThanItReads() throws Exception {
        assertThat(answersThenClose("GET / HTTP/1.1\r\nx-big: " + "a".repeat(70 * 1024))).isZero();
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket("127.0.0.1", backend.port());
        socket.setSoTimeout(5_000);
        return socket;
    }

    /** Sends {@code request}, then counts the answers until the backend closes the connection. */
    private int answersThenClose(String request) throws IOException, InterruptedException {
        try (Socket socket = connect()) {
            send(socket.getOutputStream(), request);
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            socket.getInputStream().transferTo(all);
            return count(all.toString(StandardCharsets.US_ASCII));
        }
    }

    private static void send(OutputStream out, String part) throws IOException, InterruptedException {
        out.write(part.getBytes(StandardCharsets.US_ASCII));
        out.flush();
        // Separate reads on the backend's side, most of the time: the framing must not depend on it either way.
        Thread.sleep(50);
    }

    private static int readAnswers(Socket socket, int expected) throws IOException {
        InputStream in = socket.getInputStream();
        StringBuilder answers = new StringBuilder();
        byte[] buffer = new byte[4096];
        while (count(answers.toString()) < expected) {
            int n = in.read(buffer);
            if (n < 0) {
                break;
            }
            answers.append(new String(buffer, 0, n, StandardCharsets.US_ASCII));
        }
        return count(answers.toString());
    }

    /** True when the backend neither sends more nor closes the connection within 300 ms. */
    private static boolean quietAndOpen(Socket socket) throws IOException {
        socket.setSoTimeout(300);
        try {
            socket.getInputStream().read();
            return false;
        } catch (SocketTimeoutException stillWaiting) {
            return true;
        }
    }

    private static int count(String answers) {
        Matcher matcher = OK.matcher(answers);
        int n = 0;
        while (matcher.find()) {
            n++;
        }
        return n;
    }
}
