package dev.trellis.gateway;

import dev.trellis.auth.Principal;
import dev.trellis.auth.policy.Policy;
import dev.trellis.auth.policy.PolicyParseException;
import dev.trellis.auth.sigv4.CredentialResolver;
import dev.trellis.auth.sigv4.DerivedSigningKey;
import dev.trellis.auth.sigv4.SigV4KeyDerivation;
import dev.trellis.auth.sigv4.SigV4Verifier;
import dev.trellis.auth.sigv4.SigningCredential;
import dev.trellis.gateway.http.LatticeHeaders;
import dev.trellis.gateway.routing.RoutingTable;
import dev.trellis.gateway.target.TargetHealth;
import dev.trellis.gateway.target.TargetPool;
import dev.trellis.gateway.tls.SniCertificates;
import dev.trellis.model.Arn;
import dev.trellis.model.snapshot.CallerCredential;
import dev.trellis.model.snapshot.FabricPeer;
import dev.trellis.model.snapshot.ServiceEntry;
import dev.trellis.model.snapshot.ServiceListener;
import dev.trellis.model.snapshot.TargetGroupEntry;
import dev.trellis.model.snapshot.VpcSnapshot;
import io.netty.util.AsciiString;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link VpcSnapshot} compiled for request handling, once per snapshot: the routing table, the SigV4 verifier
 * over the snapshot's caller credentials (derived keys only, never secrets), each access key's parsed identity
 * policies, a {@link TargetPool} per target group in this VPC, the certificates of its HTTPS listeners by server
 * name, and the header values that are the same for every request. Immutable; event loops read it through {@link GatewaySnapshots#current()} without locks.
 */
public final class GatewaySnapshot {

    private static final Logger log = LoggerFactory.getLogger(GatewaySnapshot.class);

    /** The signing name of the Lattice data plane (facts §6). */
    public static final String SIGNING_NAME = "vpc-lattice-svcs";

    /** What a credential whose identity policy does not parse gets: refusing is safer than guessing. */
    private static final Policy DENY_ALL = Policy.parseIdentityPolicy(
            "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\"}]}");

    private final VpcSnapshot snapshot;
    private final RoutingTable routing;
    private final SigV4Verifier verifier;
    private final Map<String, List<Policy>> identityPolicies;
    /** Every caller credential as compiled, by access key id, refused ones too: what the next compile reuses. */
    private final Map<String, CompiledCaller> callers;
    private final Map<String, TargetGroupEntry> targetGroups;
    private final Map<String, TargetPool> targetPools;
    private final Map<String, FabricPeer> peers;
    private final Set<Integer> httpPorts;
    private final Set<Integer> tlsPorts;
    private final Set<Integer> cleartextPorts;
    private final SniCertificates certificates;
    private final Set<Integer> passthroughPorts;
    private final String sourceVpcArn;
    private final String networkHeader;
    /** {@link #networkHeader} and the VPC id as the request path sets them (bytes copied, not encoded, per request). */
    private final AsciiString networkHeaderValue;
    private final AsciiString vpcIdValue;

    /** A caller credential of the snapshot and what it compiled to (null credential: it cannot be used). */
    private record CompiledCaller(CallerCredential source, SigningCredential credential, List<Policy> policies) {
    }

    /** {@code snapshot}, whose entries are {@code same}'s very own (see {@link #sameEntries}), compiled as it was. */
    private GatewaySnapshot(GatewaySnapshot same, VpcSnapshot snapshot) {
        this.snapshot = snapshot;
        this.routing = same.routing;
        this.verifier = same.verifier;
        this.identityPolicies = same.identityPolicies;
        this.callers = same.callers;
        this.targetGroups = same.targetGroups;
        this.targetPools = same.targetPools;
        this.peers = same.peers;
        this.httpPorts = same.httpPorts;
        this.tlsPorts = same.tlsPorts;
        this.cleartextPorts = same.cleartextPorts;
        this.certificates = same.certificates;
        this.passthroughPorts = same.passthroughPorts;
        this.sourceVpcArn = same.sourceVpcArn;
        this.networkHeader = same.networkHeader;
        this.networkHeaderValue = same.networkHeaderValue;
        this.vpcIdValue = same.vpcIdValue;
    }

    private GatewaySnapshot(VpcSnapshot snapshot, GatewaySnapshot previous) {
        this.snapshot = snapshot;
        this.routing = RoutingTable.compile(snapshot, previous == null ? null : previous.routing);
        Map<String, CompiledCaller> before = previous == null ? Map.of() : previous.callers;
        Map<String, CompiledCaller> callers = new HashMap<>();
        List<SigningCredential> credentials = new ArrayList<>();
        Map<String, List<Policy>> policies = new HashMap<>();
        for (CallerCredential caller : snapshot.credentials()) {
            if (callers.containsKey(caller.accessKeyId())) {
                log.warn("access key {} appears twice in {}; the first one is used", caller.accessKeyId(), snapshot);
                continue;
            }
            CompiledCaller compiled = before.get(caller.accessKeyId());
            if (compiled == null || compiled.source() != caller) {
                // New or changed (an unchanged one is the very same object: see SnapshotDecoder).
                SigningCredential credential = signingCredential(caller);
                compiled = new CompiledCaller(caller, credential,
                        credential == null ? List.of() : identityPolicies(caller));
            }
            callers.put(caller.accessKeyId(), compiled);
            if (compiled.credential() != null) {
                credentials.add(compiled.credential());
                policies.put(caller.accessKeyId(), compiled.policies());
            }
        }
        this.callers = callers;
        this.identityPolicies = Map.copyOf(policies);
        this.verifier = SigV4Verifier.builder()
                .signingName(SIGNING_NAME)
                .region(snapshot.region())
                .requireSignedContentSha256(true)
                .credentials(CredentialResolver.of(credentials))
                .build();
        Map<String, TargetGroupEntry> groups = new HashMap<>();
        Map<String, TargetPool> pools = new HashMap<>();
        for (TargetGroupEntry group : snapshot.targetGroups()) {
            groups.put(group.id(), group);
            if (group.vpcId().equals(snapshot.vpcId())) {
                pools.put(group.id(), TargetPool.carryOver(group,
                        previous == null ? null : previous.targetPools.get(group.id())));
            }
        }
        this.targetGroups = Map.copyOf(groups);
        this.targetPools = Map.copyOf(pools);
        Map<String, FabricPeer> byVpc = new HashMap<>();
        for (FabricPeer peer : snapshot.peers()) {
            byVpc.putIfAbsent(peer.vpcId(), peer);
        }
        this.peers = Map.copyOf(byVpc);
        Set<Integer> ports = new TreeSet<>();
        Set<Integer> tls = new TreeSet<>();
        Set<Integer> cleartext = new TreeSet<>();
        Set<Integer> tlsPassthroughPorts = new TreeSet<>();
        String partition = "aws";
        // The partition of the last service whose ARN parses (they all share one): parsed from the end, once.
        for (int i = snapshot.services().size() - 1; i >= 0; i--) {
            Arn arn = Arn.tryParse(snapshot.services().get(i).arn());
            if (arn != null) {
                partition = arn.partition();
                break;
            }
        }
        for (ServiceEntry service : snapshot.services()) {
            for (ServiceListener listener : service.listeners()) {
                if ("HTTP".equals(listener.protocol())) {
                    ports.add(listener.port());
                    cleartext.add(listener.port());
                } else if ("HTTPS".equals(listener.protocol())) {
                    ports.add(listener.port());
                    tls.add(listener.port());
                } else if (RoutingTable.PASSTHROUGH.equals(listener.protocol())) {
                    tlsPassthroughPorts.add(listener.port());
                }
            }
        }
        this.httpPorts = Collections.unmodifiableSet(ports);
        this.tlsPorts = Collections.unmodifiableSet(tls);
        this.cleartextPorts = Collections.unmodifiableSet(cleartext);
        this.certificates = SniCertificates.compile(snapshot,
                previous == null ? SniCertificates.NONE : previous.certificates);
        this.passthroughPorts = Collections.unmodifiableSet(tlsPassthroughPorts);
        this.sourceVpcArn = "arn:" + partition + ":ec2:" + snapshot.region() + ":" + snapshot.accountId() + ":vpc/"
                + snapshot.vpcId();
        this.networkHeader = "SourceVpcArn=" + sourceVpcArn;
        this.networkHeaderValue = LatticeHeaders.headerValue(networkHeader);
        this.vpcIdValue = LatticeHeaders.headerValue(snapshot.vpcId());
    }

    /**
     * Compiles {@code snapshot}, reusing what did not change since {@code previous}: target pools of unchanged
     * target groups (with their health), the routes of unchanged services, the compiled credentials (keys and
     * parsed identity policies) of unchanged callers, parsed auth policies, certificates and their TLS contexts.
     * Targets of changed groups keep their health. "Unchanged" is identity for services and callers: a
     * {@code SnapshotDecoder} hands over the very entry objects of the snapshot before when their JSON did not
     * change, so a swap that changes a few entries compiles only those (equal but distinct entries, as from
     * {@code SnapshotCodec.decode}, are compiled afresh: correct, only slower); target groups are compared by
     * equality, which identity makes immediate.
     *
     * @param previous the snapshot served until now, or null
     * @throws IllegalStateException when the snapshot is not consistent
     */
    public static GatewaySnapshot compile(VpcSnapshot snapshot, GatewaySnapshot previous) {
        if (previous != null && sameEntries(snapshot, previous.snapshot)) {
            // A revision that changed nothing this VPC sees (a change elsewhere in the store, or the same snapshot
            // sent again): everything compiled stays, and so nothing new outlives the swap. The entries are the
            // ones already checked, so it is consistent too.
            return new GatewaySnapshot(previous, snapshot);
        }
        snapshot.ensureConsistent();
        return new GatewaySnapshot(snapshot, previous);
    }

    /**
     * Whether {@code next} has {@code served}'s very entries, in the same order, and the same VPC, account and
     * region: what a {@code SnapshotDecoder} hands over when no entry's JSON changed.
     */
    private static boolean sameEntries(VpcSnapshot next, VpcSnapshot served) {
        return next.vpcId().equals(served.vpcId()) && next.accountId().equals(served.accountId())
                && next.region().equals(served.region())
                && sameElements(next.services(), served.services())
                && sameElements(next.targetGroups(), served.targetGroups())
                && sameElements(next.peers(), served.peers())
                && sameElements(next.credentials(), served.credentials())
                && sameElements(next.certificates(), served.certificates())
                && sameElements(next.dnsZones(), served.dnsZones());
    }

    private static boolean sameElements(List<?> next, List<?> served) {
        if (next.size() != served.size()) {
            return false;
        }
        for (int i = 0; i < next.size(); i++) {
            if (next.get(i) != served.get(i)) {
                return false;
            }
        }
        return true;
    }

    private static SigningCredential signingCredential(CallerCredential caller) {
        try {
            Principal principal = new Principal(Principal.Type.valueOf(caller.principalType()), caller.arn(),
                    caller.principalArn() != null ? caller.principalArn() : caller.arn(),
                    caller.accountId() != null ? caller.accountId() : "",
                    caller.userId() != null ? caller.userId() : caller.arn(),
                    Optional.ofNullable(caller.userName()), Optional.ofNullable(caller.sessionName()),
                    Optional.empty(), caller.principalTags());
            SigningCredential.Builder builder = SigningCredential.builder(caller.accessKeyId(), principal);
            for (CallerCredential.DerivedKey key : caller.derivedKeys()) {
                builder.derivedKey(new DerivedSigningKey(key.date(), key.region(), key.service(),
                        HexFormat.of().parseHex(key.key())));
            }
            if (caller.sigV4aPublicKey() != null) {
                builder.sigV4aPublicKey(sigV4aPublicKey(caller.sigV4aPublicKey()));
            }
            if (caller.sessionToken() != null) {
                builder.sessionToken(caller.sessionToken());
            }
            if (caller.expiresAt() != null) {
                builder.expiresAt(caller.expiresAt());
            }
            return builder.build();
        } catch (RuntimeException e) {
            // One bad credential must not take the others (or the snapshot) down with it.
            log.error("access key {} ({}) cannot be used for verification: {}", caller.accessKeyId(), caller.arn(),
                    e.getMessage());
            return null;
        }
    }

    /** {@code 04 || X || Y} in hex, the uncompressed point form the snapshot carries. */
    private static java.security.interfaces.ECPublicKey sigV4aPublicKey(String hex) {
        if (hex.length() != 130 || !hex.startsWith("04")) {
            throw new IllegalArgumentException("the SigV4A public key must be 04||X||Y in 130 hex digits");
        }
        return SigV4KeyDerivation.sigV4aPublicKeyFromHex(hex.substring(2, 66), hex.substring(66));
    }

    private static List<Policy> identityPolicies(CallerCredential caller) {
        List<Policy> policies = new ArrayList<>();
        for (String json : caller.identityPolicies()) {
            try {
                policies.add(Policy.parseIdentityPolicy(json));
            } catch (PolicyParseException e) {
                log.error("an identity policy of {} does not parse ({}); denying its requests", caller.arn(),
                        e.getMessage());
                return List.of(DENY_ALL);
            }
        }
        return List.copyOf(policies);
    }

    public VpcSnapshot snapshot() {
        return snapshot;
    }

    public long revision() {
        return snapshot.revision();
    }

    public RoutingTable routing() {
        return routing;
    }

    /** Verifies {@code vpc-lattice-svcs} signatures (SigV4 for the snapshot's region, SigV4A) of this snapshot's keys. */
    public SigV4Verifier verifier() {
        return verifier;
    }

    /** The identity-based policies of the principal an access key belongs to; empty when it has none. */
    public List<Policy> identityPolicies(String accessKeyId) {
        return identityPolicies.getOrDefault(accessKeyId, List.of());
    }

    /** A target group of the snapshot (in this VPC or another), or null. */
    public TargetGroupEntry targetGroup(String id) {
        return targetGroups.get(id);
    }

    /** The pool of a target group in this VPC, or null when the group lives elsewhere. */
    public TargetPool targetPool(String targetGroupId) {
        return targetPools.get(targetGroupId);
    }

    /** Every local target group's pool, by target group id: what the health checker checks. */
    public Map<String, TargetPool> targetPools() {
        return targetPools;
    }

    /** The gateway serving another VPC, or null. */
    public FabricPeer peer(String vpcId) {
        return peers.get(vpcId);
    }

    /** The listener ports of HTTP and HTTPS listeners: the ports this gateway serves HTTP on. */
    public Set<Integer> httpPorts() {
        return httpPorts;
    }

    /** The ports of HTTPS listeners: connections there start with a TLS handshake. */
    public Set<Integer> tlsPorts() {
        return tlsPorts;
    }

    /** The ports of HTTP listeners (cleartext). A port in both sets tells the two apart by the first byte. */
    public Set<Integer> cleartextPorts() {
        return cleartextPorts;
    }

    /** The certificates of the HTTPS listeners, by server name. */
    public SniCertificates certificates() {
        return certificates;
    }

    /**
     * The listener ports of TLS_PASSTHROUGH listeners. A connection to one of them is routed by its ClientHello's
     * SNI first ({@code passthrough.PassthroughSniHandler}); a port may also be in {@link #httpPorts()}.
     */
    public Set<Integer> passthroughPorts() {
        return passthroughPorts;
    }

    /** {@code arn:aws:ec2:<region>:<account>:vpc/<vpc>}: this VPC, as callers' source. */
    public String sourceVpcArn() {
        return sourceVpcArn;
    }

    /** The {@code x-amzn-lattice-network} value: {@code SourceVpcArn=<arn>}. */
    public String networkHeader() {
        return networkHeader;
    }

    /** {@link #networkHeader()} as an {@code AsciiString}, for the request path's headers. */
    public AsciiString networkHeaderValue() {
        return networkHeaderValue;
    }

    /** This VPC's id as an {@code AsciiString} ({@code x-amzn-source-vpc}). */
    public AsciiString vpcIdValue() {
        return vpcIdValue;
    }

    /** Summary for logs: which snapshot, how much of it. */
    public Map<String, Object> summary() {
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("vpc", snapshot.vpcId());
        summary.put("revision", snapshot.revision());
        summary.put("services", snapshot.services().size());
        summary.put("ports", httpPorts);
        if (!tlsPorts.isEmpty()) {
            summary.put("tlsPorts", tlsPorts);
            summary.put("serverNames", certificates.size());
        }
        if (!passthroughPorts.isEmpty()) {
            summary.put("passthroughPorts", passthroughPorts);
        }
        summary.put("localTargetGroups", targetPools.size());
        summary.put("credentials", identityPolicies.size());
        return summary;
    }

    @Override
    public String toString() {
        return "GatewaySnapshot" + summary();
    }
}
