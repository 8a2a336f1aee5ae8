package dev.trellis.controlplane.lattice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.controlplane.store.TestStores;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.services.vpclattice.model.AuthType;
import software.amazon.awssdk.services.vpclattice.model.ConflictException;
import software.amazon.awssdk.services.vpclattice.model.CreateServiceResponse;
import software.amazon.awssdk.services.vpclattice.model.ListenerProtocol;
import software.amazon.awssdk.services.vpclattice.model.ResourceNotFoundException;
import software.amazon.awssdk.services.vpclattice.model.ServiceStatus;
import software.amazon.awssdk.services.vpclattice.model.ServiceSummary;
import software.amazon.awssdk.services.vpclattice.model.TargetStatus;
import software.amazon.awssdk.services.vpclattice.model.ValidationException;
import software.amazon.awssdk.services.vpclattice.model.ValidationExceptionField;

@ParameterizedClass
@EnumSource(TestStores.Kind.class)
class ServiceApiTest extends LatticeApiTestBase {

    private static final String CERTIFICATE = "arn:aws:acm:us-west-2:111122223333:certificate/"
            + "0a1b2c3d-1111-2222-3333-444455556666";

    @Test
    void createsAnActiveServiceWithItsGeneratedDnsName() {
        CreateServiceResponse created = lattice.createService(r -> r.name("datastore")
                .customDomainName("datastore.sarathy.io"));

        assertThat(created.id()).matches("svc-0[0-9a-f]{16}");
        assertThat(created.arn()).isEqualTo(arn("service/" + created.id()));
        assertThat(created.status()).isEqualTo(ServiceStatus.ACTIVE);
        assertThat(created.authType()).isEqualTo(AuthType.NONE);
        assertThat(created.customDomainName()).isEqualTo("datastore.sarathy.io");
        assertThat(created.dnsEntry().domainName()).isEqualTo("datastore-" + created.id().substring(4)
                + ".7d67968.vpc-lattice-svcs.us-west-2.on.aws");
        assertThat(created.dnsEntry().hostedZoneId()).matches("Z[0-9A-Z]{20}");

        var got = lattice.getService(r -> r.serviceIdentifier(created.arn()));
        assertThat(got.dnsEntry()).isEqualTo(created.dnsEntry());
        assertThat(got.createdAt()).isNotNull();
    }

    @Test
    void reportsTheSameHostedZoneForEveryServiceOfARegion() {
        var one = lattice.createService(r -> r.name("one"));
        var two = lattice.createService(r -> r.name("two"));

        assertThat(one.dnsEntry().hostedZoneId()).isEqualTo(two.dnsEntry().hostedZoneId());
    }

    @Test
    void rejectsNamesThatStartWithSvcOrBreakTheHyphenRules() {
        for (String bad : List.of("svc-name", "-lead", "trail-", "dou--ble", "UPPER", "ab")) {
            ValidationException e = failure(ValidationException.class,
                    () -> lattice.createService(r -> r.name(bad)));
            assertThat(e.fieldList()).extracting(ValidationExceptionField::name).containsExactly("name");
        }
    }

    @Test
    void rejectsACustomDomainNameThatIsNotADomainName() {
        ValidationException e = failure(ValidationException.class,
                () -> lattice.createService(r -> r.name("bad-domain").customDomainName("not a domain")));

        assertThat(e.fieldList()).extracting(ValidationExceptionField::name).containsExactly("customDomainName");
    }

    @Test
    void refusesADuplicateServiceName() {
        String id = createService("dup");

        ConflictException e = failure(ConflictException.class, () -> lattice.createService(r -> r.name("dup")));

        assertThat(e.resourceId()).isEqualTo(id);
        assertThat(e.resourceType()).isEqualTo("SERVICE");
    }

    /** Certificates that are in ACM: acm/AcmLatticeTest. */
    @Test
    void updatesAuthTypeAndRefusesACertificateThatIsNotInAcm() {
        String id = createService("secure");

        var updated = lattice.updateService(r -> r.serviceIdentifier(id).authType(AuthType.AWS_IAM));
        ValidationException e = failure(ValidationException.class,
                () -> lattice.updateService(r -> r.serviceIdentifier(id).certificateArn(CERTIFICATE)));

        assertThat(updated.authType()).isEqualTo(AuthType.AWS_IAM);
        assertThat(e.fieldList()).extracting(ValidationExceptionField::name).containsExactly("certificateArn");
        assertThat(lattice.getService(r -> r.serviceIdentifier(id)).certificateArn()).isNull();
    }

