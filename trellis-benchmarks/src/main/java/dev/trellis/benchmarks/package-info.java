/** JMH benchmarks of Trellis's hot paths; see docs/benchmarks.md for how to run them and the latest figures. */
package dev.trellis.benchmarks;
