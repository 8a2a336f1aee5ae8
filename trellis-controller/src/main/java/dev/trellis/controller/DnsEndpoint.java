package dev.trellis.controller;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.Version;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * ExternalDNS's {@code DNSEndpoint} ({@code externaldns.k8s.io/v1alpha1}): the records ExternalDNS's CRD source writes
 * to the DNS provider. Hand-written because it is no Gateway API type; only the fields the controller writes.
 */
@Group(DnsEndpoint.GROUP)
@Version("v1alpha1")
@Kind("DNSEndpoint")
@Plural("dnsendpoints")
public class DnsEndpoint extends CustomResource<DnsEndpoint.Spec, Void> implements Namespaced {

    private static final long serialVersionUID = 1L;
    public static final String GROUP = "externaldns.k8s.io";
    /** The CRD's name: present in a cluster where ExternalDNS's CRD source can run. */
    public static final String CRD_NAME = "dnsendpoints." + GROUP;

    /** {@code spec.endpoints}. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Spec {
        private List<Endpoint> endpoints = new ArrayList<>();

        public List<Endpoint> getEndpoints() {
            return endpoints;
        }

        public void setEndpoints(List<Endpoint> endpoints) {
            this.endpoints = endpoints;
        }
    }

    /** One record: {@code dnsName} → {@code targets} as {@code recordType}, with {@code recordTTL} seconds. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Endpoint {
        private String dnsName;
        private List<String> targets;
        private String recordType;
        private Long recordTTL;

        public Endpoint() {
        }

        public Endpoint(String dnsName, List<String> targets, String recordType, Long recordTTL) {
            this.dnsName = dnsName;
            this.targets = targets;
            this.recordType = recordType;
            this.recordTTL = recordTTL;
        }

        public String getDnsName() {
            return dnsName;
        }

        public void setDnsName(String dnsName) {
            this.dnsName = dnsName;
        }

        public List<String> getTargets() {
            return targets;
        }

        public void setTargets(List<String> targets) {
            this.targets = targets;
        }

        public String getRecordType() {
            return recordType;
        }

        public void setRecordType(String recordType) {
            this.recordType = recordType;
        }

        // the wire name is ExternalDNS's; fixed here so renaming the accessor cannot change it
        @com.fasterxml.jackson.annotation.JsonProperty("recordTTL")
        public Long getRecordTTL() {
            return recordTTL;
        }

        @com.fasterxml.jackson.annotation.JsonProperty("recordTTL")
        public void setRecordTTL(Long recordTTL) {
            this.recordTTL = recordTTL;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Endpoint e && Objects.equals(dnsName, e.dnsName) && Objects.equals(targets, e.targets)
                    && Objects.equals(recordType, e.recordType) && Objects.equals(recordTTL, e.recordTTL);
        }

        @Override
        public int hashCode() {
            return Objects.hash(dnsName, targets, recordType, recordTTL);
        }
    }
}
