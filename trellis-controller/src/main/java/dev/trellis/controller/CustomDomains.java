package dev.trellis.controller;

import dev.trellis.controller.LatticeServiceDeployer.Deployed;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.acm.AcmClient;
import software.amazon.awssdk.services.acm.model.CertificateDetail;
import software.amazon.awssdk.services.acm.model.CertificateStatus;
import software.amazon.awssdk.services.acm.model.KeyAlgorithm;

/**
 * Everything about a route's custom domain ({@code spec.hostnames[0]}) beyond the Lattice service itself: the ACM
 * certificate an HTTPS listener without the certificate-arn option is served with, the notice that a changed hostname
 * cannot be applied (Lattice fixes a service's custom domain at creation), and the ExternalDNS {@link DnsEndpoint}
 * that points the custom domain at the service's generated name. Findings that do not stop the route are returned as
 * notes, which the reconciler puts in the Accepted condition's message.
 */
final class CustomDomains {

    private static final Logger log = LoggerFactory.getLogger(CustomDomains.class);
    /** The AWS controller's DNSEndpoint name suffix and record TTL (controller-facts §2 "DNSEndpoint for ExternalDNS"). */
    static final String DNS_ENDPOINT_SUFFIX = "-dns";
    static final long DNS_RECORD_TTL = 300;
    /** Labels on the DNSEndpoints the controller writes (Trellis's choice: the AWS controller sets none). */
    static final String ROUTE_NAME_LABEL = "application-networking.k8s.aws/route-name";
    static final String ROUTE_KIND_LABEL = "application-networking.k8s.aws/route-kind";

    private final KubernetesClient client;
    private final AcmClient acm;

    /** @param acm the ACM API to search certificates in, or null to never search (Lattice's certificate then serves) */
    CustomDomains(KubernetesClient client, AcmClient acm) {
        this.client = client;
        this.acm = acm;
    }

    /**
     * The model with the certificate an HTTPS listener needs when no listener names one: the ISSUED ACM certificate
     * whose domain name or SANs cover the custom domain (a wildcard covers one label), an exact name before a wildcard,
     * the newest first (controller-facts §2). None found: the model as it is (Lattice's managed certificate for the
     * generated name serves), with a note saying so.
     */
    RouteModel withCertificate(RouteModel model, List<String> notes) {
        String host = model.customDomainName();
        if (acm == null || model.certificateArn() != null || host == null
                || model.listeners().stream().noneMatch(l -> "HTTPS".equals(l.protocol()))) {
            return model;
        }
        Optional<String> found;
        try {
            found = findCertificate(host);
        } catch (SdkException e) {
            // a route must not fail because ACM cannot be read (permissions, endpoint): say it and serve as without
            log.warn("route {}/{}: ACM could not be searched for {}: {}", model.routeNamespace(), model.routeName(), host,
                    e.getMessage());
            notes.add("ACM could not be searched for a certificate for " + host + " (" + e.getMessage()
                    + "); the HTTPS listener serves VPC Lattice's certificate for the generated domain name only");
            return model;
        }
        if (found.isEmpty()) {
            notes.add("no ISSUED ACM certificate covers " + host + "; the HTTPS listener serves VPC Lattice's certificate"
                    + " for the generated domain name only (import or request one for " + host + ", or set the listener"
                    + " option " + RouteModelBuilder.CERTIFICATE_ARN_OPTION + ")");
            return model;
        }
        notes.add("HTTPS for " + host + " is served with ACM certificate " + found.get() + " (found by hostname)");
        return new RouteModel(model.routeNamespace(), model.routeName(), model.routeKind(), model.serviceName(),
                model.customDomainName(), found.get(), model.listeners(), model.rules(), model.targetGroups(),
                model.serviceNetworkNames());
    }

    /** Whether {@code model} (after {@link #withCertificate}) would take an ACM certificate for its hostname but has none. */
    boolean awaitsCertificate(RouteModel model) {
        return acm != null && model.certificateArn() == null && model.customDomainName() != null
                && model.listeners().stream().anyMatch(l -> "HTTPS".equals(l.protocol()));
    }

