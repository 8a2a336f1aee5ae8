package dev.trellis.controlplane.ec2;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * One {@code Filter.N} of DescribeVpcs: a VPC matches when one of the filter's values matches the named attribute
 * (values may use {@link FilterPattern} wildcards); a VPC passes a request's filters when it matches all of them.
 * The names are EC2's for DescribeVpcs; the IPv6 ones are accepted and match nothing, since Trellis VPCs have no
 * IPv6 CIDR blocks.
 */
final class VpcFilter {

    /** EC2 limits filter values to 255 characters ({@code FilterLimitExceeded}). */
    static final int MAX_VALUE_LENGTH = 255;
    static final int MAX_VALUES = 200;

    private static final Map<String, Function<Vpc, List<String>>> ATTRIBUTES = Map.of(
            "vpc-id", vpc -> List.of(vpc.vpcId()),
            "cidr", vpc -> List.of(vpc.cidrBlock()),
            "cidr-block-association.cidr-block", vpc -> List.of(vpc.cidrBlock()),
            "cidr-block-association.association-id", vpc -> List.of(vpc.cidrAssociationId()),
            "cidr-block-association.state", vpc -> List.of(Vpc.CIDR_STATE),
            "dhcp-options-id", vpc -> List.of(Vpc.DHCP_OPTIONS_ID),
            "is-default", vpc -> List.of(Boolean.toString(Vpc.IS_DEFAULT)),
            "owner-id", vpc -> List.of(vpc.ownerId()),
            "state", vpc -> List.of(Vpc.STATE),
            "tag-key", vpc -> List.copyOf(vpc.tags().keySet()));
    private static final Set<String> IPV6 = Set.of("ipv6-cidr-block-association.ipv6-cidr-block",
            "ipv6-cidr-block-association.ipv6-pool", "ipv6-cidr-block-association.association-id",
            "ipv6-cidr-block-association.state");
    private static final String TAG = "tag:";

    private final Function<Vpc, List<String>> attribute;
    private final List<FilterPattern> patterns;

    private VpcFilter(Function<Vpc, List<String>> attribute, List<FilterPattern> patterns) {
        this.attribute = attribute;
        this.patterns = patterns;
    }

    /**
     * @param parameter the filter's parameter prefix as sent ({@code Filter.2}), for error messages
     * @throws dev.trellis.controlplane.protocol.ApiException {@code InvalidParameterValue} for a name EC2 does not
     *     know for VPCs or a filter without values, {@code FilterLimitExceeded} for too many or too long values
     */
    static VpcFilter of(String name, List<String> values, String parameter) {
        Function<Vpc, List<String>> attribute;
        if (ATTRIBUTES.containsKey(name)) {
            attribute = ATTRIBUTES.get(name);
        } else if (IPV6.contains(name)) {
            attribute = vpc -> List.of();
        } else if (name.startsWith(TAG) && name.length() > TAG.length()) {
            String key = name.substring(TAG.length());
            attribute = vpc -> vpc.tags().containsKey(key) ? List.of(vpc.tags().get(key)) : List.of();
        } else {
            throw Ec2Errors.invalidParameterValue("The filter '" + Ec2Errors.echo(name) + "' is invalid");
        }
        if (values.isEmpty()) {
            throw Ec2Errors.invalidParameterValue("The filter '" + Ec2Errors.echo(name) + "' (" + parameter
                    + ") needs at least one " + parameter + ".Value.N");
        }
        if (values.size() > MAX_VALUES) {
            throw Ec2Errors.of("FilterLimitExceeded", "The maximum number of filter values is " + MAX_VALUES
                    + "; " + parameter + " has " + values.size());
        }
        for (String value : values) {
            if (value.length() > MAX_VALUE_LENGTH) {
                throw Ec2Errors.of("FilterLimitExceeded", "The maximum length for a filter value is "
                        + MAX_VALUE_LENGTH + " characters");
            }
        }
        return new VpcFilter(attribute, values.stream().map(FilterPattern::compile).toList());
    }

    boolean matches(Vpc vpc) {
        for (String value : attribute.apply(vpc)) {
            for (FilterPattern pattern : patterns) {
                if (pattern.matches(value)) {
                    return true;
                }
            }
        }
        return false;
    }
}
