package dev.trellis.controlplane.snapshot;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trellis.controlplane.ControlPlaneConfig;
import dev.trellis.controlplane.api.AwsService;
import dev.trellis.controlplane.api.Caller;
import dev.trellis.controlplane.api.OperationAuthorizer;
import dev.trellis.controlplane.gateways.GatewayApi;
import dev.trellis.controlplane.protocol.ApiException;
import dev.trellis.controlplane.protocol.ApiRequest;
import dev.trellis.controlplane.protocol.ApiResponse;
import dev.trellis.controlplane.protocol.Shape;
import dev.trellis.model.snapshot.SnapshotCodec;
import dev.trellis.model.snapshot.VpcSnapshot;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Trellis's own API for gateways (SigV4 signing name {@code trellis}): {@code GET /trellis/v1/snapshots/{vpcId}
 * ?after=<revision>&wait=<seconds>} answers 200 with the VPC's snapshot as JSON once its revision is greater than
 * {@code after}, or 304 when nothing changed within {@code wait} seconds (default 30, at most 60). Without
 * {@code after} it answers at once with a snapshot compiled for this call. A gateway adds {@code watcher=<id>} (its
 * process's id): the poll then also says it serves revision {@code after}, which calls such as STS's wait for
 * ({@link GatewayPropagation}). The caller needs
 * {@code trellis:GetVpcSnapshot} on {@code arn:<partition>:trellis:<region>:<account>:vpc/<vpcId>}. Registration
 * and health reports under {@code /trellis/v1/gateways} are handed to {@link GatewayApi}.
 */
public final class SnapshotApi implements AwsService {

    public static final String SIGNING_NAME = "trellis";
    private static final Pattern PATH = Pattern.compile("/trellis/v1/snapshots/(vpc-[0-9a-f]{8}(?:[0-9a-f]{9})?)");
    private static final int DEFAULT_WAIT_SECONDS = 30;
    private static final int MAX_WAIT_SECONDS = 60;

    private final SnapshotService snapshots;
    private final ControlPlaneConfig config;
    private final OperationAuthorizer authorizer;
    private final GatewayApi gateways;
    private final ObjectMapper json = new ObjectMapper();

    public SnapshotApi(SnapshotService snapshots, ControlPlaneConfig config, OperationAuthorizer authorizer) {
        this(snapshots, config, authorizer, null);
    }

    /** @param gateways the registration and health-report API, or null to serve snapshots only */
    public SnapshotApi(SnapshotService snapshots, ControlPlaneConfig config, OperationAuthorizer authorizer,
                       GatewayApi gateways) {
        this.snapshots = snapshots;
        this.config = config;
        this.authorizer = authorizer;
        this.gateways = gateways;
    }

    @Override
    public String signingName() {
        return SIGNING_NAME;
    }

    @Override
    public ApiResponse handle(ApiRequest request, Caller caller) {
        try {
            if (gateways != null && gateways.serves(request)) {
                return gateways.handle(request, caller);
            }
            Matcher path = PATH.matcher(request.rawPath());
            if (!request.method().equals("GET") || !path.matches()) {
                throw ApiException.validation("unknownOperation", "Trellis's gateway API has no "
                        + request.method() + " " + request.rawPath()
                        + " (it serves GET /trellis/v1/snapshots/<vpc-id>)");
            }
            String vpcId = path.group(1);
            authorizer.authorize(caller, "trellis:GetVpcSnapshot", "arn:" + config.partition() + ":trellis:"
                    + config.region() + ":" + config.accountId() + ":vpc/" + vpcId);
            long after = number(request, "after", 0, Long.MAX_VALUE, -1);
            long wait = number(request, "wait", 0, MAX_WAIT_SECONDS, DEFAULT_WAIT_SECONDS);
            String watcher = watcher(request, caller);
            if (watcher != null) {
                snapshots.polled(vpcId, after, watcher);
            }
            // Without 'after' the gateway wants the snapshot as of now (at start, or for fresh signing keys).
            Optional<VpcSnapshot> snapshot = after < 0 ? Optional.of(snapshots.fresh(vpcId))
                    : snapshots.newerThan(vpcId, after, Duration.ofSeconds(wait));
            if (snapshot.isEmpty()) {
                return new ApiResponse(304, Map.of("x-trellis-revision", String.valueOf(after)), new byte[0]);
            }
            return new ApiResponse(200, Map.of("Content-Type", "application/json",
                    "x-trellis-revision", String.valueOf(snapshot.get().revision())),
                    SnapshotCodec.encode(snapshot.get()));
        } catch (ApiException e) {
            return error(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return error(new ApiException("ServiceUnavailableException", 503, "The control plane is stopping"));
        }
    }

    /**
     * The gateway that polls, as {@link SnapshotService#awaitServed} waits for it: its {@code watcher} id (one per
     * gateway process, stable across its polls) under the caller's identity; null for a client that sends none (it is
     * not waited for).
     */
    private static String watcher(ApiRequest request, Caller caller) {
        List<String> values = request.query().get("watcher");
        if (values == null || values.isEmpty()) {
            return null;
        }
        String id = values.get(0);
        if (id.isEmpty() || id.length() > 64 || !id.chars().allMatch(c -> c < 128 && Character.isLetterOrDigit(c) || c == '-')) {
            throw ApiException.invalidField("watcher", "must be 1-64 letters, digits or dashes");
        }
        return caller.principal().arn() + " " + id;
    }

    private static long number(ApiRequest request, String name, long min, long max, long fallback) {
        List<String> values = request.query().get(name);
        if (values == null || values.isEmpty()) {
            return fallback;
        }
        try {
            long value = Shape.parseWhole(values.get(0));
            if (value < min || value > max) {
                throw ApiException.invalidField(name, "must be " + min + "-" + max + ", not " + value);
            }
            return value;
        } catch (NumberFormatException e) {
            throw ApiException.invalidField(name, "must be a whole number, not '" + values.get(0) + "'");
        }
    }

    @Override
    public ApiResponse error(ApiException error) {
        ObjectNode body = json.createObjectNode().put("message", error.getMessage());
        body.setAll(error.members());
        return new ApiResponse(error.status(), Map.of("x-amzn-ErrorType", error.code(),
                "Content-Type", "application/json"), body.toString().getBytes(StandardCharsets.UTF_8));
    }
}
