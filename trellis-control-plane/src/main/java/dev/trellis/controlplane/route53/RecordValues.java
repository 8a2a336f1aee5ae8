package dev.trellis.controlplane.route53;

import dev.trellis.controlplane.protocol.Shape;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * Checks the values of a record set by type, with Route 53's messages ({@code Invalid Resource Record: 'FATAL
 * problem: ARRDATAIllegalIPv4Address (Value is not a valid IPv4 address) encountered with '10.0.0''}).
 */
final class RecordValues {

    private RecordValues() {
    }

    /** The problems of {@code values} for a record set of {@code type} named {@code name}; empty when valid. */
    static List<String> problems(String type, DnsName name, List<String> values) {
        List<String> problems = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (String value : values) {
            if (!seen.add(type.equals("CNAME") || type.equals("NS") ? normalizedTarget(value) : value)) {
                problems.add("Duplicate Resource Record: '" + value + "'");
            }
        }
        switch (type) {
            case "A" -> values.stream().filter(v -> !isIpv4(v)).forEach(v -> problems.add(fatal(
                    "ARRDATAIllegalIPv4Address (Value is not a valid IPv4 address)", v)));
            case "AAAA" -> values.stream().filter(v -> !isIpv6(v)).forEach(v -> problems.add(fatal(
                    "AAAARRDATAIllegalIPv6Address (Value is not a valid IPv6 address)", v)));
            case "TXT" -> values.forEach(v -> {
                String problem = txtProblem(v);
                if (problem != null) {
                    problems.add(fatal(problem, v));
                }
            });
            case "CNAME" -> {
                if (values.size() != 1) {
                    problems.add("RRSet of type CNAME with DNS name " + name.apiText() + " has " + values.size()
                            + " values; a CNAME record set has exactly one.");
                }
                values.forEach(v -> targetProblem(v, problems));
            }
            case "NS" -> values.forEach(v -> targetProblem(v, problems));
            case "SOA" -> {
                if (values.size() != 1) {
                    problems.add("RRSet of type SOA with DNS name " + name.apiText() + " has " + values.size()
                            + " values; an SOA record set has exactly one.");
                }
                values.forEach(v -> {
                    String problem = soaProblem(v);
                    if (problem != null) {
                        problems.add(fatal(problem, v));
                    }
                });
            }
            default -> throw new IllegalArgumentException("unchecked record type " + type);
        }
        return problems;
    }

    private static String fatal(String problem, String value) {
        return "Invalid Resource Record: 'FATAL problem: " + problem + " encountered with '" + value + "''";
    }

    private static void targetProblem(String value, List<String> problems) {
        try {
            DnsName target = DnsName.parse(value);
            if (target.isRoot()) {
                problems.add(fatal("DomainNameEmpty (Domain name is empty)", value));
            }
        } catch (DnsName.InvalidNameException e) {
            problems.add(fatal("InvalidDomainName (" + e.getMessage() + ")", value));
        }
    }

    /** A CNAME or NS target as compared: case and trailing dot do not matter. */
    static String normalizedTarget(String value) {
        try {
            return DnsName.parse(value).text();
        } catch (DnsName.InvalidNameException e) {
            return value;
        }
    }

    /** Dotted-quad IPv4: four decimal octets 0-255, no leading zeros (they read as octal to some resolvers). */
    static boolean isIpv4(String value) {
        String[] parts = value.split("\\.", -1);
        if (parts.length != 4) {
            return false;
        }
        for (String part : parts) {
            if (part.isEmpty() || part.length() > 3 || part.length() > 1 && part.charAt(0) == '0') {
                return false;
            }
            for (int i = 0; i < part.length(); i++) {
                if (part.charAt(i) < '0' || part.charAt(i) > '9') {
                    return false;
                }
            }
            if (Integer.parseInt(part) > 255) {
                return false;
            }
        }
        return true;
    }

