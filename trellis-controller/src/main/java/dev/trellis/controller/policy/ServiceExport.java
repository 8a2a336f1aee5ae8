package dev.trellis.controller.policy;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.Version;
import java.util.List;

/**
 * Exports a Service of the same name and namespace across clusters: a standalone target group per exported port,
 * tagged so a ServiceImport in another cluster can find it. Acted on only with the annotation
 * {@code application-networking.k8s.aws/federation: amazon-vpc-lattice}, as the AWS controller does.
 */
@Group(ServiceExport.GROUP)
@Version("v1alpha1")
@Kind("ServiceExport")
@Plural("serviceexports")
public class ServiceExport extends CustomResource<ServiceExport.Spec, ServiceExport.Status> implements Namespaced {

    public static final String GROUP = "application-networking.k8s.aws";

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Spec {
        private List<ExportedPort> exportedPorts;

        public List<ExportedPort> getExportedPorts() {
            return exportedPorts;
        }

        public void setExportedPorts(List<ExportedPort> exportedPorts) {
            this.exportedPorts = exportedPorts;
        }
    }

    /** A Service port to export and the kind of route that will use it (HTTP, GRPC or TLS). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class ExportedPort {
        private Integer port;
        private String routeType;

        public Integer getPort() {
            return port;
        }

        public void setPort(Integer port) {
            this.port = port;
        }

        public String getRouteType() {
            return routeType;
        }

        public void setRouteType(String routeType) {
            this.routeType = routeType;
        }
    }

    /** The AWS controller's ServiceExport status: conditions of types {@code Valid} / {@code Conflict}. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Status {
        private List<io.fabric8.kubernetes.api.model.Condition> conditions;

        public List<io.fabric8.kubernetes.api.model.Condition> getConditions() {
            return conditions;
        }

        public void setConditions(List<io.fabric8.kubernetes.api.model.Condition> conditions) {
            this.conditions = conditions;
        }
    }
}
