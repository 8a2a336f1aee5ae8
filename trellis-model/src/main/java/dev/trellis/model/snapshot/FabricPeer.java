package dev.trellis.model.snapshot;

import java.util.Objects;

/** The fabric address of the gateway serving another VPC: target groups there are reached through it. */
public record FabricPeer(String vpcId, String host, int port) {

    public FabricPeer {
        Objects.requireNonNull(vpcId, "vpcId");
        Objects.requireNonNull(host, "host");
    }
}