    /** RFC 4291 text form: eight groups of 1-4 hex digits, one {@code ::} at most, an IPv4 tail allowed. */
    static boolean isIpv6(String value) {
        if (value.isEmpty() || value.length() > 45) {
            return false;
        }
        int doubleColon = value.indexOf("::");
        if (doubleColon >= 0 && value.indexOf("::", doubleColon + 1) >= 0) {
            return false;
        }
        String head = doubleColon >= 0 ? value.substring(0, doubleColon) : value;
        String tail = doubleColon >= 0 ? value.substring(doubleColon + 2) : "";
        List<String> groups = new ArrayList<>();
        if (!head.isEmpty()) {
            groups.addAll(List.of(head.split(":", -1)));
        }
        if (!tail.isEmpty()) {
            groups.addAll(List.of(tail.split(":", -1)));
        }
        int count = 0;
        for (int i = 0; i < groups.size(); i++) {
            String group = groups.get(i);
            if (i == groups.size() - 1 && group.contains(".")) {
                if (!isIpv4(group)) {
                    return false;
                }
                count += 2;
                continue;
            }
            if (group.isEmpty() || group.length() > 4) {
                return false;
            }
            for (int j = 0; j < group.length(); j++) {
                if (!HexFormat.isHexDigit(group.charAt(j))) {
                    return false;
                }
            }
            count++;
        }
        return doubleColon >= 0 ? count <= 7 : count == 8;
    }

    /**
     * A TXT value is one or more character strings, each in double quotes (inside, {@code \"} and {@code \\}
     * escape, {@code \ddd} is an octet) and at most 255 octets; null when valid.
     */
    static String txtProblem(String value) {
        int i = 0;
        int strings = 0;
        while (i < value.length()) {
            char c = value.charAt(i);
            if (c == ' ' || c == '\t') {
                i++;
                continue;
            }
            if (c != '"') {
                return "InvalidCharacterString (Value should be enclosed in quotation marks)";
            }
            int octets = 0;
            i++;
            boolean closed = false;
            while (i < value.length()) {
                char d = value.charAt(i);
                if (d == '"') {
                    closed = true;
                    i++;
                    break;
                }
                if (d == '\\') {
                    if (i + 3 < value.length() && Character.isDigit(value.charAt(i + 1))
                            && Character.isDigit(value.charAt(i + 2)) && Character.isDigit(value.charAt(i + 3))) {
                        i += 4;
                    } else if (i + 1 < value.length()) {
                        i += 2;
                    } else {
                        return "InvalidCharacterString (Value should be enclosed in quotation marks)";
                    }
                } else {
                    i++;
                }
                octets++;
            }
            if (!closed) {
                return "InvalidCharacterString (Value should be enclosed in quotation marks)";
            }
            if (octets > 255) {
                return "CharacterStringTooLong (Value is too long)";
            }
            strings++;
        }
        return strings == 0 ? "InvalidCharacterString (Value should be enclosed in quotation marks)" : null;
    }

    /** {@code mname rname serial refresh retry expire minimum}; null when valid. */
    static String soaProblem(String value) {
        String[] fields = value.trim().split("\\s+");
        if (fields.length != 7) {
            return "SOARDATAFieldCount (An SOA value has 7 fields: mname rname serial refresh retry expire minimum)";
        }
        for (int i = 0; i < 2; i++) {
            try {
                DnsName.parse(fields[i]);
            } catch (DnsName.InvalidNameException e) {
                return "InvalidDomainName (" + e.getMessage() + ")";
            }
        }
        for (int i = 2; i < 7; i++) {
            try {
                long n = Shape.parseWhole(fields[i]);
                if (n < 0 || n > 4294967295L) {
                    return "SOARDATAIllegalNumber (" + fields[i] + " is not an unsigned 32-bit number)";
                }
            } catch (NumberFormatException e) {
                return "SOARDATAIllegalNumber (" + fields[i] + " is not an unsigned 32-bit number)";
            }
        }
        return null;
    }
}
