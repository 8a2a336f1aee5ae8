package dev.trellis.controlplane.ec2;

import dev.trellis.controlplane.store.StoredResource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * CreateTags and DeleteTags, for VPCs (the only taggable resources Trellis's EC2 subset has). Each call is one
 * transaction: when one resource is missing or refused, no resource changes.
 */
final class TagOperations {

    /** EC2's limit on resource ids per call. */
    static final int MAX_RESOURCES = 1000;

    private TagOperations() {
    }

    static List<Ec2Action> actions() {
        return List.of(
                new Ec2Action("CreateTags", false, TagOperations::createTags),
                new Ec2Action("DeleteTags", false, TagOperations::deleteTags));
    }

    static Ec2Call createTags(QueryParameters params) {
        boolean dryRun = params.bool("DryRun").orElse(false);
        List<String> ids = params.list("ResourceId");
        List<Ec2Tags.Tag> tags = Ec2Tags.read(params, "Tag");
        params.requireAllUsed();
        requireResourceIds(ids);
        if (tags.isEmpty()) {
            throw Ec2Errors.missingParameter("Tag");
        }
        Ec2Tags.validate(tags);
        return (ctx, out) -> {
            List<StoredResource> vpcs = VpcOperations.requireVpcs(ctx, ids);
            vpcs.forEach(vpc -> ctx.authorize("CreateTags", vpc.arn()));
            if (dryRun) {
                throw Ec2Errors.dryRun();
            }
            for (StoredResource stored : vpcs) {
                Vpc vpc = Vpc.fromDocument(stored.document());
                Map<String, String> merged = new LinkedHashMap<>(vpc.tags());
                tags.forEach(tag -> merged.put(tag.key(), tag.value().orElse("")));
                if (merged.size() > Ec2Tags.MAX_PER_RESOURCE) {
                    throw VpcOperations.tagLimit(vpc.vpcId(), merged.size());
                }
                ctx.tx().update(stored.withDocument(vpc.withTags(merged).toDocument()));
            }
            out.element("return", true);
        };
    }

    /**
     * Deletes the tags named by key, only where the value matches when a value is given (an empty value matches
     * only an empty value); without any {@code Tag.N}, every tag of the resources.
     */
    static Ec2Call deleteTags(QueryParameters params) {
        boolean dryRun = params.bool("DryRun").orElse(false);
        List<String> ids = params.list("ResourceId");
        List<Ec2Tags.Tag> tags = Ec2Tags.read(params, "Tag");
        params.requireAllUsed();
        requireResourceIds(ids);
        Ec2Tags.validate(tags);
        return (ctx, out) -> {
            List<StoredResource> vpcs = VpcOperations.requireVpcs(ctx, ids);
            vpcs.forEach(vpc -> ctx.authorize("DeleteTags", vpc.arn()));
            if (dryRun) {
                throw Ec2Errors.dryRun();
            }
            for (StoredResource stored : vpcs) {
                Vpc vpc = Vpc.fromDocument(stored.document());
                Map<String, String> kept = new LinkedHashMap<>(vpc.tags());
                if (tags.isEmpty()) {
                    kept.clear();
                }
                for (Ec2Tags.Tag tag : tags) {
                    if (tag.value().isEmpty() || tag.value().get().equals(kept.get(tag.key()))) {
                        kept.remove(tag.key());
                    }
                }
                if (!kept.equals(vpc.tags())) {
                    ctx.tx().update(stored.withDocument(vpc.withTags(kept).toDocument()));
                }
            }
            out.element("return", true);
        };
    }

    /**
     * Checks the {@code ResourceId.N} list: present, not too long, and only VPC ids (well-formed ones; other EC2
     * resources are not served).
     */
    private static void requireResourceIds(List<String> ids) {
        if (ids.isEmpty()) {
            throw Ec2Errors.missingParameter("ResourceId");
        }
        if (ids.size() > MAX_RESOURCES) {
            throw Ec2Errors.invalidParameterValue("A request can name at most " + MAX_RESOURCES + " resources, not "
                    + ids.size());
        }
        for (String id : ids) {
            if (id.startsWith("vpc-")) {
                if (!Ec2Vpcs.isWellFormedId(id)) {
                    throw Ec2Errors.vpcMalformed(id);
                }
            } else {
                throw Ec2Errors.of("InvalidID", "The ID '" + Ec2Errors.echo(id) + "' is not valid. Trellis tags"
                        + " VPCs only.");
            }
        }
    }
}
