package dev.trellis.controller;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import java.time.Clock;
import software.amazon.awssdk.services.vpclattice.VpcLatticeClient;

/**
 * Registers the reconcilers of the AWS controller's policy CRDs ({@code application-networking.k8s.aws/v1alpha1}) and
 * ServiceExport/ServiceImport with the operator — one call from {@link TrellisController}, so the policy work stays in
 * its own files.
 */
final class PolicyControllers {

    private PolicyControllers() {
    }

    static void register(Operator operator, KubernetesClient kubernetes, VpcLatticeClient lattice, ControllerConfig config,
            GatewayApiObjects objects, ServiceNetworkSynchronizer networks, RouteModelBuilder builder, LatticeServiceDeployer deployer,
            Clock clock) {
        PolicyTargets targets = new PolicyTargets(kubernetes, objects, config, networks);
        TargetGroupPolicies targetGroupPolicies = new TargetGroupPolicies(kubernetes);
        deployer.useTargetGroupPolicies(targetGroupPolicies);
        networks.useVpcAssociationPolicies(gateway -> VpcAssociationPolicyReconciler.declined(kubernetes, gateway));
        operator.register(new IamAuthPolicyReconciler(targets, lattice, clock),
                o -> o.withName("iamauthpolicy").withFinalizer(IamAuthPolicyReconciler.FINALIZER));
        operator.register(new TargetGroupPolicyReconciler(targets, lattice, clock),
                o -> o.withName("targetgrouppolicy").withFinalizer(TargetGroupPolicyReconciler.FINALIZER));
        operator.register(new VpcAssociationPolicyReconciler(targets, lattice, clock),
                o -> o.withName("vpcassociationpolicy").withFinalizer(VpcAssociationPolicyReconciler.FINALIZER));
        operator.register(new AccessLogPolicyReconciler(targets, lattice, clock),
                o -> o.withName("accesslogpolicy").withFinalizer(AccessLogPolicyReconciler.FINALIZER));
        operator.register(new ServiceExportReconciler(kubernetes, lattice, config, builder, deployer, targetGroupPolicies,
                clock), o -> o.withName("serviceexport").withFinalizer(ServiceExportReconciler.FINALIZER)
                // the federation, port and service-name annotations change no generation but change the export
                .withGenerationAware(false));
        ServiceImportResolver imports = new ServiceImportResolver(kubernetes, lattice);
        builder.useServiceImports(imports);
        operator.register(new ServiceImportReconciler(imports), o -> o.withName("serviceimport"));
    }
}
