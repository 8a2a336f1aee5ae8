package dev.trellis.cli;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * A target for network-namespace tests, run as its own process inside a namespace: answers every request with its
 * name and the Lattice headers it received, so a test can tell which VPC's target answered.
 * Arguments: address, port, name.
 */
public final class NamedBackend {

    private NamedBackend() {
    }

    public static void main(String[] args) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(args[0], Integer.parseInt(args[1])), 0);
        String name = args[2];
        server.createContext("/", exchange -> {
            var headers = exchange.getRequestHeaders();
            byte[] body = (name + " " + exchange.getRequestURI().getPath()
                    + " source-vpc=" + headers.getFirst("x-amzn-source-vpc")
                    + " target=" + headers.getFirst("x-amzn-lattice-target")).getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        System.out.println("listening");
        System.out.flush();
    }
}