    private Optional<String> findCertificate(String host) {
        record Candidate(String arn, boolean exact, Instant issued) {
        }
        // ListCertificates lists RSA_2048 (and RSA_1024) keys unless asked for others
        var summaries = acm.listCertificatesPaginator(r -> r.certificateStatuses(CertificateStatus.ISSUED)
                .includes(f -> f.keyTypes(KeyAlgorithm.RSA_2048, KeyAlgorithm.RSA_3072, KeyAlgorithm.RSA_4096,
                        KeyAlgorithm.EC_PRIME256_V1, KeyAlgorithm.EC_SECP384_R1, KeyAlgorithm.EC_SECP521_R1)))
                .certificateSummaryList();
        return summaries.stream()
                .map(s -> acm.describeCertificate(r -> r.certificateArn(s.certificateArn())).certificate())
                .filter(c -> c.status() == CertificateStatus.ISSUED)
                .flatMap(c -> {
                    List<String> names = Stream.concat(Stream.ofNullable(c.domainName()),
                            c.subjectAlternativeNames() == null ? Stream.empty() : c.subjectAlternativeNames().stream())
                            .toList();
                    if (names.stream().anyMatch(n -> n.equalsIgnoreCase(host))) {
                        return Stream.of(new Candidate(c.certificateArn(), true, issued(c)));
                    }
                    if (names.stream().anyMatch(n -> wildcardCovers(n, host))) {
                        return Stream.of(new Candidate(c.certificateArn(), false, issued(c)));
                    }
                    return Stream.empty();
                })
                .sorted(Comparator.comparing(Candidate::exact).reversed()
                        .thenComparing(Candidate::issued, Comparator.reverseOrder()))
                .map(Candidate::arn)
                .findFirst();
    }

    private static Instant issued(CertificateDetail c) {
        return Stream.of(c.issuedAt(), c.importedAt(), c.createdAt()).filter(Objects::nonNull).findFirst()
                .orElse(Instant.EPOCH);
    }

    /** {@code *.example.com} covers {@code a.example.com}, not {@code example.com} nor {@code a.b.example.com}. */
    static boolean wildcardCovers(String pattern, String host) {
        if (!pattern.startsWith("*.")) {
            return false;
        }
        String h = host.toLowerCase(Locale.ROOT);
        int dot = h.indexOf('.');
        return dot > 0 && h.substring(dot + 1).equals(pattern.substring(2).toLowerCase(Locale.ROOT));
    }

    /**
     * After a deploy: a note when the route's hostname differs from the custom domain the service has (Lattice cannot
     * change it, so the route keeps being served under the old one), and the DNSEndpoint for the custom domain the
     * service really has.
     */
    void afterDeploy(HasMetadata route, RouteKind kind, RouteModel model, Deployed deployed, List<String> notes) {
        String wanted = model.customDomainName();
        String actual = deployed.customDomainName();
        if (!Objects.equals(lower(wanted), lower(actual))) {
            notes.add((wanted == null ? "spec.hostnames is empty" : "spec.hostnames[0] is " + wanted)
                    + " but VPC Lattice service " + model.serviceName() + " keeps "
                    + (actual == null ? "no custom domain name" : "the custom domain name " + actual)
                    + ": Lattice fixes it when the service is created. Delete and re-create the route, or give it a new"
                    + " service with the annotation " + LatticeNames.SERVICE_NAME_OVERRIDE + ", to apply the change");
        }
        try {
            syncDnsEndpoint(route, kind, actual, deployed.domainName(), notes);
        } catch (KubernetesClientException e) {
            // the service is deployed; a DNS record the controller may not write (RBAC) must not fail the route
            log.warn("route {}/{}: DNSEndpoint {} could not be written: {}", route.getMetadata().getNamespace(),
                    route.getMetadata().getName(), dnsEndpointName(route), e.getMessage());
            notes.add("DNSEndpoint " + dnsEndpointName(route) + " could not be written: " + e.getMessage());
        }
    }

    /**
     * Removes the route's DNSEndpoint (when the CRD exists and the object is this route's). A failure is logged, not
     * thrown: the owner reference lets Kubernetes' garbage collector remove it, so it must not hold up the route's
     * deletion.
     */
    void removeDnsEndpoint(HasMetadata route) {
        try {
            deleteDnsEndpoint(route);
        } catch (KubernetesClientException e) {
            log.warn("route {}/{}: DNSEndpoint {} could not be deleted: {}", route.getMetadata().getNamespace(),
                    route.getMetadata().getName(), dnsEndpointName(route), e.getMessage());
        }
    }

