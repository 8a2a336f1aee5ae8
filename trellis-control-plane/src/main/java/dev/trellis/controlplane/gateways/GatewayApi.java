package dev.trellis.controlplane.gateways;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trellis.controlplane.ControlPlaneConfig;
import dev.trellis.controlplane.api.Caller;
import dev.trellis.controlplane.api.OperationAuthorizer;
import dev.trellis.controlplane.ec2.Ec2Vpcs;
import dev.trellis.controlplane.lattice.ResourceKind;
import dev.trellis.controlplane.lattice.Targets;
import dev.trellis.controlplane.pki.InternalCa;
import dev.trellis.controlplane.pki.Pem;
import dev.trellis.controlplane.protocol.ApiException;
import dev.trellis.controlplane.protocol.ApiException.FieldError;
import dev.trellis.controlplane.protocol.ApiRequest;
import dev.trellis.controlplane.protocol.ApiResponse;
import dev.trellis.controlplane.store.Store;
import dev.trellis.controlplane.store.StoredResource;
import dev.trellis.model.gateway.TargetHealthReport;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateways' side of Trellis's gateway API (signing name {@code trellis}, served next to the snapshot long-poll):
 * <ul>
 *   <li>{@code POST /trellis/v1/gateways} registers a gateway and returns its certificate from the internal CA
 *       ({@value #CERTIFICATE_DAYS} days, serverAuth + clientAuth, SAN {@code <vpcId>.gateway.trellis.internal});
 *       needs {@code trellis:RegisterGateway} on the VPC's ARN;</li>
 *   <li>{@code DELETE /trellis/v1/gateways/{vpcId}/{gatewayId}} removes it ({@code trellis:DeregisterGateway});</li>
 *   <li>{@code PUT /trellis/v1/gateways/{vpcId}/target-health} takes health reports of the targets of target groups
 *       in that VPC ({@code trellis:ReportTargetHealth}).</li>
 * </ul>
 * The VPC's ARN is {@code arn:<partition>:trellis:<region>:<account>:vpc/<vpcId>}. Being allowed these actions is
 * what a join token is elsewhere: an operator gives a gateway an IAM identity with such a policy (see
 * {@code docs/gateway-api.md}).
 */
public final class GatewayApi {

    private static final Logger log = LoggerFactory.getLogger(GatewayApi.class);

    /** How long a gateway certificate is valid; gateways register again before it ends. */
    public static final int CERTIFICATE_DAYS = 7;
    /** The DNS name the fabric verifies a VPC's gateways by: {@code <vpcId>.gateway.trellis.internal}. */
    public static final String FABRIC_NAME_SUFFIX = ".gateway.trellis.internal";
    /** At most this many reports in one call (a VPC's gateway checks at most 500 groups of 1,000 targets). */
    static final int MAX_REPORTS = 10_000;

    private static final String PREFIX = "/trellis/v1/gateways";
    private static final Pattern ONE_GATEWAY = Pattern.compile(PREFIX + "/([^/]+)/([^/]+)");
    private static final Pattern TARGET_HEALTH = Pattern.compile(PREFIX + "/([^/]+)/target-health");
    private static final Set<String> TARGET_STATUS = Set.of("INITIAL", "HEALTHY", "UNHEALTHY", "UNAVAILABLE",
            "DRAINING", "UNUSED");
    private static final int MIN_RSA_BITS = 2048;

    private final Store store;
    private final ControlPlaneConfig config;
    private final Clock clock;
    private final OperationAuthorizer authorizer;
    private final InternalCa ca;
    private final ObjectMapper json = new ObjectMapper();

    public GatewayApi(Store store, ControlPlaneConfig config, Clock clock, OperationAuthorizer authorizer,
                      InternalCa ca) {
        this.store = store;
        this.config = config;
        this.clock = clock;
        this.authorizer = authorizer;
        this.ca = ca;
    }

    /** Whether a request is for this API (its path is under {@code /trellis/v1/gateways}). */
    public boolean serves(ApiRequest request) {
        return request.rawPath().equals(PREFIX) || request.rawPath().startsWith(PREFIX + "/");
    }

    /**
     * Answers a request {@link #serves} accepted.
     *
     * @throws ApiException for refused or invalid calls
     */
    public ApiResponse handle(ApiRequest request, Caller caller) {
        String path = request.rawPath();
        Matcher health = TARGET_HEALTH.matcher(path);
        Matcher one = ONE_GATEWAY.matcher(path);
        if (request.method().equals("POST") && path.equals(PREFIX)) {
            return register(request, caller);
        }
        if (request.method().equals("PUT") && health.matches()) {
            return reportTargetHealth(vpcId(health.group(1)), request, caller);
        }
        if (request.method().equals("DELETE") && one.matches()) {
            return deregister(vpcId(one.group(1)), one.group(2), caller);
        }
        throw ApiException.validation("unknownOperation", "Trellis's gateway API has no " + request.method() + " "
                + path + " (it serves POST " + PREFIX + ", DELETE " + PREFIX + "/<vpc-id>/<gateway-id> and PUT "
                + PREFIX + "/<vpc-id>/target-health)");
    }

    /** The ARN gateway permissions are granted on. */
    public static String vpcArn(ControlPlaneConfig config, String vpcId) {
        return "arn:" + config.partition() + ":trellis:" + config.region() + ":" + config.accountId() + ":vpc/"
                + vpcId;
    }

    private static String vpcId(String text) {
        if (!Ec2Vpcs.isWellFormedId(text)) {
            throw ApiException.invalidField("vpcId", "'" + text + "' is not a VPC id (vpc- and 8 or 17 hex digits)");
        }
        return text;
    }

    private ApiResponse register(ApiRequest request, Caller caller) {
        ObjectNode body = jsonObject(request);
        List<FieldError> errors = new ArrayList<>();
        String vpcId = text(body, "vpcId", errors);
        if (vpcId != null && !Ec2Vpcs.isWellFormedId(vpcId)) {
            errors.add(new FieldError("vpcId", "'" + vpcId + "' is not a VPC id (vpc- and 8 or 17 hex digits)"));
            vpcId = null;
        }
        if (vpcId != null) {
            // Authorize before saying more about the input than its shape.
            authorizer.authorize(caller, "trellis:RegisterGateway", vpcArn(config, vpcId));
        }
        String gatewayId = text(body, "gatewayId", errors);
        if (gatewayId != null && !GatewayRegistration.GATEWAY_ID.matcher(gatewayId).matches()) {
            errors.add(new FieldError("gatewayId", "must be 1-64 characters of A-Z, a-z, 0-9, '.', '_' and '-'"));
        }
        String host = text(body, "fabricHost", errors);
        if (host != null && GatewayRegistration.hostProblem(host) != null) {
            errors.add(new FieldError("fabricHost", GatewayRegistration.hostProblem(host)));
        }
        JsonNode port = body.get("fabricPort");
        if (port == null || !port.canConvertToInt() || !port.isIntegralNumber()
                || port.asInt() < 1 || port.asInt() > 65535) {
            errors.add(new FieldError("fabricPort", "must be a port number 1-65535"));
        }
        String pem = text(body, "publicKey", errors);
        PublicKey publicKey = null;
        if (pem != null) {
            try {
                publicKey = publicKey(pem);
            } catch (IllegalArgumentException e) {
                errors.add(new FieldError("publicKey", e.getMessage()));
            }
        }
        if (!errors.isEmpty()) {
            throw ApiException.validation(errors);
        }
        GatewayRegistration registration = new GatewayRegistration(vpcId, gatewayId, host, port.asInt(), publicKey);
        String vpc = vpcId;
        if (store.read(tx -> tx.get(Ec2Vpcs.STORE_KIND, vpc)).isEmpty()) {
            throw new ApiException("ResourceNotFoundException", 404, "VPC '" + vpcId + "' was not found; create"
                    + " VPCs with the EC2 API (aws ec2 create-vpc)");
        }
        X509Certificate certificate = ca.certify(publicKey, List.of(vpcId + FABRIC_NAME_SUFFIX),
                Duration.ofDays(CERTIFICATE_DAYS));
        Instant notAfter = certificate.getNotAfter().toInstant();
        Instant now = clock.instant();
        store.write(tx -> GatewayRegistry.put(tx, config, registration, certificate.getSerialNumber().toString(16),
                notAfter, caller.principal().arn(), now));
        log.info("registered gateway {} of {} at {}:{} for {} (certificate until {})", gatewayId, vpcId, host,
                registration.fabricPort(), caller.principal().arn(), notAfter);
        ObjectNode out = json.createObjectNode()
                .put("gatewayId", gatewayId)
                .put("vpcId", vpcId)
                .put("certificate", Pem.certificate(certificate) + ca.certificatePem())
                .put("caCertificate", ca.certificatePem())
                .put("notAfter", notAfter.toString());
        return ok(out);
    }

    private ApiResponse deregister(String vpcId, String gatewayId, Caller caller) {
        authorizer.authorize(caller, "trellis:DeregisterGateway", vpcArn(config, vpcId));
        if (!GatewayRegistration.GATEWAY_ID.matcher(gatewayId).matches()) {
            throw ApiException.invalidField("gatewayId", "must be 1-64 characters of A-Z, a-z, 0-9, '.', '_' and"
                    + " '-'");
        }
        if (!store.write(tx -> GatewayRegistry.remove(tx, vpcId, gatewayId))) {
            throw new ApiException("ResourceNotFoundException", 404, "no gateway '" + gatewayId
                    + "' is registered for " + vpcId);
        }
        log.info("removed gateway {} of {} ({})", gatewayId, vpcId, caller.principal().arn());
        return ok(json.createObjectNode());
    }

    private ApiResponse reportTargetHealth(String vpcId, ApiRequest request, Caller caller) {
        authorizer.authorize(caller, "trellis:ReportTargetHealth", vpcArn(config, vpcId));
        ObjectNode body = jsonObject(request);
        JsonNode list = body.get("reports");
        if (list == null || !list.isArray()) {
            throw ApiException.invalidField("reports", "must be a list of target health reports");
        }
        if (list.size() > MAX_REPORTS) {
            throw ApiException.invalidField("reports", "at most " + MAX_REPORTS + " reports per call, not "
                    + list.size());
        }
        List<FieldError> errors = new ArrayList<>();
        Map<String, List<TargetHealthReport>> byGroup = new LinkedHashMap<>();
        for (int i = 0; i < list.size(); i++) {
            String field = "reports[" + i + "]";
            TargetHealthReport report;
            try {
                report = json.treeToValue(list.get(i), TargetHealthReport.class);
            } catch (JsonProcessingException | IllegalArgumentException e) {
                errors.add(new FieldError(field, "must be an object with targetGroupId, targetId, port, status and"
                        + " reasonCode (" + rootMessage(e) + ")"));
                continue;
            }
            if (report == null) {
                errors.add(new FieldError(field, "must be an object, not null"));
                continue;
            }
            if (!TARGET_STATUS.contains(report.status())) {
                errors.add(new FieldError(field + ".status", "must be one of INITIAL, HEALTHY, UNHEALTHY,"
                        + " UNAVAILABLE, DRAINING, UNUSED; not '" + report.status() + "'"));
                continue;
            }
            byGroup.computeIfAbsent(report.targetGroupId(), g -> new ArrayList<>()).add(report);
        }
        if (!errors.isEmpty()) {
            throw ApiException.validation(errors);
        }
        Instant now = clock.instant();
        int changedGroups = store.write(tx -> {
            // Check every group first, so a call is taken whole or not at all.
            List<StoredResource> groups = new ArrayList<>();
            for (String groupId : byGroup.keySet()) {
                Optional<StoredResource> group = tx.get(ResourceKind.TARGET_GROUP.storeKind(), groupId);
                if (group.isEmpty() || !vpcId.equals(group.get().document().path("config")
                        .path("vpcIdentifier").asText())) {
                    throw ApiException.invalidField("reports.targetGroupId", "'" + groupId
                            + "' is not a target group in " + vpcId + "; a gateway reports only its own VPC's");
                }
                groups.add(group.get());
            }
            int changed = 0;
            for (StoredResource group : groups) {
                ObjectNode updated = Targets.applyHealthReports(group.document(), byGroup.get(group.id()), now);
                if (updated != null) {
                    tx.update(group.withDocument(updated));
                    changed++;
                }
            }
            return changed;
        });
        return ok(json.createObjectNode().put("reports", list.size()).put("changedTargetGroups", changedGroups));
    }

    /**
     * A PEM SubjectPublicKeyInfo of an EC P-256 key or an RSA key of at least 2,048 bits.
     *
     * @throws IllegalArgumentException saying what is wrong
     */
    static PublicKey publicKey(String pem) {
        String text = pem.strip();
        String begin = "-----BEGIN PUBLIC KEY-----";
        String end = "-----END PUBLIC KEY-----";
        if (!text.startsWith(begin) || !text.endsWith(end)) {
            throw new IllegalArgumentException("must be a PEM public key (-----BEGIN PUBLIC KEY-----)");
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(text.substring(begin.length(), text.length() - end.length()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the PEM public key is not valid base64");
        }
        for (String algorithm : List.of("EC", "RSA")) {
            PublicKey key;
            try {
                key = KeyFactory.getInstance(algorithm).generatePublic(new X509EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                continue;
            }
            if (key instanceof ECPublicKey ec) {
                if (ec.getParams().getCurve().getField().getFieldSize() != 256
                        || ec.getParams().getOrder().bitLength() != 256) {
                    throw new IllegalArgumentException("an EC key must be on P-256");
                }
                return p256(ec);
            }
            if (key instanceof RSAPublicKey rsa) {
                if (rsa.getModulus().bitLength() < MIN_RSA_BITS) {
                    throw new IllegalArgumentException("an RSA key must have at least " + MIN_RSA_BITS + " bits, not "
                            + rsa.getModulus().bitLength());
                }
                return rsa;
            }
        }
        throw new IllegalArgumentException("must be an EC P-256 or RSA public key (SubjectPublicKeyInfo)");
    }

    /** Checks that a 256-bit curve is P-256 itself (secp256k1, brainpoolP256r1 have the same sizes). */
    private static ECPublicKey p256(ECPublicKey key) {
        java.math.BigInteger p256Order = new java.math.BigInteger(
                "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551", 16);
        if (!key.getParams().getOrder().equals(p256Order)) {
            throw new IllegalArgumentException("an EC key must be on P-256");
        }
        return key;
    }

    private ObjectNode jsonObject(ApiRequest request) {
        try {
            JsonNode node = json.readTree(request.body());
            if (node instanceof ObjectNode object) {
                return object;
            }
        } catch (java.io.IOException e) {
            // answered below
        }
        throw ApiException.validation("cannotParse", "the body must be a JSON object");
    }

    private static String text(JsonNode body, String field, List<FieldError> errors) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            errors.add(new FieldError(field, "is required"));
            return null;
        }
        if (!value.isTextual()) {
            errors.add(new FieldError(field, "must be a string"));
            return null;
        }
        return value.asText();
    }

    private static String rootMessage(Throwable e) {
        Throwable cause = e;
        while (cause.getCause() != null) {
            cause = cause.getCause();
        }
        String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }

    private static ApiResponse ok(ObjectNode body) {
        return new ApiResponse(200, Map.of("Content-Type", "application/json"),
                body.toString().getBytes(StandardCharsets.UTF_8));
    }
}
