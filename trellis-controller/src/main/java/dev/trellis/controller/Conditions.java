package dev.trellis.controller;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * Status conditions as the Gateway API defines them ({@code metav1.Condition}): one per type, whose
 * {@code lastTransitionTime} only moves when the status flips.
 */
final class Conditions {

    private Conditions() {
    }

    /** {@code previous} with the condition of {@code type} replaced (kept in place, or appended). */
    static List<Condition> set(List<Condition> previous, String type, boolean status, String reason, String message,
            Long generation, Clock clock) {
        List<Condition> out = new ArrayList<>(previous == null ? List.of() : previous);
        String statusText = status ? "True" : "False";
        String transition = Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString();
        for (int i = 0; i < out.size(); i++) {
            Condition old = out.get(i);
            if (type.equals(old.getType())) {
                if (statusText.equals(old.getStatus()) && old.getLastTransitionTime() != null) {
                    transition = old.getLastTransitionTime();
                }
                out.set(i, condition(type, statusText, reason, message, generation, transition));
                return out;
            }
        }
        out.add(condition(type, statusText, reason, message, generation, transition));
        return out;
    }

    static boolean isTrue(List<Condition> conditions, String type) {
        return conditions != null && conditions.stream()
                .anyMatch(c -> type.equals(c.getType()) && "True".equals(c.getStatus()));
    }

    static Condition find(List<Condition> conditions, String type) {
        return conditions == null ? null
                : conditions.stream().filter(c -> type.equals(c.getType())).findFirst().orElse(null);
    }

    private static Condition condition(String type, String status, String reason, String message, Long generation,
            String transition) {
        return new ConditionBuilder()
                .withType(type)
                .withStatus(status)
                .withReason(reason)
                .withMessage(message == null ? "" : message)
                .withObservedGeneration(generation)
                .withLastTransitionTime(transition)
                .build();
    }
}
