package dev.trellis.benchmarks;

import dev.trellis.gateway.proxy.HttpTypes;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCounted;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The type tests a target connection's handler and the exchange make of each message of a small response (its head
 * and its end, in turn), as {@code instanceof} and as {@link HttpTypes}. The {@code ReferenceCounted} test stands
 * for Netty's own (a release, a retain) between them. On JDK 17 the first pays for the one-entry cache that each
 * successful test against another interface overwrites; the second compares classes.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class MessageTypeBenchmark {

    private static final int MESSAGES = 2;

    private final Object[] response = {
        new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK),
        new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER),
    };

    @Benchmark
    @OperationsPerInvocation(MESSAGES)
    public int instanceofTests() {
        int seen = 0;
        for (Object msg : response) {
            if (msg instanceof ReferenceCounted) {
                seen += 1;
            }
            if (msg instanceof FullHttpResponse) {
                seen += 2;
            }
            if (msg instanceof HttpResponse) {
                seen += 4;
            }
            if (msg instanceof HttpContent) {
                seen += 8;
            }
            if (msg instanceof LastHttpContent) {
                seen += 16;
            }
        }
        return seen;
    }

    @Benchmark
    @OperationsPerInvocation(MESSAGES)
    public int httpTypesTests() {
        int seen = 0;
        for (Object msg : response) {
            if (msg instanceof ReferenceCounted) {
                seen += 1;
            }
            if (HttpTypes.isFullResponse(msg)) {
                seen += 2;
            }
            if (HttpTypes.isResponse(msg)) {
                seen += 4;
            }
            if (HttpTypes.isContent(msg)) {
                seen += 8;
            }
            if (HttpTypes.isLast(msg)) {
                seen += 16;
            }
        }
        return seen;
    }
}
