/**
 * {@code ./bench wrk}: the gateway's throughput and latency against nginx and HAProxy, all proxying to the same
 * backend, measured with wrk in one run ({@link dev.trellis.benchmarks.wrk.WrkHarness}); docs/benchmarks.md has
 * the figures.
 */
package dev.trellis.benchmarks.wrk;
