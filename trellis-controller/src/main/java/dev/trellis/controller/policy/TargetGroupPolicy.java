package dev.trellis.controller.policy;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * Target-group settings for the groups made for a Service (or a ServiceExport): the protocol and protocol version
 * (fixed when a group is created) and the health check (changed in place).
 */
@Group(IAMAuthPolicy.GROUP)
@Version("v1alpha1")
@Kind("TargetGroupPolicy")
@Plural("targetgrouppolicies")
@ShortNames("tgp")
public class TargetGroupPolicy extends CustomResource<TargetGroupPolicy.Spec, PolicyStatus> implements Namespaced {

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Spec implements TargetedSpec {
        private TargetRef targetRef;
        private String protocol;
        private String protocolVersion;
        private HealthCheck healthCheck;

        @Override
        public TargetRef getTargetRef() {
            return targetRef;
        }

        public void setTargetRef(TargetRef targetRef) {
            this.targetRef = targetRef;
        }

        public String getProtocol() {
            return protocol;
        }

        public void setProtocol(String protocol) {
            this.protocol = protocol;
        }

        public String getProtocolVersion() {
            return protocolVersion;
        }

        public void setProtocolVersion(String protocolVersion) {
            this.protocolVersion = protocolVersion;
        }

        public HealthCheck getHealthCheck() {
            return healthCheck;
        }

        public void setHealthCheck(HealthCheck healthCheck) {
            this.healthCheck = healthCheck;
        }
    }

    /** The AWS controller's {@code healthCheck} block; unset fields keep Lattice's defaults. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class HealthCheck {
        private Boolean enabled;
        private Integer intervalSeconds;
        private Integer timeoutSeconds;
        private Integer healthyThresholdCount;
        private Integer unhealthyThresholdCount;
        private String statusMatch;
        private String path;
        private Integer port;
        private String protocol;
        private String protocolVersion;

        public Boolean getEnabled() {
            return enabled;
        }

        public void setEnabled(Boolean enabled) {
            this.enabled = enabled;
        }

        public Integer getIntervalSeconds() {
            return intervalSeconds;
        }

        public void setIntervalSeconds(Integer intervalSeconds) {
            this.intervalSeconds = intervalSeconds;
        }

        public Integer getTimeoutSeconds() {
            return timeoutSeconds;
        }

        public void setTimeoutSeconds(Integer timeoutSeconds) {
            this.timeoutSeconds = timeoutSeconds;
        }

        public Integer getHealthyThresholdCount() {
            return healthyThresholdCount;
        }

        public void setHealthyThresholdCount(Integer healthyThresholdCount) {
            this.healthyThresholdCount = healthyThresholdCount;
        }

        public Integer getUnhealthyThresholdCount() {
            return unhealthyThresholdCount;
        }

        public void setUnhealthyThresholdCount(Integer unhealthyThresholdCount) {
            this.unhealthyThresholdCount = unhealthyThresholdCount;
        }

        public String getStatusMatch() {
            return statusMatch;
        }

        public void setStatusMatch(String statusMatch) {
            this.statusMatch = statusMatch;
        }

        public String getPath() {
            return path;
        }

        public void setPath(String path) {
            this.path = path;
        }

        public Integer getPort() {
            return port;
        }

        public void setPort(Integer port) {
            this.port = port;
        }

        public String getProtocol() {
            return protocol;
        }

        public void setProtocol(String protocol) {
            this.protocol = protocol;
        }

        public String getProtocolVersion() {
            return protocolVersion;
        }

        public void setProtocolVersion(String protocolVersion) {
            this.protocolVersion = protocolVersion;
        }
    }
}
