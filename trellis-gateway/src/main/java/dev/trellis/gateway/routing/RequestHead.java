package dev.trellis.gateway.routing;

import java.util.List;

/** What routing looks at in a request: method, path (without the query) and header values by name. */
public interface RequestHead {

    String method();

    /** The path as received, without the query string. */
    String path();

    /** Every value of a header (names compare case-insensitively); empty when absent. */
    List<String> headerValues(String name);
}
