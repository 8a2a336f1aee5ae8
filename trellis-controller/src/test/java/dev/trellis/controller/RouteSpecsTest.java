package dev.trellis.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.gatewayapi.v1.GRPCRouteSpec;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GRPCRouteSpecBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteMatch;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteSpec;
import org.junit.jupiter.api.Test;

/** The GRPCRoute → HTTPRoute-shape translation and the wildcard rule, without a cluster. */
class RouteSpecsTest {

    @Test
    void grpcMethodMatchesBecomePostWithExactPrefixOrInexpressiblePaths() {
        GRPCRouteSpec grpc = new GRPCRouteSpecBuilder()
                .addNewRule().addNewMatch().withNewMethod().withService("pkg.Svc").withMethod("Get").endMethod()
                .addNewHeader().withName("x-tenant").withValue("a").endHeader().endMatch()
                .addNewBackendRef().withName("svc").withPort(50051).withWeight(3).endBackendRef().endRule()
                .addNewRule().addNewMatch().withNewMethod().withService("pkg.Svc").endMethod().endMatch().endRule()
                .addNewRule().addNewMatch().withNewMethod().withMethod("Get").endMethod().endMatch().endRule()
                .addNewRule().addNewMatch().withNewMethod().withType("RegularExpression").withService("pkg.*")
                .endMethod().endMatch().endRule()
                .addNewRule().endRule()
                .build();

        HTTPRouteSpec http = RouteSpecs.fromGrpc(grpc);

        HTTPRouteMatch exact = http.getRules().get(0).getMatches().get(0);
        assertThat(exact.getMethod()).isEqualTo("POST");
        assertThat(exact.getPath().getType() + " " + exact.getPath().getValue()).isEqualTo("Exact /pkg.Svc/Get");
        assertThat(exact.getHeaders()).singleElement().satisfies(h -> assertThat(h.getName() + "=" + h.getValue())
                .isEqualTo("x-tenant=a"));
        assertThat(http.getRules().get(0).getBackendRefs()).singleElement().satisfies(b ->
                assertThat(b.getName() + ":" + b.getPort() + "@" + b.getWeight()).isEqualTo("svc:50051@3"));
        HTTPRouteMatch prefix = http.getRules().get(1).getMatches().get(0);
        assertThat(prefix.getPath().getType() + " " + prefix.getPath().getValue()).isEqualTo("PathPrefix /pkg.Svc/");
        assertThat(http.getRules().get(2).getMatches().get(0).getPath().getType()).isEqualTo(RouteSpecs.INEXPRESSIBLE);
        assertThat(http.getRules().get(3).getMatches().get(0).getPath().getType()).isEqualTo(RouteSpecs.INEXPRESSIBLE);
        assertThat(http.getRules().get(4).getMatches()).isNull(); // no match: prefix "/" in the builder
    }

    @Test
    void aWildcardCertificateNameCoversExactlyOneLabel() {
        assertThat(CustomDomains.wildcardCovers("*.example.com", "a.example.com")).isTrue();
        assertThat(CustomDomains.wildcardCovers("*.Example.com", "A.example.COM")).isTrue();
        assertThat(CustomDomains.wildcardCovers("*.example.com", "example.com")).isFalse();
        assertThat(CustomDomains.wildcardCovers("*.example.com", "a.b.example.com")).isFalse();
        assertThat(CustomDomains.wildcardCovers("example.com", "example.com")).isFalse();
    }
}
