package dev.trellis.cli;

import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/**
 * A listen option as {@code aws-sigv4-proxy} and webhooks write it: {@code PORT}, {@code :PORT} (every address) or
 * {@code ADDRESS:PORT} ({@code [v6]:PORT}).
 *
 * @param address the address to bind, or null for every address
 * @param port    the port (0: a free one)
 */
record ListenAddress(String address, int port) {

    /** Parses {@code text}; a malformed value is a {@link ParameterException} naming {@code option}. */
    static ListenAddress parse(String text, String option, CommandLine commandLine) {
        String address = null;
        String portText = text;
        int colon = text.lastIndexOf(':');
        if (colon >= 0) {
            address = colon == 0 ? null : text.substring(0, colon).replace("[", "").replace("]", "");
            portText = text.substring(colon + 1);
        }
        try {
            return new ListenAddress(address, Integer.parseInt(portText));
        } catch (NumberFormatException e) {
            throw new ParameterException(commandLine, option + " must be PORT, :PORT or ADDRESS:PORT, not '" + text
                    + "'");
        }
    }
}
