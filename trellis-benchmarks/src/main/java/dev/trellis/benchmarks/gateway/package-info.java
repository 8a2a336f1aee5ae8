/**
 * What the gateway benchmarks start: the backend, a gateway in its own JVM, the snapshots built in code, and the
 * snapshot memory/swap benchmark ({@code ./bench snapshot-memory}).
 */
package dev.trellis.benchmarks.gateway;
