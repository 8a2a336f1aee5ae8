package dev.trellis.controlplane.ec2;

import dev.trellis.controlplane.protocol.ApiException;
import dev.trellis.controlplane.protocol.ApiRequest;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The parameters of one EC2 query request: the form-encoded POST body and the query string, merged, without the
 * SigV4 presigning parameters ({@code X-Amz-*}). Lists are flattened the EC2 way ({@code VpcId.1},
 * {@code Filter.2.Value.1}); indexes start at 1 and need not be contiguous, items come in index order.
 *
 * <p>A view is rooted at a prefix ({@code Filter.2.}); reading a parameter through any view marks it used, so that
 * after an operation has read everything it understands, {@link #requireAllUsed} rejects the rest with EC2's
 * {@code UnknownParameter}.
 */
final class QueryParameters {

    /** Parameters every EC2 request carries; operations do not read them. */
    static final Set<String> ENVELOPE = Set.of("Action", "Version");
    private static final String FORM = "application/x-www-form-urlencoded";
    private static final Pattern INDEX = Pattern.compile("[1-9][0-9]{0,8}");

    private final Map<String, String> values;
    private final Set<String> used;
    private final String prefix;

    private QueryParameters(Map<String, String> values, Set<String> used, String prefix) {
        this.values = values;
        this.used = used;
        this.prefix = prefix;
    }

    static QueryParameters of(Map<String, String> values) {
        return new QueryParameters(new LinkedHashMap<>(values), new HashSet<>(ENVELOPE), "");
    }

    /**
     * The parameters of {@code request}: its query string and, for a form-encoded body, its body.
     *
     * @throws ApiException {@code MalformedQueryString} for a body that is not form-encoded or not decodable, and
     *     {@code InvalidParameterValue} for a parameter given twice
     */
    static QueryParameters parse(ApiRequest request) {
        Map<String, String> values = new LinkedHashMap<>();
        request.query().forEach((name, list) -> {
            if (!name.regionMatches(true, 0, "X-Amz-", 0, 6)) {
                for (String value : list) {
                    put(values, name, value);
                }
            }
        });
        byte[] body = request.body();
        if (body != null && body.length > 0) {
            String contentType = request.header("Content-Type");
            if (contentType != null && !contentType.toLowerCase(Locale.ROOT).startsWith(FORM)) {
                throw Ec2Errors.of("MalformedQueryString", "The request body must be " + FORM + ", not '"
                        + Ec2Errors.echo(contentType) + "'");
            }
            for (String pair : new String(body, StandardCharsets.UTF_8).split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String name = decode(eq < 0 ? pair : pair.substring(0, eq));
                put(values, name, eq < 0 ? "" : decode(pair.substring(eq + 1)));
            }
        }
        return of(values);
    }

    private static String decode(String text) {
        try {
            return URLDecoder.decode(text, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw Ec2Errors.of("MalformedQueryString", "The request body is not form-encoded: '"
                    + Ec2Errors.echo(text) + "' has an invalid escape");
        }
    }

    private static void put(Map<String, String> values, String name, String value) {
        if (values.putIfAbsent(name, value) != null) {
            throw Ec2Errors.invalidParameterValue("The parameter " + Ec2Errors.echo(name) + " is given more than once");
        }
    }

    /** A view of the parameters below {@code name.} ({@code Filter.1} gives {@code Filter.1.Name}, ...). */
    QueryParameters below(String name) {
        return new QueryParameters(values, used, prefix + name + ".");
    }

    /** The name of this view's prefix without its final dot ({@code Filter.2}): for error messages. */
    String path() {
        return prefix.isEmpty() ? "" : prefix.substring(0, prefix.length() - 1);
    }

    /** The full name of a parameter of this view, as the client sent it: for error messages. */
    String fullName(String name) {
        return prefix + name;
    }

    /** Whether the parameter was sent (even empty). Does not mark it used. */
    boolean has(String name) {
        return values.containsKey(prefix + name);
    }

    /** Whether any parameter is {@code name} or below {@code name.}. Does not mark them used. */
    boolean hasAny(String name) {
        String full = prefix + name;
        for (String key : values.keySet()) {
            if (key.equals(full) || key.startsWith(full + ".")) {
                return true;
            }
        }
        return false;
    }

    Optional<String> string(String name) {
        String full = prefix + name;
        String value = values.get(full);
        if (value != null) {
            used.add(full);
        }
        return Optional.ofNullable(value);
    }

    /** @throws ApiException {@code MissingParameter} naming the parameter when it is absent */
    String required(String name) {
        return string(name).orElseThrow(() -> Ec2Errors.missingParameter(prefix + name));
    }

    /** @throws ApiException {@code InvalidParameterValue} when the value is not {@code true} or {@code false} */
    Optional<Boolean> bool(String name) {
        return string(name).map(value -> {
            if (value.equalsIgnoreCase("true")) {
                return true;
            }
            if (value.equalsIgnoreCase("false")) {
                return false;
            }
            throw Ec2Errors.invalidParameterValue("Value (" + Ec2Errors.echo(value) + ") for parameter "
                    + prefix + name + " is invalid. Expecting true or false.");
        });
    }

    /** The indexes {@code N} of the parameters {@code name.N} and {@code name.N.*}, ascending. */
    List<String> indexes(String name) {
        String start = prefix + name + ".";
        TreeSet<Integer> found = new TreeSet<>();
        for (String key : values.keySet()) {
            if (key.startsWith(start)) {
                String rest = key.substring(start.length());
                int dot = rest.indexOf('.');
                String index = dot < 0 ? rest : rest.substring(0, dot);
                Matcher m = INDEX.matcher(index);
                if (m.matches()) {
                    found.add(Integer.parseInt(index));
                }
            }
        }
        List<String> out = new ArrayList<>(found.size());
        found.forEach(i -> out.add(Integer.toString(i)));
        return out;
    }

    /** The values of the flattened list {@code name.1}, {@code name.2}, ... */
    List<String> list(String name) {
        List<String> out = new ArrayList<>();
        for (String index : indexes(name)) {
            string(name + "." + index).ifPresent(out::add);
        }
        return out;
    }

    /** Views of the members of the flattened list of structures {@code name.1.*}, {@code name.2.*}, ... */
    List<QueryParameters> structures(String name) {
        List<QueryParameters> out = new ArrayList<>();
        for (String index : indexes(name)) {
            out.add(below(name + "." + index));
        }
        return out;
    }

    /** @throws ApiException {@code UnknownParameter} naming the first parameter nothing has read */
    void requireAllUsed() {
        for (String name : values.keySet()) {
            if (!used.contains(name)) {
                throw Ec2Errors.of("UnknownParameter", "The parameter " + Ec2Errors.echo(name) + " is not recognized");
            }
        }
    }
}
