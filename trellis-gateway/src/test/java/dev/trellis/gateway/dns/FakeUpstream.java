package dev.trellis.gateway.dns;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;

/**
 * A tiny upstream resolver for tests: UDP on loopback, answers each query with what {@code answers} gives for its
 * question (null: never answers, a black hole). Records the questions it was asked.
 */
final class FakeUpstream implements AutoCloseable {

    private final DatagramSocket socket;
    private final Thread thread;
    private final List<Record> questions = new CopyOnWriteArrayList<>();

    FakeUpstream(Function<Record, List<Record>> answers) throws SocketException {
        socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        thread = new Thread(() -> serve(answers), "fake-upstream");
        thread.setDaemon(true);
        thread.start();
    }

    InetSocketAddress address() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    List<Record> questions() {
        return questions;
    }

    private void serve(Function<Record, List<Record>> answers) {
        byte[] buffer = new byte[65535];
        while (!socket.isClosed()) {
            try {
                DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
                socket.receive(packet);
                Message query = new Message(java.util.Arrays.copyOf(packet.getData(), packet.getLength()));
                questions.add(query.getQuestion());
                List<Record> records = answers.apply(query.getQuestion());
                if (records == null) {
                    continue;
                }
                Message response = new Message(query.getHeader().getID());
                response.getHeader().setFlag(Flags.QR);
                response.getHeader().setFlag(Flags.RA);
                response.addRecord(query.getQuestion(), Section.QUESTION);
                records.forEach(r -> response.addRecord(r, Section.ANSWER));
                byte[] bytes = response.toWire();
                socket.send(new DatagramPacket(bytes, bytes.length, packet.getSocketAddress()));
            } catch (IOException e) {
                if (socket.isClosed()) {
                    return;
                }
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        socket.close();
        thread.join(2000);
    }
}
