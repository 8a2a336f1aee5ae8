package dev.trellis.controller;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Arrays;

/**
 * CustomResourceDefinition objects as a cluster with these kinds installed has them (name, group, kind, served
 * versions; no schema: the mock server does not validate). The controller reads them to decide what to watch.
 */
final class GatewayApiCrds {

    private GatewayApiCrds() {
    }

    static void install(KubernetesClient client, String group, String plural, String kind, String... versions) {
        CustomResourceDefinitionVersion[] served = Arrays.stream(versions)
                .map(v -> new CustomResourceDefinitionVersionBuilder().withName(v).withServed(true)
                        .withStorage(v.equals(versions[0])).build())
                .toArray(CustomResourceDefinitionVersion[]::new);
        CustomResourceDefinition crd = new CustomResourceDefinitionBuilder()
                .withNewMetadata().withName(plural + "." + group).endMetadata()
                .withNewSpec().withGroup(group).withScope("Namespaced")
                .withNewNames().withPlural(plural).withKind(kind).endNames()
                .withVersions(served).endSpec().build();
        client.apiextensions().v1().customResourceDefinitions().resource(crd).create();
    }

    /** GRPCRoute (v1 and v1alpha2) and TLSRoute (v1alpha2), as Gateway API's experimental channel installs them. */
    static void installGrpcAndTlsRoutes(KubernetesClient client) {
        install(client, GatewayApiObjects.GROUP, "grpcroutes", "GRPCRoute", "v1", "v1alpha2");
        install(client, GatewayApiObjects.GROUP, "tlsroutes", "TLSRoute", "v1alpha2");
    }
}
