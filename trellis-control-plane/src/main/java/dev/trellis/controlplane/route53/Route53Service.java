package dev.trellis.controlplane.route53;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trellis.controlplane.ControlPlaneConfig;
import dev.trellis.controlplane.api.AwsService;
import dev.trellis.controlplane.api.Caller;
import dev.trellis.controlplane.api.OperationAuthorizer;
import dev.trellis.controlplane.protocol.ApiException;
import dev.trellis.controlplane.protocol.ApiRequest;
import dev.trellis.controlplane.protocol.ApiResponse;
import dev.trellis.controlplane.protocol.OperationModel;
import dev.trellis.controlplane.protocol.RestRouter;
import dev.trellis.controlplane.protocol.RestXmlBinding;
import dev.trellis.controlplane.store.Store;
import dev.trellis.controlplane.store.StoreException;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Route 53 API (rest-xml), the private-hosted-zone subset the walkthrough needs: routes each request to its
 * operation with the model's bindings, validates the input, runs the operation in one store transaction
 * (read-only for {@code Get*}/{@code List*}) and renders the output or the error as AWS clients expect.
 * Operations and behaviour: docs/api-route53.md; how zones are stored: DESIGN.md in this package.
 */
public final class Route53Service implements AwsService {

    private static final Logger log = LoggerFactory.getLogger(Route53Service.class);
    public static final String MODEL = "route53-2013-04-01";

    private static final Map<String, Route53Operation> OPERATIONS = Map.of(
            "CreateHostedZone", HostedZoneOperations::create,
            "GetHostedZone", HostedZoneOperations::get,
            "ListHostedZones", HostedZoneOperations::list,
            "DeleteHostedZone", HostedZoneOperations::delete,
            "AssociateVPCWithHostedZone", HostedZoneOperations::associateVpc,
            "DisassociateVPCFromHostedZone", HostedZoneOperations::disassociateVpc,
            "ChangeResourceRecordSets", RecordSetOperations::change,
            "ListResourceRecordSets", RecordSetOperations::list,
            "GetChange", Changes::getChange);

    private final RestXmlBinding binding;
    private final RestRouter router;
    private final Store store;
    private final ControlPlaneConfig config;
    private final Clock clock;
    private final OperationAuthorizer authorizer;

    public Route53Service(Store store, ControlPlaneConfig config, Clock clock, OperationAuthorizer authorizer) {
        this.binding = RestXmlBinding.forModel(MODEL, "InvalidInput");
        this.router = new RestRouter(binding.model());
        this.store = store;
        this.config = config;
        this.clock = clock;
        this.authorizer = authorizer;
        OPERATIONS.keySet().forEach(binding.model()::operation); // fails fast on a name the model does not have
    }

    /** The names of the operations Trellis serves. */
    public static java.util.Set<String> operations() {
        return OPERATIONS.keySet();
    }

    @Override
    public String signingName() {
        return binding.model().signingName();
    }

    /**
     * Route 53 is global: SDKs sign it for us-east-1 whatever the control plane's region, and the Java SDK v2
     * configured with {@code Region.AWS_GLOBAL} and an endpoint override signs for {@code aws-global} (seen in
     * Route53ClientTest); the AWS CLI with {@code --endpoint-url} signs with its configured region.
     */
    @Override
    public List<String> additionalSigningRegions() {
        return List.of("us-east-1", "aws-global");
    }

    @Override
    public ApiResponse handle(ApiRequest request, Caller caller) {
        try {
            RestRouter.Route route = router.route(request.method(), request.rawPath(), request.query());
            if (route == null) {
                throw Route53Errors.invalidInput("No Route 53 operation has the method " + request.method()
                        + " and the path " + request.rawPath());
            }
            OperationModel op = route.operation();
            Route53Operation operation = OPERATIONS.get(op.name());
            if (operation == null) {
                throw Route53Errors.invalidInput(op.name() + " is not supported by Trellis (docs/api-route53.md"
                        + " lists the Route 53 operations it serves)");
            }
            ObjectNode input = binding.input(withBareIds(route), request);
            String host = request.header("Host");
            Route53Operation run = operation;
            ObjectNode output = op.name().startsWith("Get") || op.name().startsWith("List")
                    ? store.read(tx -> run.execute(new Route53Context(caller, tx, config, clock, authorizer, host),
                            input))
                    : store.write(tx -> run.execute(new Route53Context(caller, tx, config, clock, authorizer,
                            host), input));
            return binding.output(op, output);
        } catch (ApiException e) {
            return binding.error(asRoute53(e), caller.requestId());
        } catch (StoreException e) {
            log.error("request {}: store failure", caller.requestId(), e);
            return binding.error(new ApiException("InternalFailure", 500, "The store is unavailable; retry the call"
                    + " (request id " + caller.requestId() + ")"), caller.requestId());
        }
    }

    /**
     * The SDKs send ids bare ({@code Z0123...}); the AWS CLI strips the prefix too, but other clients send the
     * {@code /hostedzone/Z0123...} the API returns (percent-encoded in the path). Strip it before validation:
     * {@code ResourceId} is at most 32 characters, which the prefixed form may exceed.
     */
    private static RestRouter.Route withBareIds(RestRouter.Route route) {
        String id = route.labels().get("Id");
        if (id == null) {
            return route;
        }
        Map<String, String> labels = new LinkedHashMap<>(route.labels());
        labels.put("Id", route.operation().name().equals("GetChange")
                ? Route53Ids.bareChangeId(id) : Route53Ids.bareZoneId(id));
        return new RestRouter.Route(route.operation(), labels);
    }

    /** Errors raised by shared parts in other APIs' spelling, in Route 53's. */
    private static ApiException asRoute53(ApiException e) {
        return switch (e.code()) {
            case "AccessDeniedException" -> new ApiException("AccessDenied", 403, e.getMessage());
            case "ValidationException" -> new ApiException("InvalidInput", 400, e.getMessage());
            default -> e;
        };
    }

    @Override
    public ApiResponse error(ApiException error) {
        return binding.error(asRoute53(error), null);
    }
}
