package dev.trellis.controller;

import dev.trellis.controller.policy.ServiceExport;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.vpclattice.VpcLatticeClient;
import software.amazon.awssdk.services.vpclattice.model.TargetGroupConfig;
import software.amazon.awssdk.services.vpclattice.model.TargetGroupSummary;
import software.amazon.awssdk.services.vpclattice.model.TargetGroupType;

/**
 * ServiceExport → one standalone IP target group in the cluster VPC per exported port, holding the Service's ready
 * endpoints and tagged ({@code SourceTypeKey=ServiceExport}, ServiceName, ServiceNamespace, ClusterName, ManagedBy) so
 * a ServiceImport in any cluster sharing the account finds it ({@link ServiceImportResolver}). As the AWS controller,
 * only exports annotated {@code application-networking.k8s.aws/federation: amazon-vpc-lattice} are acted on. Status:
 * condition {@code Valid} (True, or False with NotFederated, ServiceNotFound or InvalidPort). Each cluster's groups
 * carry its own name and VPC, so exports of one Service from several clusters never collide (no {@code Conflict}).
 * Deleting the export deletes its groups.
 */
@ControllerConfiguration(name = "serviceexport")
public final class ServiceExportReconciler implements Reconciler<ServiceExport>, Cleaner<ServiceExport> {

    public static final String FINALIZER = "serviceexport.k8s.aws/resources";
    public static final String FEDERATION_ANNOTATION = LatticeTags.PREFIX + "federation";
    public static final String FEDERATION_VALUE = "amazon-vpc-lattice";
    /** Legacy: the exported port(s), one or a comma list, when spec.exportedPorts is empty. */
    public static final String PORT_ANNOTATION = LatticeTags.PREFIX + "port";
    /** The Service to export when it is not named as the export. */
    public static final String SERVICE_NAME_ANNOTATION = LatticeTags.PREFIX + "service-name";
    static final String SOURCE_TYPE = "ServiceExport";

    private static final Logger log = LoggerFactory.getLogger(ServiceExportReconciler.class);

    /** One group to export: a Service port and the kind of route that will use it. */
    private record Export(ServicePort port, String routeType) {
    }

    private final KubernetesClient client;
    private final VpcLatticeClient lattice;
    private final ControllerConfig config;
    private final RouteModelBuilder targets;
    private final LatticeServiceDeployer deployer;
    /** Null when the TargetGroupPolicy CRD is not installed. */
    private final TargetGroupPolicies policies;
    private final ControllerEvents events;
    private final Clock clock;

    ServiceExportReconciler(KubernetesClient client, VpcLatticeClient lattice, ControllerConfig config,
            RouteModelBuilder targets, LatticeServiceDeployer deployer, TargetGroupPolicies policies, ControllerEvents events,
            Clock clock) {
        this.events = events;
        this.client = client;
        this.lattice = lattice;
        this.config = config;
        this.targets = targets;
        this.deployer = deployer;
        this.policies = policies;
        this.clock = clock;
    }

    static boolean federated(ServiceExport export) {
        Map<String, String> annotations = export.getMetadata().getAnnotations();
        return annotations != null && FEDERATION_VALUE.equals(annotations.get(FEDERATION_ANNOTATION));
    }

    static String serviceName(ServiceExport export) {
        Map<String, String> annotations = export.getMetadata().getAnnotations();
        String override = annotations == null ? null : annotations.get(SERVICE_NAME_ANNOTATION);
        return override == null || override.isBlank() ? export.getMetadata().getName() : override.trim();
    }

    @Override
    public UpdateControl<ServiceExport> reconcile(ServiceExport export, Context<ServiceExport> context) {
        String namespace = export.getMetadata().getNamespace();
        String name = serviceName(export);
        if (!federated(export)) {
            // not ours to act on (the AWS controller's rule); whatever an earlier federated version made goes
            collect(namespace, export.getMetadata().getName(), Set.of());
            return status(export, false, "NotFederated", "add the annotation " + FEDERATION_ANNOTATION + ": "
                    + FEDERATION_VALUE + " to export " + namespace + "/" + name);
        }
        Service service = client.services().inNamespace(namespace).withName(name).get();
        if (service == null) {
            collect(namespace, export.getMetadata().getName(), Set.of());
            return status(export, false, "ServiceNotFound", "Service " + namespace + "/" + name + " not found");
        }
        List<Export> exports = new ArrayList<>();
        String problem = exports(export, service, exports);
        if (problem != null) {
            return status(export, false, "InvalidPort", problem);
        }
        Set<String> keep = new HashSet<>();
        for (Export wanted : exports) {
            String groupName = LatticeNames.targetGroupName(config.clusterName(), config.clusterVpcId(), namespace,
                    "serviceexport/" + export.getMetadata().getName(), namespace, name, wanted.port().getPort());
            keep.add(groupName);
            String id = ensureGroup(export, name, groupName, wanted);
            deployer.syncTargets(id, targets.targets(namespace, name, wanted.port()));
        }
        collect(namespace, export.getMetadata().getName(), keep);
        return status(export, true, "Valid", "exported as " + keep.stream().sorted().toList());
    }