    private void deleteDnsEndpoint(HasMetadata route) {
        if (!dnsEndpointCrdExists()) {
            return;
        }
        var resource = client.resources(DnsEndpoint.class).inNamespace(route.getMetadata().getNamespace())
                .withName(dnsEndpointName(route));
        DnsEndpoint existing = resource.get();
        if (existing != null && ownedBy(existing, route)) {
            resource.delete();
            log.info("route {}/{}: deleted DNSEndpoint {}", route.getMetadata().getNamespace(),
                    route.getMetadata().getName(), existing.getMetadata().getName());
        }
    }

    private void syncDnsEndpoint(HasMetadata route, RouteKind kind, String customDomain, String generatedName,
            List<String> notes) {
        if (!dnsEndpointCrdExists()) {
            return; // ExternalDNS's CRD source is not installed: nothing to write, and no error (controller-facts §2)
        }
        if (customDomain == null || generatedName == null) {
            deleteDnsEndpoint(route);
            return;
        }
        String namespace = route.getMetadata().getNamespace();
        String name = dnsEndpointName(route);
        List<DnsEndpoint.Endpoint> wanted = List.of(new DnsEndpoint.Endpoint(customDomain, List.of(generatedName), "CNAME",
                DNS_RECORD_TTL));
        var resource = client.resources(DnsEndpoint.class).inNamespace(namespace).withName(name);
        DnsEndpoint existing = resource.get();
        if (existing == null) {
            DnsEndpoint created = new DnsEndpoint();
            created.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace)
                    .withLabels(Map.of(ROUTE_NAME_LABEL, route.getMetadata().getName(), ROUTE_KIND_LABEL, kind.kind()))
                    .withOwnerReferences(owner(route)).build());
            DnsEndpoint.Spec spec = new DnsEndpoint.Spec();
            spec.setEndpoints(wanted);
            created.setSpec(spec);
            client.resource(created).create();
            log.info("route {}/{}: created DNSEndpoint {} ({} CNAME {})", namespace, route.getMetadata().getName(), name,
                    customDomain, generatedName);
            return;
        }
        if (!ownedBy(existing, route)) {
            notes.add("DNSEndpoint " + namespace + "/" + name + " exists and is not this route's; it was left alone");
            return;
        }
        if (existing.getSpec() == null || !wanted.equals(existing.getSpec().getEndpoints())) {
            resource.edit(e -> {
                DnsEndpoint.Spec spec = new DnsEndpoint.Spec();
                spec.setEndpoints(wanted);
                e.setSpec(spec);
                return e;
            });
        }
    }

    /**
     * Whether ExternalDNS's CRD is installed, asked on every use so installing or removing it needs no restart. A
     * controller not allowed to read CRDs treats it as absent.
     */
    boolean dnsEndpointCrdExists() {
        try {
            return client.apiextensions().v1().customResourceDefinitions().withName(DnsEndpoint.CRD_NAME).get() != null;
        } catch (KubernetesClientException e) {
            log.debug("cannot read CRD {}: {}", DnsEndpoint.CRD_NAME, e.getMessage());
            return false;
        }
    }

    static String dnsEndpointName(HasMetadata route) {
        return route.getMetadata().getName() + DNS_ENDPOINT_SUFFIX;
    }

    private static OwnerReference owner(HasMetadata route) {
        return new OwnerReferenceBuilder().withApiVersion(route.getApiVersion()).withKind(route.getKind())
                .withName(route.getMetadata().getName()).withUid(route.getMetadata().getUid())
                .withController(true).withBlockOwnerDeletion(true).build();
    }

    private static boolean ownedBy(HasMetadata object, HasMetadata route) {
        return object.getMetadata().getOwnerReferences() != null && object.getMetadata().getOwnerReferences().stream()
                .anyMatch(o -> Objects.equals(o.getUid(), route.getMetadata().getUid()));
    }

    private static String lower(String value) {
        return value == null ? null : value.toLowerCase(Locale.ROOT);
    }
}
