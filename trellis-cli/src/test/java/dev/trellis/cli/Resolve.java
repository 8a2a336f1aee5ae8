package dev.trellis.cli;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Resolves a name with the JDK's resolver (which reads /etc/resolv.conf through the system's stub) and prints its
 * IPv4 addresses, one per line; run inside a network namespace by tests. Exit status 2 when the name is unknown.
 */
public final class Resolve {

    private Resolve() {
    }

    public static void main(String[] args) {
        try {
            for (InetAddress address : InetAddress.getAllByName(args[0])) {
                if (address.getAddress().length == 4) {
                    System.out.println(address.getHostAddress());
                }
            }
        } catch (UnknownHostException e) {
            System.out.println("unknown: " + e.getMessage());
            System.exit(2);
        }
    }
}
