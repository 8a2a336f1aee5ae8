package dev.trellis.controlplane.ec2;

import java.util.function.Function;

/**
 * An EC2 action Trellis serves: its name, whether it only reads (a read-only store transaction), and its parser,
 * which reads every parameter it understands, rejects the others ({@code UnknownParameter}) and validates the
 * values before anything touches the store.
 */
record Ec2Action(String name, boolean readOnly, Function<QueryParameters, Ec2Call> parser) {
}
