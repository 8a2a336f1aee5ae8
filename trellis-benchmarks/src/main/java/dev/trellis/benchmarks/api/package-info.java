/**
 * The control plane's load harness ({@link dev.trellis.benchmarks.api.ControlPlaneLoad}, run by
 * {@code ./bench control-plane}): API calls per second, latency, time to create a fleet of services and heap, each
 * against the same run's raw commit rate of the store; see docs/benchmarks-control-plane.md.
 */
package dev.trellis.benchmarks.api;
