package dev.trellis.controlplane.ec2;

/**
 * One EC2 request, parsed and validated (see {@link Ec2Action}), ready to run in a store transaction. It writes the
 * members of the response element (after {@code requestId}) or throws an
 * {@link dev.trellis.controlplane.protocol.ApiException}, which rolls the transaction back.
 */
@FunctionalInterface
interface Ec2Call {

    void run(Ec2Context context, XmlWriter response);
}
