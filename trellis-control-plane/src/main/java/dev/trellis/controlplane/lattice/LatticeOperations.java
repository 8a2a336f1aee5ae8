package dev.trellis.controlplane.lattice;

import dev.trellis.controlplane.protocol.ServiceModel;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The VPC Lattice operations Trellis implements, by model operation name, for {@link LatticeService}. Resource
 * gateways, resource configurations, domain verifications and the service-network resource and endpoint
 * associations are not registered; LatticeService answers them as not supported yet. See
 * {@code docs/api-compatibility.md} for every behavioural choice.
 */
public final class LatticeOperations {

    private LatticeOperations() {
    }

    public static Map<String, LatticeOperation> all() {
        OutputShapes shapes = new OutputShapes(ServiceModel.load(LatticeService.MODEL));
        Map<String, LatticeOperation> ops = new LinkedHashMap<>();
        new ServiceNetworkOperations(shapes).register(ops);
        new ServiceOperations(shapes).register(ops);
        new ListenerOperations(shapes).register(ops);
        new RuleOperations(shapes).register(ops);
        new TargetGroupOperations(shapes).register(ops);
        new Targets(shapes).register(ops);
        new VpcAssociationOperations(shapes).register(ops);
        new ServiceAssociationOperations(shapes).register(ops);
        new PolicyOperations(shapes).register(ops);
        new AccessLogSubscriptionOperations(shapes).register(ops);
        new TagOperations().register(ops);
        return Map.copyOf(ops);
    }
}
