package dev.trellis.controlplane.lattice;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trellis.controlplane.ControlPlaneConfig;
import dev.trellis.controlplane.api.AwsService;
import dev.trellis.controlplane.api.Caller;
import dev.trellis.controlplane.api.OperationAuthorizer;
import dev.trellis.controlplane.protocol.ApiException;
import dev.trellis.controlplane.protocol.ApiRequest;
import dev.trellis.controlplane.protocol.ApiResponse;
import dev.trellis.controlplane.protocol.OperationModel;
import dev.trellis.controlplane.protocol.RestJsonBinding;
import dev.trellis.controlplane.protocol.RestRouter;
import dev.trellis.controlplane.protocol.ServiceModel;
import dev.trellis.controlplane.protocol.Shape;
import dev.trellis.controlplane.store.Store;
import dev.trellis.controlplane.store.StoreException;
import dev.trellis.controlplane.store.StoreTransaction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The VPC Lattice API (rest-json): routes each request to its operation with the model's bindings, validates the
 * input, runs the operation in one store transaction (read-only for {@code Get*}/{@code List*}), applies
 * {@code clientToken} idempotency to creates, and renders the output or the error as AWS clients expect.
 */
public final class LatticeService implements AwsService {

    private static final Logger log = LoggerFactory.getLogger(LatticeService.class);
    public static final String MODEL = "vpc-lattice-2022-11-30";

    private final ServiceModel model;
    private final RestRouter router;
    private final RestJsonBinding binding;
    private final Store store;
    private final ControlPlaneConfig config;
    private final Clock clock;
    private final OperationAuthorizer authorizer;
    private final Map<String, LatticeOperation> operations;
    private final ObjectMapper canonicalJson = new ObjectMapper()
            .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

    public LatticeService(Store store, ControlPlaneConfig config, Clock clock, OperationAuthorizer authorizer,
                          Map<String, LatticeOperation> operations) {
        this.model = ServiceModel.load(MODEL);
        this.router = new RestRouter(model);
        this.binding = new RestJsonBinding(model, new ObjectMapper());
        this.store = store;
        this.config = config;
        this.clock = clock;
        this.authorizer = authorizer;
        this.operations = Map.copyOf(operations);
        for (String name : operations.keySet()) {
            model.operation(name); // fails fast on a name the model does not have
        }
    }

    @Override
    public String signingName() {
        return model.signingName();
    }

    public ServiceModel model() {
        return model;
    }

    @Override
    public ApiResponse handle(ApiRequest request, Caller caller) {
        try {
            RestRouter.Route route = router.route(request.method(), request.rawPath(), request.query());
            if (route == null) {
                throw ApiException.validation("unknownOperation", "No VPC Lattice operation has the method "
                        + request.method() + " and the path " + request.rawPath());
            }
            OperationModel op = route.operation();
            LatticeOperation operation = operations.get(op.name());
            if (operation == null) {
                throw ApiException.validation("other", op.name() + " is not supported by Trellis yet"
                        + " (see docs/api-compatibility.md)");
            }
            ObjectNode input = binding.input(route, request);
            ObjectNode output = run(op, operation, input, caller);
            return binding.output(op, output);
        } catch (ApiException e) {
            return binding.error(e);
        } catch (StoreException e) {
            log.error("request {}: store failure", caller.requestId(), e);
            return binding.error(new ApiException("InternalServerException", 500,
                    "The store is unavailable; retry the call (request id " + caller.requestId() + ")"));
        }
    }

    private ObjectNode run(OperationModel op, LatticeOperation operation, ObjectNode input, Caller caller) {
        boolean readOnly = op.name().startsWith("Get") || op.name().startsWith("List");
        if (readOnly) {
            return store.read(tx -> operation.execute(context(caller, tx), input));
        }
        String token = idempotencyToken(op, input);
        return store.write(tx -> {
            if (token == null) {
                return operation.execute(context(caller, tx), input);
            }
            String fingerprint = fingerprint(input, op);
            Optional<StoreTransaction.IdempotentResponse> earlier =
                    tx.idempotentResponse(caller.accountId(), op.name(), token);
            if (earlier.isPresent()) {
                if (!earlier.get().fingerprint().equals(fingerprint)) {
                    throw new ApiException("ConflictException", 409, "The clientToken '" + token
                            + "' was already used with different parameters for " + op.name());
                }
                return parse(earlier.get().response());
            }
            ObjectNode output = operation.execute(context(caller, tx), input);
            tx.recordIdempotentResponse(caller.accountId(), op.name(), token,
                    new StoreTransaction.IdempotentResponse(fingerprint, output.toString()));
            return output;
        });
    }

    private OperationContext context(Caller caller, StoreTransaction tx) {
        return new OperationContext(caller, tx, config, clock, authorizer);
    }

    private String idempotencyToken(OperationModel op, ObjectNode input) {
        if (op.inputShape() == null) {
            return null;
        }
        for (Shape.Member member : model.shape(op.inputShape()).members().values()) {
            if (member.idempotencyToken() && input.hasNonNull(member.name())) {
                return input.get(member.name()).asText();
            }
        }
        return null;
    }

    /** SHA-256 of the input without its client token, with keys sorted so member order does not matter. */
    private String fingerprint(ObjectNode input, OperationModel op) {
        ObjectNode copy = input.deepCopy();
        model.shape(op.inputShape()).members().values().stream()
                .filter(Shape.Member::idempotencyToken)
                .forEach(m -> copy.remove(m.name()));
        try {
            Object canonical = canonicalJson.treeToValue(copy, Object.class);
            byte[] bytes = canonicalJson.writeValueAsBytes(canonical);
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (JsonProcessingException | NoSuchAlgorithmException e) {
            throw new IllegalStateException("cannot fingerprint the input of " + op.name(), e);
        }
    }

    private ObjectNode parse(String json) {
        try {
            JsonNode node = canonicalJson.readTree(json.getBytes(StandardCharsets.UTF_8));
            return (ObjectNode) node;
        } catch (java.io.IOException e) {
            throw new StoreException("corrupt idempotent response", e);
        }
    }

    @Override
    public ApiResponse error(ApiException error) {
        return binding.error(error);
    }
}
