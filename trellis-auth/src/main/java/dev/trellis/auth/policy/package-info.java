/**
 * The IAM policy language and its evaluation: {@link dev.trellis.auth.policy.Policy} (parse once, evaluate per
 * request), {@link dev.trellis.auth.policy.RequestContext} (the request's condition keys) and
 * {@link dev.trellis.auth.policy.LatticeAuthorizer} (Lattice's combination of network, service and identity
 * policies, and its 403 body). The grammar, the semantics and every choice made where IAM's documentation is silent
 * are in {@code docs/policies.md}.
 */
package dev.trellis.auth.policy;