    @Test
    void listsServicesPageByPageWithTheSdkPaginator() {
        List<String> ids = List.of(createService("s-1"), createService("s-2"), createService("s-3"),
                createService("s-4"), createService("s-5"));

        var pages = lattice.listServicesPaginator(r -> r.maxResults(2));

        assertThat(pages.stream().count()).isEqualTo(3);
        assertThat(pages.items().stream().map(ServiceSummary::id).collect(Collectors.toList()))
                .containsExactlyElementsOf(ids);
    }

    @Test
    void rejectsANextTokenItDidNotIssue() {
        for (String token : List.of("garbage!", "bm90LWEtdG9rZW4", Pages.token("ListServiceNetworks", 3))) {
            ValidationException e = failure(ValidationException.class,
                    () -> lattice.listServices(r -> r.nextToken(token)));
            assertThat(e.fieldList()).extracting(ValidationExceptionField::name).containsExactly("nextToken");
        }
    }

    @Test
    void rejectsMaxResultsOutsideOneToAHundred() {
        ValidationException e = failure(ValidationException.class, () -> lattice.listServices(r -> r.maxResults(0)));
        assertThat(e.fieldList()).extracting(ValidationExceptionField::name).containsExactly("maxResults");
        failure(ValidationException.class, () -> lattice.listServices(r -> r.maxResults(101)));
    }

    @Test
    void deletesAServiceWithItsListenersRulesPoliciesAndLogSubscriptions() {
        String svc = createService("doomed");
        String tg = createTargetGroup("doomed-tg");
        lattice.registerTargets(r -> r.targetGroupIdentifier(tg).targets(t -> t.id("10.0.0.1")));
        String listener = lattice.createListener(r -> r.serviceIdentifier(svc).name("http")
                .protocol(ListenerProtocol.HTTP).defaultAction(forward(tg))).id();
        lattice.putAuthPolicy(r -> r.resourceIdentifier(svc).policy(ALLOW_ALL_POLICY));
        String subscription = lattice.createAccessLogSubscription(r -> r.resourceIdentifier(svc)
                .destinationArn("arn:aws:s3:::lattice-logs")).id();

        var deleted = lattice.deleteService(r -> r.serviceIdentifier(svc));

        assertThat(deleted.id()).isEqualTo(svc);
        assertThat(deleted.name()).isEqualTo("doomed");
        assertThat(deleted.status()).isEqualTo(ServiceStatus.DELETE_IN_PROGRESS);
        failure(ResourceNotFoundException.class, () -> lattice.getService(r -> r.serviceIdentifier(svc)));
        failure(ResourceNotFoundException.class, () -> lattice.getListener(r -> r.serviceIdentifier(svc)
                .listenerIdentifier(listener)));
        failure(ResourceNotFoundException.class,
                () -> lattice.getAccessLogSubscription(r -> r.accessLogSubscriptionIdentifier(subscription)));
        var group = lattice.getTargetGroup(r -> r.targetGroupIdentifier(tg));
        assertThat(group.serviceArns()).isEmpty();
        assertThat(lattice.listTargets(r -> r.targetGroupIdentifier(tg)).items())
                .allMatch(t -> t.status() == TargetStatus.UNUSED);
        lattice.deleteTargetGroup(r -> r.targetGroupIdentifier(tg));
    }

    @Test
    void refusesToDeleteAServiceWhileItIsAssociatedWithAServiceNetwork() {
        String svc = createService("associated");
        String sn = createServiceNetwork("holder");
        lattice.createServiceNetworkServiceAssociation(r -> r.serviceIdentifier(svc).serviceNetworkIdentifier(sn));

        ConflictException e = failure(ConflictException.class, () -> lattice.deleteService(r -> r.serviceIdentifier(svc)));

        assertThat(e.resourceId()).isEqualTo(svc);
        assertThat(e.resourceType()).isEqualTo("SERVICE");
    }

    @Test
    void answersNotFoundForAnIdentifierOfTheWrongShapeOfResource() {
        ValidationException e = failure(ValidationException.class,
                () -> lattice.getService(r -> r.serviceIdentifier("sn-0123456789abcdef0")));

        assertThat(e.fieldList()).extracting(ValidationExceptionField::name).containsExactly("serviceIdentifier");
        ResourceNotFoundException missing = failure(ResourceNotFoundException.class,
                () -> lattice.getService(r -> r.serviceIdentifier(arn("service/svc-0123456789abcdef0"))));
        assertThat(missing.resourceType()).isEqualTo("SERVICE");
    }
}
