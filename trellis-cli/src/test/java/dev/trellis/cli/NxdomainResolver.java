package dev.trellis.cli;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketException;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;

/**
 * An upstream resolver for tests that knows no name at all: every query over UDP is answered NXDOMAIN. It stands
 * for the internet's resolvers, which know nothing of a private hosted zone.
 */
final class NxdomainResolver implements AutoCloseable {

    private final DatagramSocket socket;
    private final Thread thread;

    private NxdomainResolver(DatagramSocket socket) {
        this.socket = socket;
        this.thread = new Thread(this::serve, "nxdomain-resolver");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    static NxdomainResolver start(String address, int port) throws SocketException {
        return new NxdomainResolver(new DatagramSocket(new InetSocketAddress(address, port)));
    }

    private void serve() {
        byte[] buffer = new byte[1500];
        while (!socket.isClosed()) {
            try {
                DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
                socket.receive(packet);
                Message query = new Message(java.util.Arrays.copyOf(packet.getData(), packet.getLength()));
                Message answer = new Message(query.getHeader().getID());
                answer.getHeader().setFlag(Flags.QR);
                answer.getHeader().setFlag(Flags.RA);
                answer.getHeader().setRcode(Rcode.NXDOMAIN);
                if (query.getQuestion() != null) {
                    answer.addRecord(query.getQuestion(), org.xbill.DNS.Section.QUESTION);
                }
                byte[] wire = answer.toWire();
                socket.send(new DatagramPacket(wire, wire.length, packet.getSocketAddress()));
            } catch (IOException e) {
                // closed, or a packet that is not a query: nothing to answer
            }
        }
    }

    @Override
    public void close() {
        socket.close();
    }
}
