package dev.trellis.controlplane.protocol;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.xml.sax.ErrorHandler;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

/**
 * Parses request bodies that come from the wire into a DOM, refusing what XML parsers are attacked with: a document
 * with a DOCTYPE is rejected before anything in it is read, so no DTD, external entity or entity expansion is ever
 * processed (OWASP XXE prevention: {@code disallow-doctype-decl}). External entities, external DTDs, XInclude and
 * external schema/DTD access are switched off as well, in case a parser ignores the first feature.
 */
public final class SafeXmlParser {

    /** The body is not a well-formed, DOCTYPE-free XML document. The message says why and where. */
    public static final class InvalidXmlException extends Exception {
        private static final long serialVersionUID = 1L;

        InvalidXmlException(String message) {
            super(message, null, false, false);
        }
    }

    private static final DocumentBuilderFactory FACTORY = factory();

    // DocumentBuilder is not thread-safe; one per worker thread, reset before each use.
    private static final ThreadLocal<DocumentBuilder> BUILDER = ThreadLocal.withInitial(SafeXmlParser::newBuilder);

    private SafeXmlParser() {
    }

    private static DocumentBuilderFactory factory() {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        try {
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            factory.setFeature("http://xml.org/sax/features/external-general-entities", false);
            factory.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
            factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        } catch (ParserConfigurationException e) {
            // Refuse to run with a parser that cannot be made safe rather than parse hostile input with it.
            throw new IllegalStateException("the XML parser cannot be configured safely", e);
        }
        factory.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
        factory.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
        factory.setNamespaceAware(true);
        factory.setXIncludeAware(false);
        factory.setExpandEntityReferences(false);
        factory.setValidating(false);
        return factory;
    }

    private static DocumentBuilder newBuilder() {
        try {
            DocumentBuilder builder = FACTORY.newDocumentBuilder();
            // Never resolve anything: with DOCTYPEs refused this is not reached, but costs nothing to be sure of.
            builder.setEntityResolver((publicId, systemId) -> new InputSource(new StringReader("")));
            builder.setErrorHandler(SILENT);
            return builder;
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException("the XML parser cannot be configured safely", e);
        }
    }

    /** Errors become exceptions; nothing is printed to standard error (the JDK's default handler does). */
    private static final ErrorHandler SILENT = new ErrorHandler() {
        @Override
        public void warning(SAXParseException exception) {
        }

        @Override
        public void error(SAXParseException exception) throws SAXException {
            throw exception;
        }

        @Override
        public void fatalError(SAXParseException exception) throws SAXException {
            throw exception;
        }
    };

    /**
     * The root element of {@code body}.
     *
     * @throws InvalidXmlException when the body is not well-formed XML or declares a DOCTYPE
     */
    public static Element parse(byte[] body) throws InvalidXmlException {
        DocumentBuilder builder = BUILDER.get();
        builder.reset();
        builder.setEntityResolver((publicId, systemId) -> new InputSource(new StringReader("")));
        builder.setErrorHandler(SILENT);
        try {
            Document document = builder.parse(new ByteArrayInputStream(body));
            return document.getDocumentElement();
        } catch (SAXParseException e) {
            String message = e.getMessage() == null ? "malformed document" : e.getMessage();
            if (message.contains("DOCTYPE")) {
                message = "a DOCTYPE declaration is not allowed";
            }
            throw new InvalidXmlException(message + " (line " + e.getLineNumber() + ", column "
                    + e.getColumnNumber() + ")");
        } catch (SAXException e) {
            throw new InvalidXmlException(e.getMessage() == null ? "malformed document" : e.getMessage());
        } catch (IOException e) {
            throw new InvalidXmlException("the body cannot be read: " + e.getMessage());
        }
    }
}
