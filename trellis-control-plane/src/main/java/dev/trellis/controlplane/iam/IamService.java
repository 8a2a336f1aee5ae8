package dev.trellis.controlplane.iam;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trellis.controlplane.ControlPlaneConfig;
import dev.trellis.controlplane.api.AwsService;
import dev.trellis.controlplane.api.Caller;
import dev.trellis.controlplane.api.OperationAuthorizer;
import dev.trellis.controlplane.identity.IdentityDirectory;
import dev.trellis.controlplane.protocol.ApiException;
import dev.trellis.controlplane.protocol.ApiRequest;
import dev.trellis.controlplane.protocol.ApiResponse;
import dev.trellis.controlplane.protocol.QueryBinding;
import dev.trellis.controlplane.store.Store;
import dev.trellis.controlplane.store.StoreException;
import dev.trellis.controlplane.store.StoreTransaction;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The IAM API (query protocol, signing name {@code iam}): users and access keys, roles, managed and inline policies,
 * OpenID Connect providers (docs/api-iam-sts.md). Each call is authorized as {@code iam:<Action>} on the IAM
 * resource it addresses, runs in one store transaction (read-only for {@code Get*}/{@code List*}), and is answered
 * in XML. Real SDKs sign IAM for {@code us-east-1}; the CLI with an endpoint override signs for its own region:
 * both are accepted.
 */
public final class IamService implements AwsService {

    private static final Logger log = LoggerFactory.getLogger(IamService.class);
    public static final String MODEL = "iam-2010-05-08";

    private final QueryBinding binding;
    private final Store store;
    private final ControlPlaneConfig config;
    private final Clock clock;
    private final OperationAuthorizer authorizer;
    private final IdentityDirectory identities;
    private final Map<String, IamOperation> operations;

    public IamService(Store store, ControlPlaneConfig config, Clock clock, OperationAuthorizer authorizer,
                      IdentityDirectory identities) {
        this.binding = QueryBinding.load(MODEL);
        this.store = store;
        this.config = config;
        this.clock = clock;
        this.authorizer = authorizer;
        this.identities = identities;
        Map<String, IamOperation> ops = new HashMap<>();
        UserOperations.register(ops);
        RoleOperations.register(ops);
        ManagedPolicyOperations.register(ops);
        IdentityPolicyOperations.register(ops);
        OidcProviderOperations.register(ops);
        for (String name : ops.keySet()) {
            binding.model().operation(name); // fails fast on a name the model does not have
        }
        this.operations = Map.copyOf(ops);
    }

    /** The operations Trellis serves. */
    public static List<String> operationNames() {
        Map<String, IamOperation> ops = new HashMap<>();
        UserOperations.register(ops);
        RoleOperations.register(ops);
        ManagedPolicyOperations.register(ops);
        IdentityPolicyOperations.register(ops);
        OidcProviderOperations.register(ops);
        return ops.keySet().stream().sorted().toList();
    }

    public QueryBinding binding() {
        return binding;
    }

    @Override
    public String signingName() {
        return binding.model().signingName();
    }

    /**
     * Real SDKs sign IAM for {@code us-east-1}; the AWS SDK for Java v2 with an endpoint override and
     * {@code Region.AWS_GLOBAL} signs for the pseudo-region {@code aws-global}.
     */
    @Override
    public List<String> additionalSigningRegions() {
        return List.of("us-east-1", "aws-global");
    }

    @Override
    public boolean recognizes(ApiRequest request) {
        return binding.names(request);
    }

    @Override
    public ApiResponse handle(ApiRequest request, Caller caller) {
        try {
            QueryBinding.Call call = binding.read(request);
            String name = call.operation().name();
            IamOperation operation = operations.get(name);
            if (operation == null) {
                throw new ApiException("InvalidAction", 400, name + " is not supported by Trellis"
                        + " (see docs/api-iam-sts.md)");
            }
            ObjectNode in = call.input();
            if (name.equals("CreateOpenIDConnectProvider")) {
                // Authorize, then read the signing keys, before the transaction: no file or socket I/O under the
                // store's write lock, and nothing read for a caller who may not register providers.
                store.read(tx -> {
                    IamContext ctx = context(caller, tx);
                    ctx.authorize(name, OidcProviderOperations.arnOf(ctx, call.input()));
                    return null;
                });
                in = OidcProviderOperations.withSigningKeys(call.input());
            }
            ObjectNode input = in;
            boolean readOnly = name.startsWith("Get") || name.startsWith("List");
            ObjectNode output = readOnly
                    ? store.read(tx -> operation.execute(context(caller, tx), input))
                    : store.write(tx -> operation.execute(context(caller, tx), input));
            return binding.output(call.operation(), output, caller.requestId());
        } catch (ApiException e) {
            return binding.error(e, caller.requestId());
        } catch (StoreException e) {
            log.error("request {}: store failure", caller.requestId(), e);
            return binding.error(new ApiException("ServiceFailure", 500,
                    "The store is unavailable; retry the call (request id " + caller.requestId() + ")"),
                    caller.requestId());
        }
    }

    private IamContext context(Caller caller, StoreTransaction tx) {
        return new IamContext(caller, tx, config, clock, authorizer, identities);
    }

    @Override
    public ApiResponse error(ApiException error) {
        return binding.error(error, UUID.randomUUID().toString());
    }

    @Override
    public ApiResponse error(ApiException error, String requestId) {
        return binding.error(error, requestId);
    }
}
