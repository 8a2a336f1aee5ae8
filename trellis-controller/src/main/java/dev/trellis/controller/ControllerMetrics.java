package dev.trellis.controller;

import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttribute;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;

/**
 * The controller's Prometheus metrics, served on {@code /metrics}:
 *
 * <ul>
 *   <li>JOSDK's reconciliation metrics ({@code operator_sdk_*}: events received, reconciliations started, succeeded,
 *       failed and retried, execution time per controller), without per-resource tags so the series stay bounded;</li>
 *   <li>{@code trellis_controller_lattice_requests_seconds{operation, outcome}}: every VPC Lattice API call the
 *       controller makes, by operation ({@code CreateService}…) and outcome ({@code success}, the AWS error code such as
 *       {@code ConflictException}, or {@code ClientError} when no answer came) — the first place to look when the
 *       controller and Lattice disagree;</li>
 *   <li>{@code trellis_controller_leader}: 1 while this replica leads (always 1 without leader election).</li>
 * </ul>
 */
public final class ControllerMetrics {

    private static final ExecutionAttribute<Long> STARTED = new ExecutionAttribute<>("trellis.metrics.started");

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AtomicInteger leader = new AtomicInteger(1);
    private final Metrics reconciliations = MicrometerMetrics.withoutPerResourceMetrics(registry);

    public ControllerMetrics() {
        Gauge.builder("trellis_controller_leader", leader, AtomicInteger::get)
                .description("1 while this replica is the leader (or leader election is off)")
                .register(registry);
    }

    /** For the operator's configuration ({@code withMetrics}). */
    Metrics reconciliations() {
        return reconciliations;
    }

    void leading(boolean leading) {
        leader.set(leading ? 1 : 0);
    }

    /**
     * An AWS SDK interceptor timing every Lattice call; add it to the client the controller uses
     * ({@code overrideConfiguration(o -> o.addExecutionInterceptor(metrics.latticeCalls()))}).
     */
    public ExecutionInterceptor latticeCalls() {
        return new ExecutionInterceptor() {
            @Override
            public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
                attributes.putAttribute(STARTED, System.nanoTime());
            }

            @Override
            public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
                record(attributes, "success");
            }

            @Override
            public void onExecutionFailure(Context.FailedExecution context, ExecutionAttributes attributes) {
                Throwable failure = context.exception();
                String outcome = failure instanceof AwsServiceException aws && aws.awsErrorDetails() != null
                        && aws.awsErrorDetails().errorCode() != null ? aws.awsErrorDetails().errorCode() : "ClientError";
                record(attributes, outcome);
            }
        };
    }

    private void record(ExecutionAttributes attributes, String outcome) {
        Long started = attributes.getAttribute(STARTED);
        String operation = attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
        Timer.builder("trellis_controller_lattice_requests")
                .description("VPC Lattice API calls made by the controller")
                .tag("operation", operation == null ? "-" : operation)
                .tag("outcome", outcome)
                .register(registry)
                .record(started == null ? 0 : System.nanoTime() - started, TimeUnit.NANOSECONDS);
    }

    /** The Prometheus text exposition of every meter. */
    public String scrape() {
        return registry.scrape();
    }
}
