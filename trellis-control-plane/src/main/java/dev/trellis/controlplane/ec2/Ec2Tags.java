package dev.trellis.controlplane.ec2;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * EC2 tags as requests carry them ({@code Tag.N.Key}, {@code Tag.N.Value}) and EC2's rules for them: keys of 1-127
 * characters that do not start with {@code aws:} (any case), values of at most 256 characters, at most
 * {@value #MAX_PER_RESOURCE} tags per resource. Characters XML cannot carry are refused, since every answer is XML.
 */
final class Ec2Tags {

    static final int MAX_PER_RESOURCE = 50;
    static final int MAX_KEY_LENGTH = 127;
    static final int MAX_VALUE_LENGTH = 256;

    /**
     * One tag of a request. {@code value} is empty when the request gave none: CreateTags then sets an empty value,
     * DeleteTags deletes the key whatever its value.
     *
     * @param parameter the key's parameter name as sent ({@code Tag.2.Key}), for error messages
     */
    record Tag(String key, Optional<String> value, String parameter) {
    }

    private Ec2Tags() {
    }

    /** Reads the flattened list {@code name.N.Key} / {@code name.N.Value} of {@code params}, without checking it. */
    static List<Tag> read(QueryParameters params, String name) {
        List<Tag> tags = new ArrayList<>();
        for (QueryParameters tag : params.structures(name)) {
            tags.add(new Tag(tag.required("Key"), tag.string("Value"), tag.fullName("Key")));
        }
        return tags;
    }

    /** Checks each tag against EC2's rules and that no key comes twice. */
    static void validate(List<Tag> tags) {
        Set<String> keys = new HashSet<>();
        for (Tag tag : tags) {
            String key = tag.key();
            int keyLength = key.codePointCount(0, key.length());
            if (keyLength < 1 || keyLength > MAX_KEY_LENGTH) {
                throw invalid(tag.parameter(), key, "Tag keys must be 1-" + MAX_KEY_LENGTH + " characters.");
            }
            if (key.toLowerCase(Locale.ROOT).startsWith("aws:")) {
                throw invalid(tag.parameter(), key, "Tag keys starting with 'aws:' are reserved for AWS.");
            }
            requireXmlText(tag.parameter(), key);
            if (tag.value().isPresent()) {
                String value = tag.value().get();
                String parameter = tag.parameter().substring(0, tag.parameter().length() - "Key".length()) + "Value";
                if (value.codePointCount(0, value.length()) > MAX_VALUE_LENGTH) {
                    throw invalid(parameter, value, "Tag values must be at most " + MAX_VALUE_LENGTH
                            + " characters.");
                }
                requireXmlText(parameter, value);
            }
            if (!keys.add(key)) {
                throw invalid(tag.parameter(), key, "The tag key is given more than once.");
            }
        }
    }

    private static void requireXmlText(String parameter, String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (!XmlWriter.allowed(c)) {
                throw invalid(parameter, text, "Tags cannot contain control characters.");
            }
        }
    }

    private static dev.trellis.controlplane.protocol.ApiException invalid(String parameter, String value,
                                                                        String rule) {
        return Ec2Errors.invalidParameterValue("Value (" + Ec2Errors.echo(value) + ") for parameter " + parameter
                + " is invalid. " + rule);
    }
}
