package dev.trellis.gateway.proxy;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;

/**
 * The headers of a request head towards an HTTP/1.1 target: a map of what varies per request (the client's
 * headers, {@code X-Forwarded-For}, the request id), plus {@link #lines}: header lines that are the same for every
 * request of a client connection to one target group, encoded once ({@code name: value\r\n} each) and written as
 * they are by {@link Http1TargetCodec} after the map's entries.
 *
 * <p>Why: the gateway adds six such headers to each request (facts §2: port, scheme, network, target, source VPC,
 * identity). As map entries, each was hashed into the map, then found and encoded on its own; an experiment that
 * left the six out altogether made the gateway 5 % faster (docs/benchmarks.md, seventeenth run). As one block they
 * cost one copy.
 *
 * <p>Two kinds. The HTTP/1.1 client decoder makes its requests' headers as these ({@link #DECODED}: validating, as
 * any decoded headers), and the exchange, once it has taken out what a target must not get, gives them their lines
 * and sends the same map on: no second map and no copy of each header per request (docs/benchmarks.md, nineteenth
 * run). Heads that arrive otherwise (HTTP/2 clients, the fabric) are copied into a {@link #TargetRequestHeaders(Lines)
 * map that does not validate} (its contents were validated where they were decoded or made by the gateway). The lines
 * are not checked either: {@link Lines#of} takes values checked when they were made ({@code
 * LatticeHeaders.headerValue}). Only an HTTP/1.1 target's head may carry lines: an HTTP/2 head is converted to
 * HEADERS from the map alone.
 */
public final class TargetRequestHeaders extends DefaultHttpHeaders {

    private static final DefaultHttpHeadersFactory VALIDATED_ALREADY =
            DefaultHttpHeadersFactory.headersFactory().withValidation(false);
    private static final DefaultHttpHeadersFactory VALIDATING = DefaultHttpHeadersFactory.headersFactory();

    /** For a request decoder: headers that validate names and values as Netty's defaults do, without lines yet. */
    public static final HttpHeadersFactory DECODED = new HttpHeadersFactory() {
        @Override
        public HttpHeaders newHeaders() {
            return new TargetRequestHeaders(VALIDATING, Lines.NONE);
        }

        @Override
        public HttpHeaders newEmptyHeaders() {
            return newHeaders();
        }
    };

    private Lines lines;

    /** Headers that validate nothing, whose encoding ends with {@code lines} (none: {@link Lines#NONE}). */
    public TargetRequestHeaders(Lines lines) {
        this(VALIDATED_ALREADY, lines);
    }

    private TargetRequestHeaders(DefaultHttpHeadersFactory validation, Lines lines) {
        super(validation.getNameValidator(), validation.getValueValidator());
        this.lines = lines;
    }

    /** The header lines written after the map's entries. */
    public Lines lines() {
        return lines;
    }

    /** Makes the encoding of these headers end with {@code lines}; returns these headers. */
    public TargetRequestHeaders endWith(Lines lines) {
        this.lines = lines;
        return this;
    }

    /** Header lines encoded once: {@code name: value\r\n} per header, in the order given. Immutable. */
    public static final class Lines {

        /** No lines. */
        public static final Lines NONE = new Lines(new byte[0]);

        private final byte[] encoded;

        private Lines(byte[] encoded) {
            this.encoded = encoded;
        }

        /**
         * The lines of {@code namesAndValues} (name, value, name, value, …). Names are header names the gateway
         * owns, values were checked when made: neither is checked here.
         */
        public static Lines of(AsciiString... namesAndValues) {
            if (namesAndValues.length % 2 != 0) {
                throw new IllegalArgumentException("names and values come in pairs");
            }
            int length = 0;
            for (int i = 0; i < namesAndValues.length; i += 2) {
                length += namesAndValues[i].length() + 2 + namesAndValues[i + 1].length() + 2;
            }
            byte[] encoded = new byte[length];
            int at = 0;
            for (int i = 0; i < namesAndValues.length; i += 2) {
                at = put(encoded, at, namesAndValues[i]);
                encoded[at++] = ':';
                encoded[at++] = ' ';
                at = put(encoded, at, namesAndValues[i + 1]);
                encoded[at++] = '\r';
                encoded[at++] = '\n';
            }
            return new Lines(encoded);
        }

        private static int put(byte[] into, int at, AsciiString text) {
            text.copy(0, into, at, text.length());
            return at + text.length();
        }

        /** The encoded lines; not to be changed. */
        byte[] encoded() {
            return encoded;
        }

        @Override
        public String toString() {
            return new String(encoded, StandardCharsets.US_ASCII).replace("\r\n", "; ");
        }
    }
}
