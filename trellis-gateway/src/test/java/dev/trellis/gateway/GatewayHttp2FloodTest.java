package dev.trellis.gateway;

import static dev.trellis.gateway.support.Fixtures.DATASTORE_DOMAIN;
import static dev.trellis.gateway.support.Fixtures.VPC_A;
import static dev.trellis.gateway.support.Fixtures.datastore;
import static dev.trellis.gateway.support.Fixtures.defaultRule;
import static dev.trellis.gateway.support.Fixtures.forward;
import static dev.trellis.gateway.support.Fixtures.group;
import static dev.trellis.gateway.support.Fixtures.http;
import static dev.trellis.gateway.support.Fixtures.snapshot;
import static dev.trellis.gateway.support.RawHttp2.CANCEL;
import static dev.trellis.gateway.support.RawHttp2.CONTINUATION;
import static dev.trellis.gateway.support.RawHttp2.DATA;
import static dev.trellis.gateway.support.RawHttp2.END_HEADERS;
import static dev.trellis.gateway.support.RawHttp2.END_STREAM;
import static dev.trellis.gateway.support.RawHttp2.ENHANCE_YOUR_CALM;
import static dev.trellis.gateway.support.RawHttp2.HEADERS;
import static dev.trellis.gateway.support.RawHttp2.SETTINGS;
import static dev.trellis.gateway.support.RawHttp2.frame;
import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.gateway.support.H2Client;
import dev.trellis.gateway.support.RawHttp2;
import dev.trellis.gateway.support.TestBackend;
import dev.trellis.gateway.support.TestGateway;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * HTTP/2 floods sent as raw frames: each attacker is cut off (GOAWAY with ENHANCE_YOUR_CALM where it reads, a
 * closed connection where it does not), while a well-behaved HTTP/2 client on another connection keeps getting
 * 200s throughout.
 */
class GatewayHttp2FloodTest {

    static TestBackend target;
    static TestGateway gateway;

    Thread normalClient;
    final AtomicBoolean stop = new AtomicBoolean();
    final AtomicInteger served = new AtomicInteger();
    final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();

    @BeforeEach
    void start() throws Exception {
        target = TestBackend.start("datastore");
        gateway = TestGateway.start(snapshot(1, List.of(datastore(http(80, defaultRule(forward("tg-v1", 1))))),
                List.of(group("tg-v1", VPC_A, target)), List.of()));
        normalClient = new Thread(() -> {
            try (H2Client h2 = new H2Client(gateway.port(80))) {
                while (!stop.get()) {
                    H2Client.Response response = h2.get(DATASTORE_DOMAIN, "/normal");
                    if (response.status() == 200 && response.body().equals("datastore")) {
                        served.incrementAndGet();
                    } else {
                        failures.add(response.status() + " " + response.body());
                    }
                    Thread.sleep(10);
                }
            } catch (Exception e) {
                failures.add(e.toString());
            }
        }, "well-behaved-h2-client");
        normalClient.start();
    }

    @AfterEach
    void stop() throws Exception {
        int before = served.get();
        // The well-behaved client is still served after the flood.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (served.get() < before + 3 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        stop.set(true);
        normalClient.join(10_000);
        gateway.close();
        target.close();
        assertThat(failures).as("the well-behaved client's failures").isEmpty();
        assertThat(served.get()).as("requests served to the well-behaved client after the flood")
                .isGreaterThanOrEqualTo(before + 3);
    }

    @Test
    void answersRapidResetWithGoAwayEnhanceYourCalmAndCloses() throws Exception {
        try (RawHttp2 attacker = new RawHttp2(gateway.port(80))) {
            byte[] headers = RawHttp2.requestHeaders("GET", "/reset", DATASTORE_DOMAIN);
            ByteArrayOutputStream burst = new ByteArrayOutputStream();
            for (int stream = 1; stream < 2 * 1000; stream += 2) {
                burst.writeBytes(frame(HEADERS, END_HEADERS | END_STREAM, stream, headers));
                burst.writeBytes(RawHttp2.rstStream(stream, CANCEL));
            }
            writeIgnoringClose(attacker, burst.toByteArray());

            RawHttp2.Frame goAway = attacker.readUntilGoAway();
            assertThat(goAway).as("GOAWAY").isNotNull();
            assertThat(goAway.errorCode()).isEqualTo(ENHANCE_YOUR_CALM);
            assertThat(attacker.closedByServer()).isTrue();
        }
    }

    @Test
    void cutsOffASettingsFloodFromAPeerThatDoesNotReadTheAcks() throws Exception {
        assertCutOffWhileNotReading(frame(SETTINGS, 0, 0, new byte[0]));
    }

