package dev.trellis.controlplane.ec2;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Writes the XML documents EC2 answers with. Text is escaped ({@code &}, {@code <}, {@code >}; quotes stay as they
 * are, as in EC2's messages), and characters XML 1.0 cannot carry at all (most control characters, lone surrogates)
 * become U+FFFD, so whatever a client sent, the answer is well-formed. Only text is ever client-supplied: element
 * names and the namespace are constants.
 */
final class XmlWriter {

    static final String CONTENT_TYPE = "text/xml;charset=UTF-8";

    private final StringBuilder out = new StringBuilder(512).append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    private final Deque<String> open = new ArrayDeque<>();

    /** Opens the root element with a default namespace. */
    XmlWriter root(String name, String namespace) {
        out.append('<').append(name).append(" xmlns=\"").append(namespace).append("\">");
        open.push(name);
        return this;
    }

    XmlWriter start(String name) {
        out.append('<').append(name).append('>');
        open.push(name);
        return this;
    }

    XmlWriter end() {
        out.append("</").append(open.pop()).append('>');
        return this;
    }

    /** {@code <name>text</name>}; nothing when {@code text} is null. */
    XmlWriter element(String name, String text) {
        if (text != null) {
            out.append('<').append(name).append('>');
            escape(text);
            out.append("</").append(name).append('>');
        }
        return this;
    }

    XmlWriter element(String name, boolean value) {
        return element(name, Boolean.toString(value));
    }

    /** The document, with every element still open closed. */
    byte[] bytes() {
        while (!open.isEmpty()) {
            end();
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    private void escape(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                default -> {
                    if (Character.isHighSurrogate(c) && i + 1 < text.length()
                            && Character.isLowSurrogate(text.charAt(i + 1))) {
                        out.append(c).append(text.charAt(++i));
                    } else if (allowed(c)) {
                        out.append(c);
                    } else {
                        out.append('\uFFFD');
                    }
                }
            }
        }
    }

    /** XML 1.0's Char production, for one UTF-16 unit outside a surrogate pair. */
    static boolean allowed(char c) {
        return c == '\t' || c == '\n' || c == '\r' || (c >= 0x20 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD);
    }
}
