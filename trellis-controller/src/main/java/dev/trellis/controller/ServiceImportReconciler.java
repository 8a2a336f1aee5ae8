package dev.trellis.controller;

import dev.trellis.controller.policy.ServiceImport;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ServiceImport → {@code status.clusters}: the clusters whose ServiceExports it resolves to. Exports happen in other
 * clusters, which this one cannot watch, so the import is looked at again every {@link #RESYNC_MILLIS}; a change of its
 * status is an event that re-runs the routes using it (HttpRouteReconciler watches ServiceImports), so a route follows
 * exports appearing and disappearing. It creates nothing in Lattice, so it has no finalizer.
 */
@ControllerConfiguration(name = "serviceimport")
public final class ServiceImportReconciler implements Reconciler<ServiceImport> {

    static final long RESYNC_MILLIS = 15_000;

    private static final Logger log = LoggerFactory.getLogger(ServiceImportReconciler.class);

    private final ServiceImportResolver resolver;

    ServiceImportReconciler(ServiceImportResolver resolver) {
        this.resolver = resolver;
    }

    @Override
    public UpdateControl<ServiceImport> reconcile(ServiceImport imported, Context<ServiceImport> context) {
        Set<String> clusters;
        try {
            clusters = resolver.clusters(imported);
        } catch (RuntimeException e) {
            log.warn("ServiceImport {}/{}: cannot resolve its exports: {}", imported.getMetadata().getNamespace(),
                    imported.getMetadata().getName(), e.toString());
            return UpdateControl.<ServiceImport>noUpdate().rescheduleAfter(RESYNC_MILLIS);
        }
        List<String> current = imported.getStatus() == null || imported.getStatus().getClusters() == null ? List.of()
                : imported.getStatus().getClusters().stream().map(ServiceImport.Cluster::getCluster).toList();
        if (Objects.equals(List.copyOf(clusters), current)) {
            return UpdateControl.<ServiceImport>noUpdate().rescheduleAfter(RESYNC_MILLIS);
        }
        ServiceImport.Status status = new ServiceImport.Status();
        status.setClusters(clusters.stream().map(name -> {
            ServiceImport.Cluster cluster = new ServiceImport.Cluster();
            cluster.setCluster(name);
            return cluster;
        }).toList());
        imported.setStatus(status);
        log.info("ServiceImport {}/{}: exported by {}", imported.getMetadata().getNamespace(),
                imported.getMetadata().getName(), clusters);
        return UpdateControl.patchStatus(imported).rescheduleAfter(RESYNC_MILLIS);
    }
}