    /** The ports to export: spec.exportedPorts, else the port annotation, else every Service port (as HTTP). */
    private static String exports(ServiceExport export, Service service, List<Export> out) {
        List<ServicePort> ports = service.getSpec() == null || service.getSpec().getPorts() == null ? List.of()
                : service.getSpec().getPorts();
        Map<Integer, String> wanted = new java.util.LinkedHashMap<>();
        if (export.getSpec() != null && export.getSpec().getExportedPorts() != null
                && !export.getSpec().getExportedPorts().isEmpty()) {
            for (ServiceExport.ExportedPort port : export.getSpec().getExportedPorts()) {
                String type = port.getRouteType() == null ? "HTTP" : port.getRouteType();
                if (port.getPort() == null || !Set.of("HTTP", "GRPC", "TLS").contains(type)) {
                    return "exportedPorts entries need a port and a routeType of HTTP, GRPC or TLS";
                }
                wanted.put(port.getPort(), type);
            }
        } else {
            String legacy = export.getMetadata().getAnnotations() == null ? null
                    : export.getMetadata().getAnnotations().get(PORT_ANNOTATION);
            if (legacy != null && !legacy.isBlank()) {
                for (String part : legacy.split(",")) {
                    try {
                        wanted.put(Integer.parseInt(part.trim()), "HTTP");
                    } catch (NumberFormatException e) {
                        return "annotation " + PORT_ANNOTATION + " must be a port or a comma list of ports, got '" + legacy + "'";
                    }
                }
            } else {
                ports.forEach(p -> wanted.put(p.getPort(), "HTTP"));
            }
        }
        for (var entry : wanted.entrySet()) {
            Optional<ServicePort> port = ports.stream().filter(p -> Objects.equals(p.getPort(), entry.getKey())).findFirst();
            if (port.isEmpty()) {
                return "Service " + service.getMetadata().getName() + " has no port " + entry.getKey();
            }
            out.add(new Export(port.get(), entry.getValue()));
        }
        return out.isEmpty() ? "Service " + service.getMetadata().getName() + " has no ports" : null;
    }

    private String ensureGroup(ServiceExport export, String serviceName, String groupName, Export wanted) {
        Optional<TargetGroupSummary> existing = lattice.listTargetGroupsPaginator(r -> r.vpcIdentifier(config.clusterVpcId()))
                .items().stream().filter(g -> groupName.equals(g.name())).findFirst();
        if (existing.isPresent()) {
            return existing.get().id();
        }
        String protocol = "TLS".equals(wanted.routeType()) ? "TCP" : "HTTP";
        String version = switch (wanted.routeType()) {
            case "GRPC" -> "GRPC";
            case "TLS" -> null;
            default -> "HTTP1";
        };
        // port 80 is a placeholder, as for route groups: each target carries its own port
        TargetGroupConfig.Builder groupConfig = TargetGroupConfig.builder().port(80).protocol(protocol)
                .protocolVersion(version).vpcIdentifier(config.clusterVpcId());
        if ("TLS".equals(wanted.routeType())) {
            groupConfig.healthCheck(h -> h.enabled(false));
        } else if (policies != null) {
            policies.adjust(export.getMetadata().getNamespace(), serviceName, groupConfig);
        }
        Map<String, String> tags = new HashMap<>();
        tags.put(LatticeTags.MANAGED_BY, config.managedBy());
        tags.put(LatticeTags.CLUSTER_NAME, config.clusterName());
        tags.put(LatticeTags.SERVICE_NAME, serviceName);
        tags.put(LatticeTags.SERVICE_NAMESPACE, export.getMetadata().getNamespace());
        tags.put(LatticeTags.SOURCE_TYPE, SOURCE_TYPE);
        tags.put(LatticeTags.PROTOCOL_VERSION, version == null ? "TCP" : version);
        tags.put(ServiceExportReconciler.EXPORT_TAG, export.getMetadata().getName());
        String id = lattice.createTargetGroup(r -> r.name(groupName).type(TargetGroupType.IP).config(groupConfig.build())
                .tags(tags)).id();
        log.info("ServiceExport {}/{}: created target group {} ({})", export.getMetadata().getNamespace(),
                export.getMetadata().getName(), groupName, id);
        return id;
    }

