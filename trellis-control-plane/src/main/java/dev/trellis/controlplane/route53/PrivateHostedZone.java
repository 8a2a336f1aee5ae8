package dev.trellis.controlplane.route53;

import java.util.List;
import java.util.Objects;

/**
 * A private hosted zone as a VPC's DNS sees it: its id, its name (fully qualified, lower case, trailing dot, the
 * same form as {@link RecordSet#name()}), the VPCs it is associated with, and its record sets in the order
 * ListResourceRecordSets gives them.
 */
public record PrivateHostedZone(String id, String name, List<String> vpcIds, List<RecordSet> recordSets) {

    public PrivateHostedZone {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        vpcIds = List.copyOf(vpcIds);
        recordSets = List.copyOf(recordSets);
    }

    @Override
    public String toString() {
        return id + " " + name + " (" + recordSets.size() + " record sets, VPCs " + vpcIds + ")";
    }
}
