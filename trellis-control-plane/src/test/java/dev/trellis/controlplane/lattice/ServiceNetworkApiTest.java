package dev.trellis.controlplane.lattice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.controlplane.store.TestStores;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.services.vpclattice.model.AccessDeniedException;
import software.amazon.awssdk.services.vpclattice.model.AuthType;
import software.amazon.awssdk.services.vpclattice.model.ConflictException;
import software.amazon.awssdk.services.vpclattice.model.CreateServiceNetworkResponse;
import software.amazon.awssdk.services.vpclattice.model.GetServiceNetworkResponse;
import software.amazon.awssdk.services.vpclattice.model.ResourceNotFoundException;
import software.amazon.awssdk.services.vpclattice.model.ServiceNetworkSummary;
import software.amazon.awssdk.services.vpclattice.model.ServiceQuotaExceededException;
import software.amazon.awssdk.services.vpclattice.model.ValidationException;
import software.amazon.awssdk.services.vpclattice.model.ValidationExceptionField;

@ParameterizedClass
@EnumSource(TestStores.Kind.class)
class ServiceNetworkApiTest extends LatticeApiTestBase {

    @Test
    void createsAServiceNetworkWithAnIdArnAndAuthTypeNoneByDefault() {
        Instant before = Instant.now().minusSeconds(1);
        CreateServiceNetworkResponse created = lattice.createServiceNetwork(r -> r.name("eks-lattice-network"));

        assertThat(created.id()).matches("sn-0[0-9a-f]{16}");
        assertThat(created.arn()).isEqualTo(arn("servicenetwork/" + created.id()));
        assertThat(created.name()).isEqualTo("eks-lattice-network");
        assertThat(created.authType()).isEqualTo(AuthType.NONE);

        GetServiceNetworkResponse got = lattice.getServiceNetwork(r -> r.serviceNetworkIdentifier(created.id()));
        assertThat(got.name()).isEqualTo("eks-lattice-network");
        assertThat(got.createdAt()).isAfter(before).isEqualTo(got.lastUpdatedAt());
        assertThat(got.numberOfAssociatedServices()).isZero();
        assertThat(got.numberOfAssociatedVPCs()).isZero();
    }

    @Test
    void findsAServiceNetworkByItsArnAsWellAsItsId() {
        String id = createServiceNetwork("by-arn");

        assertThat(lattice.getServiceNetwork(r -> r.serviceNetworkIdentifier(arn("servicenetwork/" + id))).id())
                .isEqualTo(id);
    }

    @Test
    void refusesASecondServiceNetworkOfTheSameNameWithConflict() {
        String first = createServiceNetwork("twice");

        ConflictException e = failure(ConflictException.class,
                () -> lattice.createServiceNetwork(r -> r.name("twice")));

        assertThat(e.statusCode()).isEqualTo(409);
        assertThat(e.resourceId()).isEqualTo(first);
        assertThat(e.resourceType()).isEqualTo("SERVICE_NETWORK");
    }

    @Test
    void rejectsAnInvalidNameNamingTheFieldInFieldList() {
        ValidationException e = failure(ValidationException.class,
                () -> lattice.createServiceNetwork(r -> r.name("Bad--Name")));

        assertThat(e.statusCode()).isEqualTo(400);
        assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationException");
        assertThat(e.fieldList()).extracting(ValidationExceptionField::name).containsExactly("name");
    }

    @Test
    void answersResourceNotFoundWithTheIdentifierAndType() {
        ResourceNotFoundException e = failure(ResourceNotFoundException.class,
                () -> lattice.getServiceNetwork(r -> r.serviceNetworkIdentifier("sn-0123456789abcdef0")));

        assertThat(e.statusCode()).isEqualTo(404);
        assertThat(e.resourceId()).isEqualTo("sn-0123456789abcdef0");
        assertThat(e.resourceType()).isEqualTo("SERVICE_NETWORK");
    }

    @Test
    void doesNotShowServiceNetworksOfOtherAccounts() {
        String id = createServiceNetwork("mine");
        var other = client(randomAccount());

        failure(ResourceNotFoundException.class, () -> other.getServiceNetwork(r -> r.serviceNetworkIdentifier(id)));
        assertThat(other.listServiceNetworks(r -> { }).items()).isEmpty();
    }

    @Test
    void updatesTheAuthType() {
        String id = createServiceNetwork("auth");

        var updated = lattice.updateServiceNetwork(r -> r.serviceNetworkIdentifier(id).authType(AuthType.AWS_IAM));

        assertThat(updated.authType()).isEqualTo(AuthType.AWS_IAM);
        assertThat(lattice.getServiceNetwork(r -> r.serviceNetworkIdentifier(id)).authType())
                .isEqualTo(AuthType.AWS_IAM);
    }

