package dev.trellis.controlplane.acm;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trellis.controlplane.ControlPlaneConfig;
import dev.trellis.controlplane.api.AwsService;
import dev.trellis.controlplane.api.Caller;
import dev.trellis.controlplane.api.OperationAuthorizer;
import dev.trellis.controlplane.pki.InternalCa;
import dev.trellis.controlplane.pki.MasterKey;
import dev.trellis.controlplane.protocol.ApiException;
import dev.trellis.controlplane.protocol.ApiRequest;
import dev.trellis.controlplane.protocol.ApiResponse;
import dev.trellis.controlplane.protocol.Json11Binding;
import dev.trellis.controlplane.protocol.OperationModel;
import dev.trellis.controlplane.protocol.ServiceModel;
import dev.trellis.controlplane.store.Store;
import dev.trellis.controlplane.store.StoreException;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ACM API (AWS Certificate Manager, JSON 1.1, signing name {@code acm}): certificates imported with their keys
 * or issued by Trellis's {@link InternalCa}, described, listed, tagged and deleted as ACM does. Each call is
 * authorized as {@code acm:<Operation>} on the certificate's ARN ({@code *} for ListCertificates). See
 * docs/api-acm.md for each operation and what is not supported.
 */
public final class AcmService implements AwsService {

    private static final Logger log = LoggerFactory.getLogger(AcmService.class);
    public static final String MODEL = "acm-2015-12-08";

    private final ServiceModel model;
    private final Json11Binding binding;
    private final Store store;
    private final ControlPlaneConfig config;
    private final Clock clock;
    private final OperationAuthorizer authorizer;
    private final InternalCa ca;
    private final MasterKey masterKey;
    private final CertificateUsers users;
    private final Map<String, AcmOperation> operations;

    public AcmService(Store store, ControlPlaneConfig config, Clock clock, OperationAuthorizer authorizer,
                      InternalCa ca, MasterKey masterKey, CertificateUsers users) {
        this.model = ServiceModel.load(MODEL);
        this.binding = new Json11Binding(model, new ObjectMapper());
        this.store = store;
        this.config = config;
        this.clock = clock;
        this.authorizer = authorizer;
        this.ca = ca;
        this.masterKey = masterKey;
        this.users = users;
        Map<String, AcmOperation> ops = new LinkedHashMap<>();
        new CertificateOperations().register(ops);
        new CertificateTagOperations().register(ops);
        for (String name : ops.keySet()) {
            model.operation(name); // fails fast on a name the model does not have
        }
        this.operations = Map.copyOf(ops);
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
            OperationModel op = binding.operation(request);
            AcmOperation operation = operations.get(op.name());
            if (operation == null) {
                throw AcmErrors.validation(op.name() + " is not supported by Trellis (see docs/api-acm.md)");
            }
            ObjectNode input = binding.input(op, request);
            AcmContext context = new AcmContext(caller, store, config, clock, authorizer, ca, masterKey, users);
            return binding.output(op, operation.execute(context, input));
        } catch (ApiException e) {
            return error(e);
        } catch (StoreException e) {
            log.error("request {}: store failure", caller.requestId(), e);
            return binding.error(new ApiException("ServiceUnavailableException", 503,
                    "The store is unavailable; retry the call (request id " + caller.requestId() + ")"));
        } catch (MasterKey.WrongMasterKeyException e) {
            log.error("request {}: {}", caller.requestId(), e.getMessage());
            return binding.error(new ApiException("InternalFailure", 500, "A stored private key cannot be"
                    + " decrypted with this control plane's master key (request id " + caller.requestId() + ")"));
        }
    }

    @Override
    public boolean recognizes(ApiRequest request) {
        String target = request.header("X-Amz-Target");
        return target != null && target.startsWith(model.targetPrefix() + ".");
    }

    /** Renders an error; client errors are 400 in JSON 1.1 services, AccessDeniedException included. */
    @Override
    public ApiResponse error(ApiException error) {
        if (error.status() >= 400 && error.status() < 500 && error.status() != AcmErrors.CLIENT_ERROR) {
            error = new ApiException(error.code(), AcmErrors.CLIENT_ERROR, error.getMessage(), error.members());
        }
        return binding.error(error);
    }
}