    @Test
    void cutsOffAPingFloodFromAPeerThatDoesNotReadTheAcks() throws Exception {
        assertCutOffWhileNotReading(RawHttp2.ping(0x5452454c4c4953L));
    }

    @Test
    void answersAFloodOfEmptyDataFramesWithGoAwayEnhanceYourCalm() throws Exception {
        try (RawHttp2 attacker = new RawHttp2(gateway.port(80))) {
            ByteArrayOutputStream burst = new ByteArrayOutputStream();
            burst.writeBytes(frame(HEADERS, END_HEADERS, 1,
                    RawHttp2.requestHeaders("POST", "/empty", DATASTORE_DOMAIN)));
            for (int i = 0; i < 1000; i++) {
                burst.writeBytes(frame(DATA, 0, 1, new byte[0]));
            }
            writeIgnoringClose(attacker, burst.toByteArray());

            RawHttp2.Frame goAway = attacker.readUntilGoAway();
            assertThat(goAway).as("GOAWAY").isNotNull();
            assertThat(goAway.errorCode()).isEqualTo(ENHANCE_YOUR_CALM);
            assertThat(attacker.closedByServer()).isTrue();
        }
    }

    @Test
    void answersAContinuationFloodWithGoAway() throws Exception {
        try (RawHttp2 attacker = new RawHttp2(gateway.port(80))) {
            ByteArrayOutputStream burst = new ByteArrayOutputStream();
            burst.writeBytes(frame(HEADERS, 0, 1, RawHttp2.requestHeaders("GET", "/continued", DATASTORE_DOMAIN)));
            for (int i = 0; i < 10_000; i++) {
                burst.writeBytes(frame(CONTINUATION, 0, 1, new byte[0]));
            }
            writeIgnoringClose(attacker, burst.toByteArray());

            RawHttp2.Frame goAway = attacker.readUntilGoAway();
            assertThat(goAway).as("GOAWAY").isNotNull();
            assertThat(goAway.errorCode()).isEqualTo(ENHANCE_YOUR_CALM);
            assertThat(attacker.closedByServer()).isTrue();
        }
        assertThat(target.drain()).noneMatch(r -> r.uri().equals("/continued"));
    }

    @Test
    void closesAnHttp2ConnectionWhoseHeaderBlockNeverEndsAfterTheIdleTimeout() throws Exception {
        // Slowloris over HTTP/2: no request starts until END_HEADERS, so the connection counts as idle.
        try (TestGateway shortIdle = TestGateway.start(snapshot(1,
                        List.of(datastore(http(80, defaultRule(forward("tg-v1", 1))))),
                        List.of(group("tg-v1", VPC_A, target)), List.of()),
                config -> config.defaultIdleTimeout(java.time.Duration.ofMillis(500)));
             RawHttp2 attacker = new RawHttp2(shortIdle.port(80))) {
            long start = System.nanoTime();
            attacker.write(frame(HEADERS, 0, 1, RawHttp2.requestHeaders("GET", "/slow", DATASTORE_DOMAIN)));

            RawHttp2.Frame goAway = attacker.readUntilGoAway();
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

            assertThat(goAway).as("GOAWAY").isNotNull();
            assertThat(attacker.closedByServer()).isTrue();
            assertThat(millis).isBetween(400L, 4000L);
        }
        assertThat(target.drain()).noneMatch(r -> r.uri().equals("/slow"));
    }

    /**
     * Sends {@code frame} over and over without ever reading, on a socket with a small receive buffer, until the
     * gateway cuts the connection (a write fails) — which must happen within 30 seconds.
     */
    private static void assertCutOffWhileNotReading(byte[] frame) throws Exception {
        byte[] burst = new byte[frame.length * 1000];
        for (int i = 0; i < 1000; i++) {
            System.arraycopy(frame, 0, burst, i * frame.length, frame.length);
        }
        long start = System.nanoTime();
        long sent = 0;
        boolean cut = false;
        try (RawHttp2 attacker = new RawHttp2(gateway.port(80), 4096)) {
            attacker.socket().setSendBufferSize(64 * 1024);
            while (System.nanoTime() - start < TimeUnit.SECONDS.toNanos(30)) {
                try {
                    attacker.write(burst);
                    sent += 1000;
                } catch (IOException e) {
                    cut = true;
                    break;
                }
            }
        }
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        System.out.println("flood of frame type " + frame[3] + " cut off after about " + sent + " frames, "
                + millis + " ms");
        assertThat(cut).as("the gateway cut the flooding connection within 30 s (" + sent + " frames sent)")
                .isTrue();
    }

    private static void writeIgnoringClose(RawHttp2 attacker, byte[] bytes) {
        try {
            attacker.write(bytes);
        } catch (IOException e) {
            // The gateway may close before the whole burst is written: what it answered is still readable.
        }
    }
}
