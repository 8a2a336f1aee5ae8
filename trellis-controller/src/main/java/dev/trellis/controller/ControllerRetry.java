package dev.trellis.controller;

import io.javaoperatorsdk.operator.api.reconciler.Context;

/** When a cleanup stops retrying and lets Kubernetes delete the object anyway. */
final class ControllerRetry {

    /** Failed cleanups tried this often give up, so a finalizer never blocks deletion for good. */
    static final int CLEANUP_ATTEMPTS = 5;

    private ControllerRetry() {
    }

    static boolean givesUp(Context<?> context) {
        return context.getRetryInfo().map(r -> r.isLastAttempt() || r.getAttemptCount() >= CLEANUP_ATTEMPTS).orElse(false);
    }
}