    @Test
    void enforcesTheServiceNetworksPerRegionQuotaWith402AndTheQuotaCode() {
        for (int i = 0; i < QUOTAS.serviceNetworksPerRegion(); i++) {
            createServiceNetwork("network-" + i);
        }

        ServiceQuotaExceededException e = failure(ServiceQuotaExceededException.class,
                () -> lattice.createServiceNetwork(r -> r.name("one-too-many")));

        assertThat(e.statusCode()).isEqualTo(402);
        assertThat(e.quotaCode()).isEqualTo("L-9CAD07FB");
        assertThat(e.serviceCode()).isEqualTo("vpc-lattice");
        assertThat(e.resourceType()).isEqualTo("SERVICE_NETWORK");
    }

    @Test
    void listsServiceNetworksInCreationOrderAcrossPages() {
        List<String> ids = List.of(createServiceNetwork("a-net"), createServiceNetwork("b-net"),
                createServiceNetwork("c-net"));

        var pages = lattice.listServiceNetworksPaginator(r -> r.maxResults(2));

        assertThat(pages.stream().count()).isEqualTo(2);
        assertThat(pages.items().stream().map(ServiceNetworkSummary::id).collect(Collectors.toList()))
                .containsExactlyElementsOf(ids);
        assertThat(lattice.listServiceNetworks(r -> r.maxResults(3)).nextToken()).isNull();
    }

    @Test
    void deletesAServiceNetworkWithItsPoliciesAndLogSubscriptions() {
        String id = createServiceNetwork("gone");
        lattice.putAuthPolicy(r -> r.resourceIdentifier(id).policy(ALLOW_ALL_POLICY));
        String subscription = lattice.createAccessLogSubscription(r -> r.resourceIdentifier(id)
                .destinationArn("arn:aws:logs:us-west-2:" + account + ":log-group:lattice")).id();

        lattice.deleteServiceNetwork(r -> r.serviceNetworkIdentifier(id));

        failure(ResourceNotFoundException.class, () -> lattice.getServiceNetwork(r -> r.serviceNetworkIdentifier(id)));
        failure(ResourceNotFoundException.class,
                () -> lattice.getAccessLogSubscription(r -> r.accessLogSubscriptionIdentifier(subscription)));
        failure(ResourceNotFoundException.class, () -> lattice.getAuthPolicy(r -> r.resourceIdentifier(id)));
        String again = lattice.createServiceNetwork(r -> r.name("gone")).id();
        assertThat(again).isNotEqualTo(id);
        failure(ResourceNotFoundException.class, () -> lattice.getAuthPolicy(r -> r.resourceIdentifier(again)));
    }

    @Test
    void refusesToDeleteAServiceNetworkThatHasAssociations() {
        String id = createServiceNetwork("busy");
        String svc = createService("member");
        lattice.createServiceNetworkServiceAssociation(r -> r.serviceNetworkIdentifier(id).serviceIdentifier(svc));

        ConflictException e = failure(ConflictException.class,
                () -> lattice.deleteServiceNetwork(r -> r.serviceNetworkIdentifier(id)));

        assertThat(e.resourceId()).isEqualTo(id);
        assertThat(e.getMessage()).contains("1 service association(s)");
    }

    @Test
    void returnsTheFirstResponseForARetryWithTheSameClientToken() {
        var first = lattice.createServiceNetwork(r -> r.name("idempotent").clientToken("token-1"));
        var retry = lattice.createServiceNetwork(r -> r.name("idempotent").clientToken("token-1"));

        assertThat(retry.id()).isEqualTo(first.id());
        failure(ConflictException.class,
                () -> lattice.createServiceNetwork(r -> r.name("other-name").clientToken("token-1")));
    }

    @Test
    void asksTheAuthorizerForEachCallWithTheActionAndTheResourceArn() {
        String id = createServiceNetwork("authorized");
        lattice.getServiceNetwork(r -> r.serviceNetworkIdentifier(id));
        lattice.listServiceNetworks(r -> { });

        assertThat(AUTHORIZATIONS).contains(
                account + " vpc-lattice:CreateServiceNetwork " + arn("servicenetwork/" + id),
                account + " vpc-lattice:GetServiceNetwork " + arn("servicenetwork/" + id),
                account + " vpc-lattice:ListServiceNetworks *");
    }

    @Test
    void refusesCallsTheAuthorizerDenies() {
        var denied = client(DENIED_ACCOUNT);

        AccessDeniedException e = failure(AccessDeniedException.class,
                () -> denied.createServiceNetwork(r -> r.name("nope")));

        assertThat(e.statusCode()).isEqualTo(403);
        assertThat(e.getMessage()).contains("vpc-lattice:CreateServiceNetwork");
    }
}
