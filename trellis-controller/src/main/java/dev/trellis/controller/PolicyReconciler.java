package dev.trellis.controller;

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
 */
abstract class PolicyReconciler<P extends CustomResource<? extends TargetedSpec, PolicyStatus>>
        implements Reconciler<P>, Cleaner<P> {

    /** How often a policy waiting for its target's Lattice resource, or losing a conflict, is looked at again. */
    static final long RETRY_MILLIS = 5_000;

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
        java.util.Map<String, String> annotationsBefore = policy.getMetadata().getAnnotations() == null ? java.util.Map.of()
                : java.util.Map.copyOf(policy.getMetadata().getAnnotations());
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
        java.util.Map<String, String> annotationsAfter = policy.getMetadata().getAnnotations() == null ? java.util.Map.of()
                : policy.getMetadata().getAnnotations();
        UpdateControl<P> control = annotationsBefore.equals(annotationsAfter) ? UpdateControl.patchStatus(policy)
                : UpdateControl.patchResourceAndStatus(policy);
        return outcome.retry() ? control.rescheduleAfter(RETRY_MILLIS) : control;
    }

    private Outcome evaluate(P policy, Context<P> context) {
        TargetRef ref = policy.getSpec() == null ? null : policy.getSpec().getTargetRef();
        String refProblem = checkTargetRef(policy, ref);
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
        String key = conflictKey(policy);
        return context.getPrimaryCache().list(p -> Objects.equals(p.getMetadata().getNamespace(),
                        policy.getMetadata().getNamespace()))
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null || sameObject(p, policy))
                .filter(p -> p.getSpec() != null && p.getSpec().getTargetRef() != null
                        && ref.getKind().equals(p.getSpec().getTargetRef().getKind())
                        && ref.getName().equals(p.getSpec().getTargetRef().getName())
                        && key.equals(conflictKey(p)))
                .sorted(Comparator.comparing((P p) -> Objects.toString(p.getMetadata().getCreationTimestamp(), ""))
                        .thenComparing(p -> p.getMetadata().getName()));
    }

    private static boolean sameObject(HasMetadata a, HasMetadata b) {
        return Objects.equals(a.getMetadata().getName(), b.getMetadata().getName())
                && Objects.equals(a.getMetadata().getNamespace(), b.getMetadata().getNamespace());
    }

    @Override
    public DeleteControl cleanup(P policy, Context<P> context) {
        boolean applied = policy.getStatus() != null && Conditions.isTrue(policy.getStatus().getConditions(), "Accepted");
        TargetRef ref = policy.getSpec() == null ? null : policy.getSpec().getTargetRef();
        if (!applied || ref == null || ref.getKind() == null || ref.getName() == null) {
            return DeleteControl.defaultDelete(); // never applied: nothing to undo
        }
        boolean successor = !undoneEvenWithSuccessor() && competitors(policy, context).anyMatch(p -> !sameObject(p, policy));
        if (successor) {
            // a conflicting policy of this kind takes the target over on its next look (RETRY_MILLIS): undoing now
            // would only switch the target off in between
            return DeleteControl.defaultDelete();
        }
        try {
            targets.find(ref.getKind(), policy.getMetadata().getNamespace(), ref.getName())
                    .ifPresent(target -> remove(policy, target));
        } catch (ResourceNotFoundException gone) {
            // the target's Lattice resource is gone, and the policy with it
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
