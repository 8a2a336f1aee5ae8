package dev.trellis.controlplane.ec2;

import dev.trellis.controlplane.ControlPlaneConfig;
import dev.trellis.controlplane.api.AwsService;
import dev.trellis.controlplane.api.Caller;
import dev.trellis.controlplane.api.OperationAuthorizer;
import dev.trellis.controlplane.protocol.ApiException;
import dev.trellis.controlplane.protocol.ApiRequest;
import dev.trellis.controlplane.protocol.ApiResponse;
import dev.trellis.controlplane.store.Store;
import dev.trellis.controlplane.store.StoreException;
import dev.trellis.controlplane.store.StoreTransaction;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A subset of the Amazon EC2 API (query protocol, signing name {@code ec2}, version {@value #VERSION}): the VPC
 * registry other APIs refer to. Parameters come form-encoded in a POST body or in the query string
 * ({@code Action}, {@code Version}, then the action's own); answers are EC2's XML, errors EC2's
 * {@code <Response><Errors><Error>} document. Each call runs in one store transaction (read-only for Describe*).
 * docs/api-compatibility.md lists what is served; DESIGN.md how VPCs are kept.
 */
public final class Ec2Service implements AwsService {

    private static final Logger log = LoggerFactory.getLogger(Ec2Service.class);

    public static final String SIGNING_NAME = "ec2";
    public static final String VERSION = "2016-11-15";
    public static final String NAMESPACE = "http://ec2.amazonaws.com/doc/" + VERSION + "/";

    private static final Map<String, Ec2Action> BY_NAME = new LinkedHashMap<>();

    static {
        Stream.concat(VpcOperations.actions().stream(), TagOperations.actions().stream())
                .forEach(action -> BY_NAME.put(action.name(), action));
    }

    /** The actions served, for messages. */
    static final List<String> ACTIONS = List.copyOf(BY_NAME.keySet());

    private final Store store;
    private final ControlPlaneConfig config;
    private final Clock clock;
    private final OperationAuthorizer authorizer;
    private final VpcDependents dependents;

    /**
     * @param dependents what uses a VPC (DeleteVpc refuses to delete a VPC in use)
     */
    public Ec2Service(Store store, ControlPlaneConfig config, Clock clock, OperationAuthorizer authorizer,
                      VpcDependents dependents) {
        this.store = store;
        this.config = config;
        this.clock = clock;
        this.authorizer = authorizer;
        this.dependents = dependents;
    }

    @Override
    public String signingName() {
        return SIGNING_NAME;
    }

    /** An EC2 query request: to {@code /}, with {@code Version=2016-11-15} in its query string or form body. */
    @Override
    public boolean recognizes(ApiRequest request) {
        if (!request.rawPath().equals("/") && !request.rawPath().isEmpty()) {
            return false;
        }
        try {
            return QueryParameters.parse(request).string("Version").filter(VERSION::equals).isPresent();
        } catch (ApiException e) {
            return false;
        }
    }

    @Override
    public ApiResponse handle(ApiRequest request, Caller caller) {
        try {
            QueryParameters params = QueryParameters.parse(request);
            String actionName = params.string("Action").orElseThrow(() -> Ec2Errors.of("MissingAction",
                    "The request must contain the parameter Action"));
            String version = params.string("Version").orElseThrow(() -> Ec2Errors.missingParameter("Version"));
            Ec2Action action = BY_NAME.get(actionName);
            if (action == null) {
                throw Ec2Errors.invalidAction(actionName);
            }
            if (!version.equals(VERSION)) {
                throw Ec2Errors.invalidParameterValue("Trellis serves the EC2 API version " + VERSION + ", not '"
                        + Ec2Errors.echo(version) + "'");
            }
            Ec2Call call = action.parser().apply(params);
            XmlWriter out = new XmlWriter().root(action.name() + "Response", NAMESPACE)
                    .element("requestId", caller.requestId());
            if (action.readOnly()) {
                store.read(tx -> run(call, caller, tx, out));
            } else {
                store.write(tx -> run(call, caller, tx, out));
            }
            return new ApiResponse(200, Map.of("Content-Type", XmlWriter.CONTENT_TYPE), out.bytes());
        } catch (ApiException e) {
            return error(e, caller.requestId());
        } catch (StoreException e) {
            log.error("request {}: store failure", caller.requestId(), e);
            return error(new ApiException("InternalError", 500, "An internal error has occurred; retry the call"
                    + " (request id " + caller.requestId() + ")"), caller.requestId());
        }
    }

    private Void run(Ec2Call call, Caller caller, StoreTransaction tx, XmlWriter out) {
        call.run(new Ec2Context(caller, tx, config, clock, authorizer, dependents), out);
        return null;
    }

    @Override
    public ApiResponse error(ApiException error) {
        return error(error, UUID.randomUUID().toString());
    }

    /** EC2's error document: {@code <Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/>}. */
    @Override
    public ApiResponse error(ApiException error, String requestId) {
        byte[] body = new XmlWriter().start("Response")
                .start("Errors").start("Error")
                .element("Code", error.code())
                .element("Message", error.getMessage())
                .end().end()
                .element("RequestID", requestId)
                .bytes();
        return new ApiResponse(error.status(), Map.of("Content-Type", XmlWriter.CONTENT_TYPE), body);
    }
}
