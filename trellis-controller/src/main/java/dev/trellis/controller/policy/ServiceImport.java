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
 * A Service exported from some cluster (by a ServiceExport of the same name and namespace), usable as a route
 * backendRef of kind ServiceImport: it resolves to the exported target groups.
 */
@Group(ServiceExport.GROUP)
@Version("v1alpha1")
@Kind("ServiceImport")
@Plural("serviceimports")
public class ServiceImport extends CustomResource<ServiceImport.Spec, ServiceImport.Status> implements Namespaced {

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Spec {
        private String type;
        private List<Port> ports;

        public String getType() {
            return type;
        }

        public void setType(String type) {
            this.type = type;
        }

        public List<Port> getPorts() {
            return ports;
        }

        public void setPorts(List<Port> ports) {
            this.ports = ports;
        }
    }

    /** An imported port (as the MCS API's ServicePort). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Port {
        private String name;
        private String protocol;
        private String appProtocol;
        private Integer port;

        public String getName() {
            return name;
        }

        public void setName(String name) {
            this.name = name;
        }

        public String getProtocol() {
            return protocol;
        }

        public void setProtocol(String protocol) {
            this.protocol = protocol;
        }

        public String getAppProtocol() {
            return appProtocol;
        }

        public void setAppProtocol(String appProtocol) {
            this.appProtocol = appProtocol;
        }

        public Integer getPort() {
            return port;
        }

        public void setPort(Integer port) {
            this.port = port;
        }
    }

    /** The clusters exporting it, as the MCS API's status names them. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Status {
        private List<Cluster> clusters;

        public List<Cluster> getClusters() {
            return clusters;
        }

        public void setClusters(List<Cluster> clusters) {
            this.clusters = clusters;
        }
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Cluster {
        private String cluster;

        public String getCluster() {
            return cluster;
        }

        public void setCluster(String cluster) {
            this.cluster = cluster;
        }
    }
}
