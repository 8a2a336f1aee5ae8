package dev.trellis.gateway.support;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * HTTP/2 frames over a plain socket (prior knowledge, cleartext), for floods no well-behaved client sends. Frames
 * are built by hand (RFC 9113 §4.1) and header blocks use HPACK's static table and literals only, without Huffman
 * coding (RFC 7541), so that every byte on the wire is the test's.
 */
public final class RawHttp2 implements AutoCloseable {

    public static final int DATA = 0x0;
    public static final int HEADERS = 0x1;
    public static final int RST_STREAM = 0x3;
    public static final int SETTINGS = 0x4;
    public static final int PING = 0x6;
    public static final int GOAWAY = 0x7;
    public static final int CONTINUATION = 0x9;
    public static final int END_STREAM = 0x1;
    public static final int ACK = 0x1;
    public static final int END_HEADERS = 0x4;
    public static final int CANCEL = 0x8;
    public static final int ENHANCE_YOUR_CALM = 0xb;

    private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    /** A frame read from the server. */
    public record Frame(int type, int flags, int streamId, byte[] payload) {
        /** GOAWAY's error code. */
        public int errorCode() {
            return ((payload[4] & 0xff) << 24) | ((payload[5] & 0xff) << 16) | ((payload[6] & 0xff) << 8)
                    | (payload[7] & 0xff);
        }
    }

    private final Socket socket;
    private final OutputStream out;
    private final DataInputStream in;

    /**
     * Connects and sends the preface and an empty SETTINGS frame. {@code receiveBuffer} > 0 shrinks the socket's
     * receive buffer (before connecting), for a peer that does not read.
     */
    public RawHttp2(int port, int receiveBuffer) throws IOException {
        socket = new Socket();
        if (receiveBuffer > 0) {
            socket.setReceiveBufferSize(receiveBuffer);
        }
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        socket.setSoTimeout(10_000);
        out = socket.getOutputStream();
        in = new DataInputStream(socket.getInputStream());
        out.write(PREFACE);
        write(frame(SETTINGS, 0, 0, new byte[0]));
    }

    public RawHttp2(int port) throws IOException {
        this(port, 0);
    }

    /** One frame's bytes. */
    public static byte[] frame(int type, int flags, int streamId, byte[] payload) {
        byte[] frame = new byte[9 + payload.length];
        frame[0] = (byte) (payload.length >>> 16);
        frame[1] = (byte) (payload.length >>> 8);
        frame[2] = (byte) payload.length;
        frame[3] = (byte) type;
        frame[4] = (byte) flags;
        frame[5] = (byte) ((streamId >>> 24) & 0x7f);
        frame[6] = (byte) (streamId >>> 16);
        frame[7] = (byte) (streamId >>> 8);
        frame[8] = (byte) streamId;
        System.arraycopy(payload, 0, frame, 9, payload.length);
        return frame;
    }

    /** A request header block: {@code :method}, {@code :scheme http}, {@code :path}, {@code :authority}. */
    public static byte[] requestHeaders(String method, String path, String authority) {
        ByteArrayOutputStream block = new ByteArrayOutputStream();
        // Literal header field without indexing, indexed name (RFC 7541 §6.2.2): 0000 + static-table index.
        literal(block, 2, method);     // :method
        literal(block, 6, "http");     // :scheme
        literal(block, 4, path);       // :path
        literal(block, 1, authority);  // :authority
        return block.toByteArray();
    }

    private static void literal(ByteArrayOutputStream block, int nameIndex, String value) {
        byte[] bytes = value.getBytes(StandardCharsets.US_ASCII);
        if (bytes.length >= 127) {
            throw new IllegalArgumentException("test header values stay under 127 bytes");
        }
        block.write(nameIndex);
        block.write(bytes.length);
        block.writeBytes(bytes);
    }

    public static byte[] rstStream(int streamId, int errorCode) {
        return frame(RST_STREAM, 0, streamId, new byte[] {(byte) (errorCode >>> 24), (byte) (errorCode >>> 16),
                (byte) (errorCode >>> 8), (byte) errorCode});
    }

    public static byte[] ping(long data) {
        byte[] payload = new byte[8];
        for (int i = 0; i < 8; i++) {
            payload[i] = (byte) (data >>> (56 - 8 * i));
        }
        return frame(PING, 0, 0, payload);
    }

    public RawHttp2 write(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    /** The next frame, or null at end of stream (or a reset, after the server closed). */
    public Frame read() throws IOException {
        byte[] head = new byte[9];
        try {
            in.readFully(head);
        } catch (EOFException e) {
            return null;
        } catch (SocketTimeoutException e) {
            throw e;
        } catch (IOException e) {
            return null;
        }
        int length = ((head[0] & 0xff) << 16) | ((head[1] & 0xff) << 8) | (head[2] & 0xff);
        int streamId = ((head[5] & 0x7f) << 24) | ((head[6] & 0xff) << 16) | ((head[7] & 0xff) << 8)
                | (head[8] & 0xff);
        byte[] payload = new byte[length];
        try {
            in.readFully(payload);
        } catch (IOException e) {
            return null;
        }
        return new Frame(head[3] & 0xff, head[4] & 0xff, streamId, payload);
    }

    /** Reads until GOAWAY (returned) or the end of the connection (null). */
    public Frame readUntilGoAway() throws IOException {
        Frame frame;
        while ((frame = read()) != null) {
            if (frame.type() == GOAWAY) {
                return frame;
            }
        }
        return null;
    }

    /** True when the server has closed: reads give end of stream (or a reset) within the socket timeout. */
    public boolean closedByServer() throws IOException {
        while (read() != null) {
            // Frames the server sent before closing.
        }
        return true;
    }

    public Socket socket() {
        return socket;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
