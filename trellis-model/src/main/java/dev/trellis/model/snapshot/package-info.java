/**
 * The configuration a gateway serves from: one immutable, versioned {@link dev.trellis.model.snapshot.VpcSnapshot}
 * per VPC, compiled by the control plane from its store and checked with
 * {@link dev.trellis.model.snapshot.VpcSnapshot#ensureConsistent()} before anyone may publish or use it. The types
 * are plain records so that the control plane and the gateways exchange them as JSON without a schema of their own.
 */
package dev.trellis.model.snapshot;
