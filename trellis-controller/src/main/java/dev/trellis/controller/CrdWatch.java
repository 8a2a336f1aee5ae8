package dev.trellis.controller;

import dev.trellis.controller.policy.AccessLogPolicy;
import dev.trellis.controller.policy.IAMAuthPolicy;
import dev.trellis.controller.policy.ServiceExport;
import dev.trellis.controller.policy.ServiceImport;
import dev.trellis.controller.policy.TargetGroupPolicy;
import dev.trellis.controller.policy.VpcAssociationPolicy;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the CustomResourceDefinitions of the kinds the controller serves only when they are installed (GRPCRoute,
 * TLSRoute, the AWS controller's policy CRDs, ServiceExport/ServiceImport) and tells its owner when the set of usable
 * ones differs from the set the running operator was built with, so {@link TrellisController} can rebuild the operator
 * in-process: JOSDK 5.2.3 refuses {@code Operator.register} after {@code start()} ("Operator already started").
 *
 * <p>A CRD is usable when it serves the version the controller reads (any version for the policy kinds) and its
 * {@code Established} condition is True: before that, the API server answers 404 for its objects and an informer on
 * it would keep the operator from starting. Changes are acted on after a quiet period, so a kustomization applying
 * several CRDs at once costs one restart. The comparison and the restart run on this class's own thread, never on an
 * informer's.
 */
final class CrdWatch implements AutoCloseable {

    /** How long CRD changes must stop before the operator is rebuilt. */
    static final Duration QUIET = Duration.ofSeconds(2);
    /** When a rebuild failed, how long before the next try. */
    static final Duration RETRY = Duration.ofSeconds(10);

    private static final Logger log = LoggerFactory.getLogger(CrdWatch.class);

    /** An optional kind: its CRD's name and the version read, or null when any served version will do. */
    record OptionalKind(String crd, String version) {
        @Override
        public String toString() {
            return version == null ? crd : crd + " " + version;
        }
    }

    private final KubernetesClient client;
    private final List<OptionalKind> kinds;
    private final Consumer<Set<OptionalKind>> rebuild;
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "trellis-crd-watch");
        t.setDaemon(true);
        return t;
    });
    private SharedIndexInformer<CustomResourceDefinition> informer;
    /** The usable kinds the running operator was built with; touched on {@link #thread} only after start. */
    private volatile Set<OptionalKind> built;
    private ScheduledFuture<?> pending;

    /**
     * @param rebuild called on this class's thread with the usable kinds when they differ from those of the last
     *                build; it throws if the rebuild failed (tried again after {@link #RETRY})
     */
    CrdWatch(KubernetesClient client, ControllerConfig config, Consumer<Set<OptionalKind>> rebuild) {
        this.client = client;
        this.kinds = optionalKinds(config);
        this.rebuild = rebuild;
    }

    /** The kinds whose reconcilers {@link TrellisController} registers only when their CRD is there. */
    static List<OptionalKind> optionalKinds(ControllerConfig config) {
        List<OptionalKind> kinds = new ArrayList<>();
        if (config.watches("v1")) {
            kinds.add(new OptionalKind("grpcroutes." + GatewayApiObjects.GROUP, "v1"));
        }
        if (config.watches("v1beta1")) {
            kinds.add(new OptionalKind("grpcroutes." + GatewayApiObjects.GROUP, "v1alpha2"));
        }
        kinds.add(new OptionalKind("tlsroutes." + GatewayApiObjects.GROUP, "v1alpha2"));
        for (Class<? extends HasMetadata> type : List.of(IAMAuthPolicy.class, TargetGroupPolicy.class,
                VpcAssociationPolicy.class, AccessLogPolicy.class, ServiceExport.class, ServiceImport.class)) {
            kinds.add(new OptionalKind(HasMetadata.getPlural(type) + "." + HasMetadata.getGroup(type), null));
        }
        return List.copyOf(kinds);
    }

    /**
     * Starts the CRD informer and waits for its first list. Without permission to list and watch CRDs (a ClusterRole
     * older than this class) it logs that CRDs installed later need a restart and returns false.
     */
    boolean start(Duration timeout) {
        informer = client.apiextensions().v1().customResourceDefinitions().runnableInformer(0);
        informer.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(CustomResourceDefinition crd) {
                changed(crd);
            }

            @Override
            public void onUpdate(CustomResourceDefinition old, CustomResourceDefinition crd) {
                changed(crd);
            }

            @Override
            public void onDelete(CustomResourceDefinition crd, boolean finalStateUnknown) {
                changed(crd);
            }
        });
        try {
            informer.start().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (Exception e) {
            informer.stop();
            informer = null;
            log.warn("cannot watch CustomResourceDefinitions ({}): CRDs installed after start need a controller "
                    + "restart (grant list and watch on customresourcedefinitions, deploy/kubernetes/rbac.yaml)",
                    e.getCause() == null ? e.toString() : e.getCause().toString());
            return false;
        }
    }

    /** Whether the CRD informer runs (it does not without permission to list and watch CRDs). */
    boolean watching() {
        return informer != null;
    }

    /** The optional kinds usable now, as the informer's cache has them (all unusable before {@link #start}). */
    Set<OptionalKind> usable() {
        Set<OptionalKind> usable = new LinkedHashSet<>();
        if (informer == null) {
            return usable;
        }
        for (OptionalKind kind : kinds) {
            CustomResourceDefinition crd = informer.getStore().getByKey(kind.crd());
            if (crd != null && usable(crd, kind.version())) {
                usable.add(kind);
            }
        }
        return usable;
    }

    /** What the operator was just built with: later differences trigger the next rebuild. */
    void built(Set<OptionalKind> usable) {
        this.built = Set.copyOf(usable);
    }

    static boolean usable(CustomResourceDefinition crd, String version) {
        boolean served = crd.getSpec() != null && crd.getSpec().getVersions() != null
                && crd.getSpec().getVersions().stream().anyMatch(v -> Boolean.TRUE.equals(v.getServed())
                        && (version == null || version.equals(v.getName())));
        List<CustomResourceDefinitionCondition> conditions = crd.getStatus() == null ? null
                : crd.getStatus().getConditions();
        boolean established = conditions != null && conditions.stream()
                .anyMatch(c -> "Established".equals(c.getType()) && "True".equals(c.getStatus()));
        // a CRD being deleted still counts: the API server deletes its objects first, and ours carry our finalizers,
        // which only a running reconciler removes; the kind is dropped once the CRD is gone
        return served && established;
    }

    private void changed(CustomResourceDefinition crd) {
        String name = crd.getMetadata().getName();
        if (kinds.stream().noneMatch(k -> k.crd().equals(name))) {
            return;
        }
        schedule(QUIET);
    }

    private synchronized void schedule(Duration delay) {
        if (pending == null || pending.isDone()) {
            pending = thread.schedule(this::check, delay.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void check() {
        synchronized (this) {
            pending = null;
        }
        Set<OptionalKind> now = usable();
        Set<OptionalKind> was = built;
        if (was == null || now.equals(was)) {
            return;
        }
        Set<OptionalKind> added = new LinkedHashSet<>(now);
        added.removeAll(was);
        Set<OptionalKind> removed = new LinkedHashSet<>(was);
        removed.removeAll(now);
        log.info("optional CRDs changed (now usable: {}; no longer: {}): rebuilding the operator", added, removed);
        try {
            rebuild.accept(now);
            built = Set.copyOf(now);
        } catch (RuntimeException e) {
            log.error("rebuilding the operator for the changed CRDs failed; trying again in {} s", RETRY.toSeconds(), e);
            schedule(RETRY);
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
        if (informer != null) {
            informer.stop();
        }
    }
}
