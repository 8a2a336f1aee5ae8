package dev.trellis.controlplane.gateways;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trellis.controlplane.ControlPlaneConfig;
import dev.trellis.controlplane.store.StoreTransaction;
import dev.trellis.controlplane.store.StoredResource;
import dev.trellis.model.snapshot.FabricPeer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The registered gateways, kept in the store: kind {@value #STORE_KIND}, id {@code <vpcId>/<gatewayId>}, parent the
 * VPC id, name the gateway id, ARN {@code arn:<partition>:trellis:<region>:<account>:gateway/<vpcId>/<gatewayId>};
 * the document holds the fabric address and the issued certificate's serial and expiry. Registering and removing a
 * gateway are ordinary writes, so they bump the revision and the snapshots that list the VPC's gateways as
 * {@link FabricPeer}s change.
 */
public final class GatewayRegistry {

    public static final String STORE_KIND = "trellis-gateway";

    private GatewayRegistry() {
    }

    static String id(String vpcId, String gatewayId) {
        return vpcId + "/" + gatewayId;
    }

    static String arn(ControlPlaneConfig config, String vpcId, String gatewayId) {
        return "arn:" + config.partition() + ":trellis:" + config.region() + ":" + config.accountId() + ":gateway/"
                + id(vpcId, gatewayId);
    }

    /** Stores a registration, replacing an earlier one of the same gateway id in the VPC. */
    static StoredResource put(StoreTransaction tx, ControlPlaneConfig config, GatewayRegistration registration,
                              String certificateSerial, Instant notAfter, String registeredBy, Instant now) {
        ObjectNode doc = JsonNodeFactory.instance.objectNode()
                .put("vpcId", registration.vpcId())
                .put("gatewayId", registration.gatewayId())
                .put("fabricHost", registration.fabricHost())
                .put("fabricPort", registration.fabricPort())
                .put("certificateSerial", certificateSerial)
                .put("notAfter", notAfter.toString())
                .put("registeredAt", now.toString())
                .put("registeredBy", registeredBy);
        String id = id(registration.vpcId(), registration.gatewayId());
        Optional<StoredResource> existing = tx.get(STORE_KIND, id);
        if (existing.isPresent()) {
            return tx.update(existing.get().withDocument(doc));
        }
        return tx.insert(StoredResource.create(STORE_KIND, id, arn(config, registration.vpcId(),
                registration.gatewayId()), config.accountId(), registration.vpcId(), registration.gatewayId(), doc));
    }

    /** Removes a registration; false when there was none. */
    static boolean remove(StoreTransaction tx, String vpcId, String gatewayId) {
        String id = id(vpcId, gatewayId);
        if (tx.get(STORE_KIND, id).isEmpty()) {
            return false;
        }
        tx.delete(STORE_KIND, id);
        return true;
    }

    /**
     * The fabric peers serving {@code vpcIds}: one per registered gateway, ordered by VPC then gateway id so that
     * equal registrations compile to equal snapshots.
     */
    public static List<FabricPeer> peers(StoreTransaction tx, Collection<String> vpcIds) {
        List<StoredResource> gateways = new ArrayList<>();
        for (String vpcId : new TreeSet<>(vpcIds)) {
            gateways.addAll(tx.list(STORE_KIND, vpcId, -1, Integer.MAX_VALUE));
        }
        gateways.sort(Comparator.comparing(StoredResource::id));
        List<FabricPeer> peers = new ArrayList<>();
        for (StoredResource gateway : gateways) {
            peers.add(new FabricPeer(gateway.parentId(), gateway.document().path("fabricHost").asText(),
                    gateway.document().path("fabricPort").asInt()));
        }
        return peers;
    }
}
