package dev.trellis.controller;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClassSpec;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClassStatus;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.time.Clock;
import java.util.List;

/**
 * GatewayClass with our {@code controllerName} → {@code Accepted=True}. Like the AWS controller it adds no finalizer
 * (nothing in Lattice belongs to a class), so deleting a class is never blocked; other controllers' classes are ignored.
 */
public abstract class GatewayClassReconciler<P extends HasMetadata> implements Reconciler<P> {

    private final ControllerConfig config;
    private final Clock clock;
    private final VersionAccess<P, GatewayClassSpec, GatewayClassStatus> access;

    GatewayClassReconciler(ControllerConfig config, Clock clock,
            VersionAccess<P, GatewayClassSpec, GatewayClassStatus> access) {
        this.access = access;
        this.config = config;
        this.clock = clock;
    }

    final GatewayClassSpec spec(P gatewayClass) {
        return access.spec().apply(gatewayClass);
    }

    final GatewayClassStatus status(P gatewayClass) {
        return access.status().apply(gatewayClass);
    }

    final void setStatus(P gatewayClass, GatewayClassStatus status) {
        access.setStatus().accept(gatewayClass, status);
    }

    @Override
    public UpdateControl<P> reconcile(P gatewayClass, Context<P> context) {
        GatewayClassSpec spec = spec(gatewayClass);
        if (spec == null || !config.controllerName().equals(spec.getControllerName())) {
            return UpdateControl.noUpdate();
        }
        GatewayClassStatus previous = status(gatewayClass);
        List<Condition> conditions = Conditions.set(previous == null ? List.of() : previous.getConditions(), "Accepted",
                true, "Accepted", "", gatewayClass.getMetadata().getGeneration(), clock);
        GatewayClassStatus status = previous == null ? new GatewayClassStatus() : previous;
        status.setConditions(conditions);
        setStatus(gatewayClass, status);
        return UpdateControl.patchStatus(gatewayClass);
    }

    /** gateway.networking.k8s.io/v1 GatewayClasses. */
    @ControllerConfiguration(name = "gatewayclass-v1")
    public static final class V1 extends GatewayClassReconciler<io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClass> {
        V1(ControllerConfig config, Clock clock) {
            super(config, clock, new VersionAccess<>(
                    io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClass::getSpec,
                    io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClass::getStatus,
                    io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClass::setStatus));
        }
    }

    /** gateway.networking.k8s.io/v1beta1 GatewayClasses. */
    @ControllerConfiguration(name = "gatewayclass-v1beta1")
    public static final class V1beta1 extends GatewayClassReconciler<io.fabric8.kubernetes.api.model.gatewayapi.v1beta1.GatewayClass> {
        V1beta1(ControllerConfig config, Clock clock) {
            super(config, clock, new VersionAccess<>(
                    io.fabric8.kubernetes.api.model.gatewayapi.v1beta1.GatewayClass::getSpec,
                    io.fabric8.kubernetes.api.model.gatewayapi.v1beta1.GatewayClass::getStatus,
                    io.fabric8.kubernetes.api.model.gatewayapi.v1beta1.GatewayClass::setStatus));
        }
    }
}
