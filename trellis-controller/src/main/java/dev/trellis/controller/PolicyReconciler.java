package dev.trellis.controller;

import dev.trellis.controller.policy.AppliedTargets;
import dev.trellis.controller.policy.PolicyStatus;
import dev.trellis.controller.policy.TargetRef;
import dev.trellis.controller.policy.TargetedSpec;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.CustomResource;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.vpclattice.model.ResourceNotFoundException;
import software.amazon.awssdk.services.vpclattice.model.ValidationException;

/**
 * What the AWS controller's policy CRDs share (GEP-713 policy attachment): resolve {@code targetRef}, refuse a second
 * policy on the same target, apply, and report one {@code Accepted} condition with the reasons Accepted, Invalid,
 * TargetNotFound, Conflicted or Pending. Deleting a policy undoes it ({@link #remove}) unless another policy of the kind
 * now takes over the target. Subclasses say which kinds they target and what applying means in Lattice.
 *
 * <p>A policy whose {@code targetRef} is edited moves: every target it was applied to is written to the policy's
 * {@link #APPLIED_TO_ANNOTATION} <em>before</em> Lattice is changed, so a controller that stops between the two steps
 * (or a new controller instance) still knows where to undo it. Each reconcile applies the policy to its current
 * target, then undoes it on recorded targets that are no longer its {@code targetRef} (also when that object is gone).
 */
