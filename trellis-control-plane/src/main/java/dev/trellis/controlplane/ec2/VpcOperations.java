package dev.trellis.controlplane.ec2;

import dev.trellis.controlplane.protocol.Shape;
import dev.trellis.controlplane.store.StoredResource;
import dev.trellis.model.ResourceIds;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * CreateVpc, DescribeVpcs and DeleteVpc. A VPC is one stored resource of kind {@link Ec2Vpcs#STORE_KIND} whose
 * parent is its account (DESIGN.md); several VPCs may have the same CIDR block, as on AWS.
 */
final class VpcOperations {

    /** EC2's netmask limits for a VPC's IPv4 block. */
    static final int MIN_PREFIX = 16;
    static final int MAX_PREFIX = 28;
    static final int MIN_RESULTS = 5;
    static final int MAX_RESULTS = 1000;
    private static final int STORE_CHUNK = 200;
    private static final String TOKEN_PREFIX = "DescribeVpcs:";
    /** CreateVpc parameters of EC2 that Trellis does not implement (IPv6, IPAM, encryption control). */
    private static final List<String> UNSUPPORTED_CREATE_PARAMETERS = List.of("Ipv6Pool", "Ipv6CidrBlock",
            "Ipv4IpamPoolId", "Ipv4NetmaskLength", "Ipv6IpamPoolId", "Ipv6NetmaskLength",
            "Ipv6CidrBlockNetworkBorderGroup", "VpcEncryptionControl");

    private VpcOperations() {
    }

    static List<Ec2Action> actions() {
        return List.of(
                new Ec2Action("CreateVpc", false, VpcOperations::createVpc),
                new Ec2Action("DescribeVpcs", true, VpcOperations::describeVpcs),
                new Ec2Action("DeleteVpc", false, VpcOperations::deleteVpc));
    }

    // CreateVpc

    static Ec2Call createVpc(QueryParameters params) {
        for (String name : UNSUPPORTED_CREATE_PARAMETERS) {
            if (params.hasAny(name)) {
                throw unsupported(name, "IPv4 CIDR blocks given as CidrBlock only");
            }
        }
        boolean dryRun = params.bool("DryRun").orElse(false);
        if (params.bool("AmazonProvidedIpv6CidrBlock").orElse(false)) {
            throw unsupported("AmazonProvidedIpv6CidrBlock", "no IPv6 CIDR blocks");
        }
        Optional<String> tenancy = params.string("InstanceTenancy");
        Optional<String> cidrText = params.string("CidrBlock");
        List<Ec2Tags.Tag> tags = new ArrayList<>();
        for (QueryParameters spec : params.structures("TagSpecification")) {
            String type = spec.required("ResourceType");
            if (!type.equals("vpc")) {
                throw Ec2Errors.invalidParameterValue("'" + Ec2Errors.echo(type) + "' is not a valid taggable"
                        + " resource type for this operation (" + spec.fullName("ResourceType") + ")");
            }
            tags.addAll(Ec2Tags.read(spec, "Tag"));
        }
        params.requireAllUsed();

        if (tenancy.isPresent() && !tenancy.get().equals(Vpc.INSTANCE_TENANCY)) {
            if (tenancy.get().equals("dedicated") || tenancy.get().equals("host")) {
                throw unsupported("InstanceTenancy=" + tenancy.get(), "default tenancy only");
            }
            throw Ec2Errors.invalidParameterValue("Value (" + Ec2Errors.echo(tenancy.get()) + ") for parameter"
                    + " instanceTenancy is invalid. Expecting default, dedicated or host.");
        }
        if (cidrText.isEmpty()) {
            throw Ec2Errors.of("MissingParameter", "Either 'cidrBlock' or 'ipv4IpamPoolId' should be provided.");
        }
        Ipv4Cidr cidr = Ipv4Cidr.parse(cidrText.get()).orElseThrow(() -> Ec2Errors.invalidParameterValue(
                "Value (" + Ec2Errors.echo(cidrText.get()) + ") for parameter cidrBlock is invalid. This is not a"
                        + " valid CIDR block."));
        if (cidr.prefixLength() < MIN_PREFIX || cidr.prefixLength() > MAX_PREFIX) {
            throw Ec2Errors.of("InvalidVpc.Range", "The CIDR '" + Ec2Errors.echo(cidrText.get()) + "' is invalid."
                    + " A VPC's netmask must be between /" + MIN_PREFIX + " and /" + MAX_PREFIX + ".");
        }
        Ec2Tags.validate(tags);
        if (tags.size() > Ec2Tags.MAX_PER_RESOURCE) {
            throw tagLimit("the new VPC", tags.size());
        }

        return (ctx, out) -> {
            String account = ctx.accountId();
            String id = ResourceIds.newId("vpc");
            String arn = Ec2Vpcs.arn(ctx.config(), account, id);
            ctx.authorize("CreateVpc", arn);
            if (!tags.isEmpty()) {
                // As EC2 does: tagging on creation also needs ec2:CreateTags on the new VPC.
                ctx.authorize("CreateTags", arn);
            }
            if (dryRun) {
                throw Ec2Errors.dryRun();
            }
            Map<String, String> tagMap = new LinkedHashMap<>();
            tags.forEach(tag -> tagMap.put(tag.key(), tag.value().orElse("")));
            String now = Instant.now(ctx.clock()).truncatedTo(ChronoUnit.MILLIS).toString();
            Vpc vpc = new Vpc(id, account, cidr.toString(), ResourceIds.newId("vpc-cidr-assoc"), now, tagMap);
            ctx.tx().insert(StoredResource.create(Ec2Vpcs.STORE_KIND, id, arn, account, account, null,
                    vpc.toDocument()));
            out.start("vpc");
            vpc.writeMembers(out);
            out.end();
        };
    }

    // DescribeVpcs

    static Ec2Call describeVpcs(QueryParameters params) {
        boolean dryRun = params.bool("DryRun").orElse(false);
        List<String> ids = params.list("VpcId");
        record RawFilter(String name, List<String> values, String parameter) {
        }
        List<RawFilter> rawFilters = new ArrayList<>();
        for (QueryParameters filter : params.structures("Filter")) {
            rawFilters.add(new RawFilter(filter.required("Name"), filter.list("Value"), filter.path()));
        }
        Optional<String> maxText = params.string("MaxResults");
        Optional<String> token = params.string("NextToken");
        params.requireAllUsed();

        for (String id : ids) {
            if (!Ec2Vpcs.isWellFormedId(id)) {
                throw Ec2Errors.vpcMalformed(id);
            }
        }
        List<VpcFilter> filters = rawFilters.stream().map(f -> VpcFilter.of(f.name(), f.values(), f.parameter()))
                .toList();
        int max = maxText.map(VpcOperations::maxResults).orElse(Integer.MAX_VALUE);
        long after = token.map(VpcOperations::afterSeq).orElse(-1L);

        return (ctx, out) -> {
            ctx.authorize("DescribeVpcs", "*");
            List<StoredResource> named = ids.isEmpty() ? List.of() : requireVpcs(ctx, ids);
            if (dryRun) {
                throw Ec2Errors.dryRun();
            }
            Page page = new Page(max, filters);
            if (!ids.isEmpty()) {
                named.sort(Comparator.comparingLong(StoredResource::seq));
                for (StoredResource vpc : named) {
                    if (vpc.seq() > after && !page.offer(vpc)) {
                        break;
                    }
                }
            } else {
                long cursor = after;
                boolean open = true;
                while (open) {
                    List<StoredResource> chunk = ctx.tx().list(Ec2Vpcs.STORE_KIND, ctx.accountId(), cursor,
                            STORE_CHUNK);
                    for (StoredResource vpc : chunk) {
                        if (!page.offer(vpc)) {
                            open = false;
                            break;
                        }
                    }
                    if (chunk.size() < STORE_CHUNK) {
                        open = false;
                    } else {
                        cursor = chunk.get(chunk.size() - 1).seq();
                    }
                }
            }
            out.start("vpcSet");
            for (Vpc vpc : page.vpcs) {
                out.start("item");
                vpc.writeMembers(out);
                out.end();
            }
            out.end();
            if (page.more) {
                out.element("nextToken", token(page.lastSeq));
            }
        };
    }

    /** Collects the VPCs that pass the filters, up to the page size, and notes whether more follow. */
    private static final class Page {
        private final int max;
        private final List<VpcFilter> filters;
        private final List<Vpc> vpcs = new ArrayList<>();
        private long lastSeq;
        private boolean more;

        Page(int max, List<VpcFilter> filters) {
            this.max = max;
            this.filters = filters;
        }

        /** Takes {@code stored} if it passes; false once the page is full and another VPC passed. */
        boolean offer(StoredResource stored) {
            Vpc vpc = Vpc.fromDocument(stored.document());
            for (VpcFilter filter : filters) {
                if (!filter.matches(vpc)) {
                    return true;
                }
            }
            if (vpcs.size() == max) {
                more = true;
                return false;
            }
            vpcs.add(vpc);
            lastSeq = stored.seq();
            return true;
        }
    }

    private static int maxResults(String text) {
        long value;
        try {
            value = Shape.parseWhole(text.trim());
        } catch (NumberFormatException e) {
            throw Ec2Errors.invalidParameterValue("Value ( " + Ec2Errors.echo(text) + " ) for parameter maxResults"
                    + " is invalid. Expecting an integer from " + MIN_RESULTS + " to " + MAX_RESULTS + ".");
        }
        if (value < MIN_RESULTS || value > MAX_RESULTS) {
            throw Ec2Errors.invalidParameterValue("Value ( " + value + " ) for parameter maxResults is invalid."
                    + " Expecting a value from " + MIN_RESULTS + " to " + MAX_RESULTS + ".");
        }
        return (int) value;
    }

    /** Tokens are base64url of {@code DescribeVpcs:<sequence of the last VPC returned>}. */
    static String token(long lastSeq) {
        return Base64.getUrlEncoder().withoutPadding()
                .encodeToString((TOKEN_PREFIX + lastSeq).getBytes(StandardCharsets.UTF_8));
    }

    private static long afterSeq(String token) {
        try {
            String text = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
            if (text.startsWith(TOKEN_PREFIX)) {
                long seq = Long.parseLong(text.substring(TOKEN_PREFIX.length()));
                if (seq >= 0) {
                    return seq;
                }
            }
        } catch (IllegalArgumentException e) {
            // not base64 or not a number: reported below
        }
        throw Ec2Errors.invalidParameterValue("Value ( " + Ec2Errors.echo(token) + " ) for parameter NextToken is"
                + " invalid. The token is invalid.");
    }

    // DeleteVpc

    static Ec2Call deleteVpc(QueryParameters params) {
        boolean dryRun = params.bool("DryRun").orElse(false);
        String id = params.required("VpcId");
        params.requireAllUsed();
        if (!Ec2Vpcs.isWellFormedId(id)) {
            throw Ec2Errors.vpcMalformed(id);
        }
        return (ctx, out) -> {
            StoredResource vpc = requireVpcs(ctx, List.of(id)).get(0);
            ctx.authorize("DeleteVpc", vpc.arn());
            if (dryRun) {
                throw Ec2Errors.dryRun();
            }
            List<String> dependents = ctx.dependents().of(ctx.tx(), ctx.accountId(), id);
            if (!dependents.isEmpty()) {
                throw Ec2Errors.of("DependencyViolation", "The vpc '" + id + "' has dependencies and cannot be"
                        + " deleted. It is used by " + String.join(", ", dependents) + ".");
            }
            ctx.tx().delete(Ec2Vpcs.STORE_KIND, id);
            out.element("return", true);
        };
    }

    // shared

    /**
     * The caller's VPCs with these (well-formed) ids, each once, in the order given.
     *
     * @throws dev.trellis.controlplane.protocol.ApiException {@code InvalidVpcID.NotFound} naming every id not found
     */
    static List<StoredResource> requireVpcs(Ec2Context ctx, List<String> ids) {
        List<StoredResource> found = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (String id : new LinkedHashSet<>(ids)) {
            Ec2Vpcs.find(ctx.tx(), ctx.accountId(), id).ifPresentOrElse(found::add, () -> missing.add(id));
        }
        if (!missing.isEmpty()) {
            throw Ec2Errors.vpcNotFound(missing);
        }
        return found;
    }

    static dev.trellis.controlplane.protocol.ApiException tagLimit(String resource, int count) {
        return Ec2Errors.of("TagLimitExceeded", "The maximum number of tags for a resource is "
                + Ec2Tags.MAX_PER_RESOURCE + "; " + resource + " would have " + count);
    }

    private static dev.trellis.controlplane.protocol.ApiException unsupported(String parameter, String supported) {
        return Ec2Errors.of("UnsupportedOperation", "Trellis does not support " + parameter + " on CreateVpc ("
                + supported + "; docs/api-compatibility.md)");
    }
}
