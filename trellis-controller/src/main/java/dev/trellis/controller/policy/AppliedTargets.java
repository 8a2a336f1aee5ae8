package dev.trellis.controller.policy;

import java.util.List;
import java.util.Objects;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * The targets a policy has been applied to, as the controller records them on the policy (annotation
 * {@code application-networking.k8s.aws/policy-applied-to}): {@code Kind/name} entries, comma-separated, sorted. The
 * namespace is always the policy's own (targetRef may not name another), so it is not written. Immutable.
 */
public final class AppliedTargets {

    /** One target: a kind the policy may name in targetRef, and the object's name. */
    public record Target(String kind, String name) {
        public Target {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(name, "name");
        }

        @Override
        public String toString() {
            return kind + "/" + name;
        }
    }

    private static final AppliedTargets NONE = new AppliedTargets(new TreeSet<>());

    private final TreeSet<String> entries;

    private AppliedTargets(TreeSet<String> entries) {
        this.entries = entries;
    }

    /**
     * Reads the annotation's value (null or blank: none). An entry that is not {@code Kind/name} with a kind of letters
     * and a name of a Kubernetes object's characters is passed to {@code ignored} and left out, so one bad hand edit
     * does not hide the others.
     */
    public static AppliedTargets parse(String text, Consumer<String> ignored) {
        if (text == null || text.isBlank()) {
            return NONE;
        }
        TreeSet<String> entries = new TreeSet<>();
        for (String entry : text.split(",")) {
            String trimmed = entry.trim();
            if (trimmed.isEmpty()) {
                continue;
            }
            if (trimmed.matches("[A-Za-z]+/[a-z0-9]([-a-z0-9.]*[a-z0-9])?")) {
                entries.add(trimmed);
            } else {
                ignored.accept(trimmed);
            }
        }
        return new AppliedTargets(entries);
    }

    /** The recorded targets, in the annotation's order. */
    public List<Target> targets() {
        return entries.stream().map(e -> new Target(e.substring(0, e.indexOf('/')), e.substring(e.indexOf('/') + 1)))
                .toList();
    }

    public boolean contains(Target target) {
        return entries.contains(target.toString());
    }

    public AppliedTargets with(Target target) {
        TreeSet<String> more = new TreeSet<>(entries);
        more.add(target.toString());
        return new AppliedTargets(more);
    }

    public AppliedTargets without(Target target) {
        TreeSet<String> fewer = new TreeSet<>(entries);
        fewer.remove(target.toString());
        return new AppliedTargets(fewer);
    }

    /** The annotation's value; empty when there is no target (the annotation is then removed). */
    public String format() {
        return entries.stream().collect(Collectors.joining(","));
    }

    @Override
    public String toString() {
        return format();
    }
}
