package dev.trellis.controller.policy;

/** A policy spec: it names the object it applies to. */
public interface TargetedSpec {

    TargetRef getTargetRef();
}
