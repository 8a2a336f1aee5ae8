package dev.trellis.controller;

/** Tag keys the AWS controller puts on what it creates (controller-facts §2); Trellis writes the same ones. */
final class LatticeTags {

    static final String PREFIX = "application-networking.k8s.aws/";
    static final String MANAGED_BY = PREFIX + "ManagedBy";
    static final String ROUTE_NAME = PREFIX + "RouteName";
    static final String ROUTE_NAMESPACE = PREFIX + "RouteNamespace";
    static final String ROUTE_TYPE = PREFIX + "RouteType";
    static final String CLUSTER_NAME = PREFIX + "ClusterName";
    static final String SERVICE_NAME = PREFIX + "ServiceName";
    static final String SERVICE_NAMESPACE = PREFIX + "ServiceNamespace";
    static final String SOURCE_TYPE = PREFIX + "SourceTypeKey";
    static final String PROTOCOL_VERSION = PREFIX + "ProtocolVersion";

    private LatticeTags() {
    }
}