abstract class PolicyReconciler<P extends CustomResource<? extends TargetedSpec, PolicyStatus>>
        implements Reconciler<P>, Cleaner<P> {

    /** How often a policy waiting for its target's Lattice resource, or losing a conflict, is looked at again. */
    static final long RETRY_MILLIS = 5_000;

    /**
     * The targets a policy has been applied to, {@code Kind/name} comma-separated (namespace: the policy's own). Written
     * by the controller before it changes Lattice for a target and cleared of a target once undone there; an annotation
     * rather than status, so it survives a restart, a status rewrite and a backup/restore that drops status.
     */
    public static final String APPLIED_TO_ANNOTATION = "application-networking.k8s.aws/policy-applied-to";

    private static final Logger log = LoggerFactory.getLogger(PolicyReconciler.class);

    /** What applying a policy came to. {@code retry}: look again later (Pending, or Lattice was not ready). */
    record Outcome(boolean accepted, String reason, String message, boolean retry) {
        static Outcome accepted(String message) {
            return new Outcome(true, "Accepted", message, false);
        }

        static Outcome pending(String message) {
            return new Outcome(false, "Pending", message, true);
        }

        static Outcome invalid(String message) {
            return new Outcome(false, "Invalid", message, false);
        }
    }

    protected final PolicyTargets targets;
    private final ControllerEvents events;
    private final Clock clock;

    PolicyReconciler(PolicyTargets targets, ControllerEvents events, Clock clock) {
        this.targets = targets;
        this.events = events;
        this.clock = clock;
    }

    /** The kinds this policy may target. */
    abstract Set<String> targetKinds();

    /** Checks the spec apart from targetRef; null when valid, else the message of an Invalid condition. */
    abstract String validate(P policy);

    /** Makes Lattice match the policy for this (existing) target. */
    abstract Outcome apply(P policy, HasMetadata target);

    /** Undoes {@link #apply}; the target still exists. */
    abstract void remove(P policy, HasMetadata target);

    /**
     * Two policies of one kind on one target conflict when their keys are equal (the AccessLogPolicy allows one per
     * destination type, so it keys on that); the default is one policy per target.
     */
    String conflictKey(P policy) {
        return "";
    }

    /**
     * Whether deleting an applied policy undoes it even when a conflicting policy waits to take the target over. False
     * by default (the successor's apply replaces the settings in place); true where what a policy made is its own
     * (an access-log subscription tagged with the policy), so the successor could not make its own beside it.
     */
    boolean undoneEvenWithSuccessor() {
        return false;
    }

    @Override
    public UpdateControl<P> reconcile(P policy, Context<P> context) {
        java.util.Map<String, String> annotationsBefore = annotationsButRecord(policy);
        Outcome outcome = evaluate(policy, context);
        log.info("{} {}/{}: {} {}", policy.getKind(), policy.getMetadata().getNamespace(), policy.getMetadata().getName(),
                outcome.reason(), outcome.message());
        PolicyStatus before = policy.getStatus();
        PolicyStatus status = new PolicyStatus();
        status.setConditions(Conditions.set(before == null ? null : before.getConditions(), "Accepted", outcome.accepted(),
                outcome.reason(), outcome.message(), policy.getMetadata().getGeneration(), clock));
        events.statusChanged(policy, before, status);
        policy.setStatus(status);
        // apply may write annotations (the AccessLogPolicy's subscription ARN): then the resource is patched too
        // (the applied-to record is written by the reconcile itself, before Lattice is changed: not part of this)
        java.util.Map<String, String> annotationsAfter = annotationsButRecord(policy);
        UpdateControl<P> control = annotationsBefore.equals(annotationsAfter) ? UpdateControl.patchStatus(policy)
                : UpdateControl.patchResourceAndStatus(policy);
        return outcome.retry() ? control.rescheduleAfter(RETRY_MILLIS) : control;
    }

    /**
     * Applies the policy to its current target, then undoes it on the targets it was applied to before (make before
     * break: a moved IAMAuthPolicy never leaves a moment with neither service protected, and a VpcAssociationPolicy
     * with associateWithVpc false frees the VPC from the new network before the old one takes it back — Lattice
     * associates a VPC with one network only). Former targets are undone whatever became of the current one (Invalid,
     * TargetNotFound, Conflicted too).
     */
    private Outcome evaluate(P policy, Context<P> context) {
        TargetRef ref = policy.getSpec() == null ? null : policy.getSpec().getTargetRef();
        String refProblem = checkTargetRef(policy, ref);
        AppliedTargets.Target current = refProblem == null ? new AppliedTargets.Target(ref.getKind(), ref.getName()) : null;
        Outcome outcome = evaluateCurrent(policy, ref, refProblem, current, context);
        AppliedTargets recorded = recordOf(policy);
        for (AppliedTargets.Target old : recorded.targets()) {
            if (old.equals(current)) {
                continue;
            }
            try {
                undo(policy, old, context);
            } catch (RuntimeException e) {
                // kept in the record: the next look tries again
                log.warn("{} {}/{}: undoing it on its former target {} failed", policy.getKind(),
                        policy.getMetadata().getNamespace(), policy.getMetadata().getName(), old, e);
                return new Outcome(outcome.accepted(), outcome.reason(), outcome.message()
                        + "; still applied to its former target " + old + ", undoing it failed: " + e.getMessage(), true);
            }
            recorded = recorded.without(old);
            writeRecord(policy, recorded);
        }
        return outcome;
    }

    private Outcome evaluateCurrent(P policy, TargetRef ref, String refProblem, AppliedTargets.Target current,
            Context<P> context) {
        if (refProblem != null) {
            return Outcome.invalid(refProblem);
        }
        String specProblem = validate(policy);
        if (specProblem != null) {
            return Outcome.invalid(specProblem);
        }
        Optional<HasMetadata> target = targets.find(ref.getKind(), policy.getMetadata().getNamespace(), ref.getName());
        if (target.isEmpty()) {
            return new Outcome(false, "TargetNotFound", ref.getKind() + " " + policy.getMetadata().getNamespace() + "/"
                    + ref.getName() + " not found" + ("Gateway".equals(ref.getKind()) ? " (or not of this controller's class)" : ""),
                    false);
        }
        Optional<P> winner = competitors(policy, context).findFirst();
        if (winner.isPresent() && !sameObject(winner.get(), policy)) {
            // the older policy keeps the target; this one is looked at again, so it takes over once that one is deleted
            return new Outcome(false, "Conflicted", policy.getKind() + " " + winner.get().getMetadata().getName()
                    + " already targets " + ref, true);
        }
        AppliedTargets recorded = recordOf(policy);
        if (!recorded.contains(current)) {
            writeRecord(policy, recorded.with(current)); // before Lattice changes: see APPLIED_TO_ANNOTATION
        }
        try {
            return apply(policy, target.get());
        } catch (ValidationException refused) {
            return Outcome.invalid("VPC Lattice refused the policy: " + refused.awsErrorDetails().errorMessage());
        } catch (ResourceNotFoundException gone) {
            return Outcome.pending("the Lattice resource of " + ref + " is not there (yet): "
                    + gone.awsErrorDetails().errorMessage());
        } catch (software.amazon.awssdk.services.vpclattice.model.ConflictException busy) {
            // e.g. an association still being deleted: the next look finds it gone
            return Outcome.pending("VPC Lattice: " + busy.awsErrorDetails().errorMessage());
        }
    }

    private String checkTargetRef(P policy, TargetRef ref) {
        if (ref == null || ref.getKind() == null || ref.getName() == null || ref.getName().isBlank()) {
            return "spec.targetRef with kind and name is required";
        }
        if (!targetKinds().contains(ref.getKind())) {
            return "targetRef kind " + ref.getKind() + " is not supported; one of " + targetKinds().stream().sorted().toList();
        }
        String group = ref.getGroup() == null ? "" : ref.getGroup();
        if (!group.equals(PolicyTargets.groupOf(ref.getKind()))) {
            return "targetRef group for kind " + ref.getKind() + " must be '" + PolicyTargets.groupOf(ref.getKind())
                    + "', got '" + group + "'";
        }
        if (ref.getNamespace() != null && !ref.getNamespace().equals(policy.getMetadata().getNamespace())) {
            return "targetRef namespace must be the policy's own (" + policy.getMetadata().getNamespace() + ")";
        }
        return null;
    }

    /** Live policies of this kind on the same target with the same conflict key, oldest first (then by name). */
    private java.util.stream.Stream<P> competitors(P policy, Context<P> context) {
        TargetRef ref = policy.getSpec().getTargetRef();
        return competitors(policy, new AppliedTargets.Target(ref.getKind(), ref.getName()), context);
    }

    /** Live policies of this kind on {@code target} with this policy's conflict key, oldest first (then by name). */
    private java.util.stream.Stream<P> competitors(P policy, AppliedTargets.Target target, Context<P> context) {
        TargetRef ref = new TargetRef(PolicyTargets.groupOf(target.kind()), target.kind(), target.name());
        String key = conflictKey(policy);
        return context.getPrimaryCache().list(p -> Objects.equals(p.getMetadata().getNamespace(),
                        policy.getMetadata().getNamespace()))
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null || sameObject(p, policy))
                .filter(p -> p.getSpec() != null && p.getSpec().getTargetRef() != null
                        && ref.getKind().equals(p.getSpec().getTargetRef().getKind())
                        && ref.getName().equals(p.getSpec().getTargetRef().getName())
                        && key.equals(conflictKey(p)))
                .sorted(PRECEDENCE);
    }

    /** Which of two conflicting policies keeps the target: the older, then the first by name (timestamps are seconds). */
    static final Comparator<HasMetadata> PRECEDENCE = Comparator
            .comparing((HasMetadata p) -> Objects.toString(p.getMetadata().getCreationTimestamp(), ""))
            .thenComparing(p -> p.getMetadata().getName());

    private static boolean sameObject(HasMetadata a, HasMetadata b) {
        return Objects.equals(a.getMetadata().getName(), b.getMetadata().getName())
                && Objects.equals(a.getMetadata().getNamespace(), b.getMetadata().getNamespace());
    }

    @Override
    public DeleteControl cleanup(P policy, Context<P> context) {
        AppliedTargets where = recordOf(policy);
        boolean accepted = policy.getStatus() != null && Conditions.isTrue(policy.getStatus().getConditions(), "Accepted");
        TargetRef ref = policy.getSpec() == null ? null : policy.getSpec().getTargetRef();
        boolean recorded = policy.getMetadata().getAnnotations() != null
                && policy.getMetadata().getAnnotations().containsKey(APPLIED_TO_ANNOTATION);
        if (!recorded && accepted && ref != null && ref.getKind() != null && ref.getName() != null) {
            // a policy applied before the record existed (an earlier Trellis) names its target only in targetRef
            where = where.with(new AppliedTargets.Target(ref.getKind(), ref.getName()));
        }
        try {
            for (AppliedTargets.Target target : where.targets()) {
                undo(policy, target, context);
            }
        } catch (RuntimeException e) {
            if (ControllerRetry.givesUp(context)) {
                log.error("{} {}/{}: giving up undoing it in Lattice after retries", policy.getKind(),
                        policy.getMetadata().getNamespace(), policy.getMetadata().getName(), e);
                return DeleteControl.defaultDelete();
            }
            throw e;
        }
        return DeleteControl.defaultDelete();
    }

    /**
     * Undoes the policy on one target it was applied to — unless a conflicting policy of this kind waits to take that
     * target over on its next look ({@link #RETRY_MILLIS}): undoing first would only switch the target off in between.
     * A target whose object is gone is undone through a stand-in that carries only its kind, namespace and name, which
     * is all {@link #remove} needs to find a Gateway's service network or a Service's target groups by their tags; a
     * deleted route's Lattice service went with the route.
     */
    private void undo(P policy, AppliedTargets.Target target, Context<P> context) {
        boolean successor = !undoneEvenWithSuccessor()
                && competitors(policy, target, context).anyMatch(p -> !sameObject(p, policy));
        if (successor) {
            return;
        }
        String namespace = policy.getMetadata().getNamespace();
        HasMetadata object = targets.find(target.kind(), namespace, target.name())
                .orElseGet(() -> standIn(target, namespace));
        try {
            remove(policy, object);
            log.info("{} {}/{}: undone on {}", policy.getKind(), namespace, policy.getMetadata().getName(), target);
        } catch (ResourceNotFoundException gone) {
            // the target's Lattice resource is gone, and the policy's effect with it
        }
    }

    private static HasMetadata standIn(AppliedTargets.Target target, String namespace) {
        io.fabric8.kubernetes.api.model.GenericKubernetesResource standIn =
                new io.fabric8.kubernetes.api.model.GenericKubernetesResource();
        standIn.setKind(target.kind());
        standIn.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withNamespace(namespace)
                .withName(target.name()).build());
        return standIn;
    }

    /** The targets recorded on the policy; an entry someone mangled by hand is logged and left out. */
    private AppliedTargets recordOf(P policy) {
        java.util.Map<String, String> annotations = policy.getMetadata().getAnnotations();
        String text = annotations == null ? null : annotations.get(APPLIED_TO_ANNOTATION);
        return AppliedTargets.parse(text, bad -> log.warn("{} {}/{}: ignoring '{}' in annotation {} (not Kind/name)",
                policy.getKind(), policy.getMetadata().getNamespace(), policy.getMetadata().getName(), bad,
                APPLIED_TO_ANNOTATION));
    }

    /**
     * Writes the record to the API server now (not with the status at the end of the reconcile), so it is there before
     * Lattice changes; the local copy follows, with the new resourceVersion for the status patch.
     */
    @SuppressWarnings("unchecked")
    private void writeRecord(P policy, AppliedTargets record) {
        String text = record.format();
        P written = targets.client().resources((Class<P>) policy.getClass())
                .inNamespace(policy.getMetadata().getNamespace()).withName(policy.getMetadata().getName())
                .edit(p -> {
                    java.util.Map<String, String> annotations = new java.util.HashMap<>(
                            p.getMetadata().getAnnotations() == null ? java.util.Map.of() : p.getMetadata().getAnnotations());
                    if (text.isEmpty()) {
                        annotations.remove(APPLIED_TO_ANNOTATION);
                    } else {
                        annotations.put(APPLIED_TO_ANNOTATION, text);
                    }
                    p.getMetadata().setAnnotations(annotations);
                    return p;
                });
        java.util.Map<String, String> local = new java.util.HashMap<>(
                policy.getMetadata().getAnnotations() == null ? java.util.Map.of() : policy.getMetadata().getAnnotations());
        if (text.isEmpty()) {
            local.remove(APPLIED_TO_ANNOTATION);
        } else {
            local.put(APPLIED_TO_ANNOTATION, text);
        }
        policy.getMetadata().setAnnotations(local);
        policy.getMetadata().setResourceVersion(written.getMetadata().getResourceVersion());
    }

    private static java.util.Map<String, String> annotationsButRecord(HasMetadata policy) {
        java.util.Map<String, String> annotations = new java.util.HashMap<>(
                policy.getMetadata().getAnnotations() == null ? java.util.Map.of() : policy.getMetadata().getAnnotations());
        annotations.remove(APPLIED_TO_ANNOTATION);
        return annotations;
    }

    /**
     * Events of the kinds this policy targets re-run the policies that name them: a Gateway whose network appears, a
     * route whose service is (re)deployed (its ARN annotation changes), a Service that appears.
     */
    @Override
    public List<EventSource<?, P>> prepareEventSources(EventSourceContext<P> context) {
        List<EventSource<?, P>> sources = new ArrayList<>();
        for (String kind : targetKinds()) {
            for (Class<? extends HasMetadata> type : watchedTypes(kind)) {
                sources.add(targetSource(context, type, kind));
            }
        }
        return sources;
    }

    private List<Class<? extends HasMetadata>> watchedTypes(String kind) {
        ControllerConfig config = targets.config();
        List<Class<? extends HasMetadata>> types = new ArrayList<>();
        switch (kind) {
            case PolicyTargets.GATEWAY -> {
                if (config.watches("v1")) {
                    types.add(io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway.class);
                }
                if (config.watches("v1beta1")) {
                    types.add(io.fabric8.kubernetes.api.model.gatewayapi.v1beta1.Gateway.class);
                }
            }
            case PolicyTargets.HTTP_ROUTE -> {
                if (config.watches("v1")) {
                    types.add(io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute.class);
                }
                if (config.watches("v1beta1")) {
                    types.add(io.fabric8.kubernetes.api.model.gatewayapi.v1beta1.HTTPRoute.class);
                }
            }
            case PolicyTargets.GRPC_ROUTE -> {
                // GRPCRoute is served as v1 only from Gateway API v1.1; clusters watched as v1beta1 predate it
                if (config.watches("v1")) {
                    types.add(io.fabric8.kubernetes.api.model.gatewayapi.v1.GRPCRoute.class);
                }
            }
            case PolicyTargets.SERVICE -> types.add(io.fabric8.kubernetes.api.model.Service.class);
            case PolicyTargets.SERVICE_EXPORT -> types.add(dev.trellis.controller.policy.ServiceExport.class);
            default -> throw new IllegalArgumentException("no target kind " + kind);
        }
        return types;
    }

    private <T extends HasMetadata> EventSource<T, P> targetSource(EventSourceContext<P> context, Class<T> type,
            String kind) {
        String name = kind.toLowerCase(java.util.Locale.ROOT) + "-" + type.getPackageName()
                .substring(type.getPackageName().lastIndexOf('.') + 1);
        return new InformerEventSource<>(InformerEventSourceConfiguration.from(type, context.getPrimaryResourceClass())
                .withName(name)
                .withSecondaryToPrimaryMapper(target -> context.getPrimaryCache()
                        .list(p -> Objects.equals(p.getMetadata().getNamespace(), target.getMetadata().getNamespace())
                                && p.getSpec() != null && p.getSpec().getTargetRef() != null
                                && kind.equals(p.getSpec().getTargetRef().getKind())
                                && target.getMetadata().getName().equals(p.getSpec().getTargetRef().getName()))
                        .map(ResourceID::fromResource)
                        .collect(Collectors.toSet()))
                .build(), context);
    }
}