    /** Tag naming the ServiceExport that made a group, so its deletion finds exactly its groups. */
    static final String EXPORT_TAG = LatticeTags.PREFIX + "ServiceExportName";

    /** Deletes this export's groups (by tags) whose names are not in {@code keep}, targets deregistered first. */
    private void collect(String namespace, String exportName, Set<String> keep) {
        for (TargetGroupSummary group : lattice.listTargetGroupsPaginator(r -> r.vpcIdentifier(config.clusterVpcId())).items()) {
            if (group.name() == null || !group.name().startsWith("k8s-") || keep.contains(group.name())) {
                continue;
            }
            Map<String, String> tags = lattice.listTagsForResource(r -> r.resourceArn(group.arn())).tags();
            if (!config.managedBy().equals(tags.get(LatticeTags.MANAGED_BY)) || !SOURCE_TYPE.equals(tags.get(LatticeTags.SOURCE_TYPE))
                    || !namespace.equals(tags.get(LatticeTags.SERVICE_NAMESPACE)) || !exportName.equals(tags.get(EXPORT_TAG))) {
                continue;
            }
            deployer.deleteTargetGroup(group);
            log.info("ServiceExport {}/{}: deleted target group {}", namespace, exportName, group.name());
        }
    }

    private UpdateControl<ServiceExport> status(ServiceExport export, boolean valid, String reason, String message) {
        ServiceExport.Status before = export.getStatus();
        List<Condition> previous = before == null ? null : before.getConditions();
        List<Condition> conditions = Conditions.set(previous, "Valid", valid, reason, message,
                export.getMetadata().getGeneration(), clock);
        if (conditions.equals(previous)) {
            // not generation-aware (annotations matter), so an unchanged status is not written again
            return UpdateControl.noUpdate();
        }
        ServiceExport.Status status = new ServiceExport.Status();
        status.setConditions(conditions);
        events.statusChanged(export, before, status);
        export.setStatus(status);
        return UpdateControl.patchStatus(export);
    }

    @Override
    public DeleteControl cleanup(ServiceExport export, Context<ServiceExport> context) {
        try {
            collect(export.getMetadata().getNamespace(), export.getMetadata().getName(), Set.of());
        } catch (RuntimeException e) {
            // typically a group still used by another cluster's route (ConflictException): retried, then given up
            if (ControllerRetry.givesUp(context)) {
                log.error("ServiceExport {}/{}: giving up deleting its target groups; they may remain",
                        export.getMetadata().getNamespace(), export.getMetadata().getName(), e);
                return DeleteControl.defaultDelete();
            }
            throw e;
        }
        return DeleteControl.defaultDelete();
    }

    /** Endpoint and Service changes re-run the export of that Service. */
    @Override
    public List<EventSource<?, ServiceExport>> prepareEventSources(EventSourceContext<ServiceExport> context) {
        var slices = new InformerEventSource<>(InformerEventSourceConfiguration.from(EndpointSlice.class, ServiceExport.class)
                .withName("serviceexport-endpointslices")
                .withSecondaryToPrimaryMapper(slice -> {
                    Map<String, String> labels = slice.getMetadata().getLabels();
                    String service = labels == null ? null : labels.get("kubernetes.io/service-name");
                    return service == null ? Set.of() : exportsOf(context, slice.getMetadata().getNamespace(), service);
                })
                .build(), context);
        var services = new InformerEventSource<>(InformerEventSourceConfiguration.from(Service.class, ServiceExport.class)
                .withName("serviceexport-services")
                .withSecondaryToPrimaryMapper(service -> exportsOf(context, service.getMetadata().getNamespace(),
                        service.getMetadata().getName()))
                .build(), context);
        return List.of(slices, services);
    }

    private static Set<ResourceID> exportsOf(EventSourceContext<ServiceExport> context, String namespace, String service) {
        return context.getPrimaryCache().list(e -> namespace.equals(e.getMetadata().getNamespace())
                        && service.equals(serviceName(e)))
                .map(ResourceID::fromResource).collect(Collectors.toSet());
    }
}
