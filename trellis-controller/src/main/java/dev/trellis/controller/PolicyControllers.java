package dev.trellis.controller;

import dev.trellis.controller.policy.AccessLogPolicy;
import dev.trellis.controller.policy.IAMAuthPolicy;
import dev.trellis.controller.policy.ServiceExport;
import dev.trellis.controller.policy.ServiceImport;
import dev.trellis.controller.policy.TargetGroupPolicy;
import dev.trellis.controller.policy.VpcAssociationPolicy;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.config.ControllerConfigurationOverrider;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import java.time.Clock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.vpclattice.VpcLatticeClient;

/**
 * Registers the reconcilers of the AWS controller's policy CRDs ({@code application-networking.k8s.aws/v1alpha1}) and
 * ServiceExport/ServiceImport with the operator — one call from {@link TrellisController}, so the policy work stays in
 * its own files. As the AWS controller does with its optional CRDs, a kind whose CRD is not installed is skipped (with
 * a log line) instead of stopping the start: an informer on a missing CRD would never sync.
 */
final class PolicyControllers {

    private static final Logger log = LoggerFactory.getLogger(PolicyControllers.class);

    private PolicyControllers() {
    }

    /** How {@link TrellisController} registers a reconciler (name, resync, then the caller's overrides). */
    interface Registrar {
        <P extends HasMetadata> void register(Reconciler<P> reconciler, String name,
                Consumer<ControllerConfigurationOverrider<P>> more);
    }

    static void register(Registrar operator, KubernetesClient kubernetes, VpcLatticeClient lattice, ControllerConfig config,
            GatewayApiObjects objects, ServiceNetworkSynchronizer networks, RouteModelBuilder builder,
            LatticeServiceDeployer deployer, ControllerEvents events, Clock clock) {
        PolicyTargets targets = new PolicyTargets(kubernetes, objects, config, networks);
        TargetGroupPolicies targetGroupPolicies = new TargetGroupPolicies(kubernetes);
        if (installed(kubernetes, IAMAuthPolicy.class)) {
            operator.register(new IamAuthPolicyReconciler(targets, lattice, events, clock), "iamauthpolicy",
                    o -> o.withFinalizer(IamAuthPolicyReconciler.FINALIZER));
        }
        if (installed(kubernetes, TargetGroupPolicy.class)) {
            deployer.useTargetGroupPolicies(targetGroupPolicies);
            builder.useTargetGroupPolicies(targetGroupPolicies);
            operator.register(new TargetGroupPolicyReconciler(targets, lattice, events, clock), "targetgrouppolicy",
                    o -> o.withFinalizer(TargetGroupPolicyReconciler.FINALIZER));
        }
        if (installed(kubernetes, VpcAssociationPolicy.class)) {
            networks.useVpcAssociationPolicies(gateway -> VpcAssociationPolicyReconciler.declined(kubernetes, gateway));
            operator.register(new VpcAssociationPolicyReconciler(targets, lattice, events, clock), "vpcassociationpolicy",
                    o -> o.withFinalizer(VpcAssociationPolicyReconciler.FINALIZER));
        }
        if (installed(kubernetes, AccessLogPolicy.class)) {
            operator.register(new AccessLogPolicyReconciler(targets, lattice, events, clock), "accesslogpolicy",
                    o -> o.withFinalizer(AccessLogPolicyReconciler.FINALIZER));
        }
        if (installed(kubernetes, ServiceExport.class)) {
            TargetGroupPolicies exportPolicies = installed(kubernetes, TargetGroupPolicy.class) ? targetGroupPolicies : null;
            operator.register(new ServiceExportReconciler(kubernetes, lattice, config, builder, deployer, exportPolicies,
                    events, clock), "serviceexport", o -> o.withFinalizer(ServiceExportReconciler.FINALIZER)
                    // the federation, port and service-name annotations change no generation but change the export
                    .withGenerationAware(false));
        }
        if (installed(kubernetes, ServiceImport.class)) {
            ServiceImportResolver imports = new ServiceImportResolver(kubernetes, lattice);
            builder.useServiceImports(imports);
            operator.register(new ServiceImportReconciler(imports), "serviceimport", null);
        }
    }

    /**
     * Whether the CRD of this kind is installed. A controller not allowed to read CRDs (no RBAC for
     * customresourcedefinitions) assumes it is, as the manifests in deploy/kubernetes/ install them together.
     */
    static boolean installed(KubernetesClient kubernetes, Class<? extends HasMetadata> type) {
        String name = HasMetadata.getPlural(type) + "." + HasMetadata.getGroup(type);
        try {
            boolean present = kubernetes.apiextensions().v1().customResourceDefinitions().withName(name).get() != null;
            if (!present) {
                log.info("CRD {} is not installed: {} objects are ignored until it is (apply deploy/kubernetes/crds/)",
                        name, HasMetadata.getKind(type));
            }
            return present;
        } catch (KubernetesClientException e) {
            log.warn("cannot read CRD {} ({}); assuming it is installed", name, e.getCode());
            return true;
        }
    }
}
