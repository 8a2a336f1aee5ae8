package dev.trellis.gateway.support;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderResultProvider;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What an HTTP/1.1 decoder makes of some bytes, as text to compare with what another decoder makes of them: one line
 * per message (start line, header fields in order, content, trailers, decoder result), and the error that stopped
 * it, if one did. For the tests that hold the gateway's one-pass head readers to Netty's decoders.
 */
public final class DecodedMessages {

    private DecodedMessages() {
    }

    /** The ways to deliver {@code length} bytes: whole, cut in two at every byte, and a byte at a time. */
    public static List<List<Integer>> deliveries(int length) {
        List<List<Integer>> deliveries = new ArrayList<>();
        deliveries.add(List.of());
        List<Integer> everyByte = new ArrayList<>();
        for (int cut = 1; cut < length; cut++) {
            deliveries.add(List.of(cut));
            everyByte.add(cut);
        }
        deliveries.add(everyByte);
        return deliveries;
    }

    /** Delivers {@code bytes} to the channel in pieces cut at {@code cuts}, and describes what it read; closes it. */
    public static String read(EmbeddedChannel channel, String bytes, List<Integer> cuts) {
        StringBuilder seen = new StringBuilder();
        List<Integer> ends = new ArrayList<>(cuts);
        ends.add(bytes.length());
        int from = 0;
        for (int end : ends) {
            if (end <= from) {
                continue;
            }
            try {
                channel.writeInbound(Unpooled.copiedBuffer(bytes.substring(from, end), StandardCharsets.ISO_8859_1));
            } catch (RuntimeException e) {
                drain(channel, seen);
                seen.append("error ").append(e.getClass().getSimpleName()).append(": ").append(e.getMessage())
                        .append('\n');
                channel.finishAndReleaseAll();
                return seen.toString();
            }
            drain(channel, seen);
            from = end;
        }
        channel.finish();
        drain(channel, seen);
        return seen.toString();
    }

    private static void drain(EmbeddedChannel channel, StringBuilder seen) {
        for (Object msg; (msg = channel.readInbound()) != null; ) {
            try {
                seen.append(describe(msg)).append('\n');
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }
    }

    /** One message as a line. */
    public static String describe(Object msg) {
        StringBuilder d = new StringBuilder();
        if (msg instanceof HttpRequest request) {
            d.append("request ").append(request.method()).append(' ').append(request.uri()).append(' ')
                    .append(request.protocolVersion());
        }
        if (msg instanceof HttpResponse response) {
            d.append("response ").append(response.protocolVersion()).append(' ').append(response.status().code())
                    .append(" '").append(response.status().reasonPhrase()).append('\'');
        }
        if (msg instanceof HttpMessage message) {
            message.headers().forEach(f -> d.append(" [").append(f.getKey()).append('=').append(f.getValue())
                    .append(']'));
        }
        if (msg instanceof HttpContent content) {
            d.append(msg instanceof LastHttpContent ? " last-content " : " content ")
                    .append(content.content().toString(StandardCharsets.ISO_8859_1));
            if (msg instanceof LastHttpContent last) {
                last.trailingHeaders().forEach(t -> d.append(" {").append(t.getKey()).append('=')
                        .append(t.getValue()).append('}'));
            }
        } else if (msg instanceof ByteBuf bytes) {
            d.append("bytes ").append(bytes.toString(StandardCharsets.ISO_8859_1));
        }
        if (msg instanceof DecoderResultProvider provider) {
            d.append(provider.decoderResult().isSuccess() ? " ok" : " failed " + provider.decoderResult().cause());
        }
        return d.toString();
    }
}
