package dev.trellis.controlplane.lattice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.controlplane.store.TestStores;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.services.vpclattice.model.ConflictException;
import software.amazon.awssdk.services.vpclattice.model.ResourceNotFoundException;
import software.amazon.awssdk.services.vpclattice.model.ServiceNetworkServiceAssociationStatus;
import software.amazon.awssdk.services.vpclattice.model.ServiceNetworkServiceAssociationSummary;
import software.amazon.awssdk.services.vpclattice.model.ServiceNetworkVpcAssociationStatus;
import software.amazon.awssdk.services.vpclattice.model.ServiceNetworkVpcAssociationSummary;
import software.amazon.awssdk.services.vpclattice.model.ServiceQuotaExceededException;
import software.amazon.awssdk.services.vpclattice.model.ValidationException;
import software.amazon.awssdk.services.vpclattice.model.ValidationExceptionField;

@ParameterizedClass
@EnumSource(TestStores.Kind.class)
class AssociationApiTest extends LatticeApiTestBase {

    @Test
    void associatesAVpcAtOnceAndCountsIt() {
        String sn = createServiceNetwork("network");
        String vpc = vpc();

        var created = lattice.createServiceNetworkVpcAssociation(r -> r.serviceNetworkIdentifier(sn)
                .vpcIdentifier(vpc).securityGroupIds("sg-0123456789abcdef0"));

        assertThat(created.id()).matches("snva-0[0-9a-f]{16}");
        assertThat(created.arn()).isEqualTo(arn("servicenetworkvpcassociation/" + created.id()));
        assertThat(created.status()).isEqualTo(ServiceNetworkVpcAssociationStatus.ACTIVE);
        assertThat(created.createdBy()).isEqualTo(account);
        assertThat(created.securityGroupIds()).containsExactly("sg-0123456789abcdef0");
        var got = lattice.getServiceNetworkVpcAssociation(r -> r.serviceNetworkVpcAssociationIdentifier(created.id()));
        assertThat(got.vpcId()).isEqualTo(vpc);
        assertThat(got.serviceNetworkName()).isEqualTo("network");
        assertThat(got.serviceNetworkArn()).isEqualTo(arn("servicenetwork/" + sn));
        assertThat(lattice.getServiceNetwork(r -> r.serviceNetworkIdentifier(sn)).numberOfAssociatedVPCs())
                .isEqualTo(1);
    }

    @Test
    void associatesAVpcWithOneServiceNetworkOnly() {
        String vpc = vpc();
        String first = lattice.createServiceNetworkVpcAssociation(r -> r
                .serviceNetworkIdentifier(createServiceNetwork("first")).vpcIdentifier(vpc)).id();

        ConflictException e = failure(ConflictException.class, () -> lattice.createServiceNetworkVpcAssociation(
                r -> r.serviceNetworkIdentifier(createServiceNetwork("second")).vpcIdentifier(vpc)));

        assertThat(e.resourceId()).isEqualTo(first);
    }

    @Test
    void rejectsAVpcIdThatIsNotHex() {
        String sn = createServiceNetwork("network");

        ValidationException e = failure(ValidationException.class, () -> lattice.createServiceNetworkVpcAssociation(
                r -> r.serviceNetworkIdentifier(sn).vpcIdentifier("vpc-zzzzzzzz")));

        assertThat(e.fieldList()).extracting(ValidationExceptionField::name).containsExactly("vpcIdentifier");
    }

    @Test
    void answersAVpcTheEc2ApiNeverCreatedWithResourceNotFound() {
        String sn = createServiceNetwork("network");
        String unknown = "vpc-0123456789abcdef0";

        ResourceNotFoundException e = failure(ResourceNotFoundException.class,
                () -> lattice.createServiceNetworkVpcAssociation(r -> r.serviceNetworkIdentifier(sn)
                        .vpcIdentifier(unknown)));

        assertThat(e.statusCode()).isEqualTo(404);
        assertThat(e.resourceId()).isEqualTo(unknown);
        assertThat(e.resourceType()).isEqualTo("VPC");
        assertThat(e.awsErrorDetails().errorMessage()).isEqualTo("VPC 'vpc-0123456789abcdef0' was not found in this"
                + " account; create VPCs with the EC2 API (aws ec2 create-vpc)");
        assertThat(lattice.getServiceNetwork(r -> r.serviceNetworkIdentifier(sn)).numberOfAssociatedVPCs()).isZero();
    }

    @Test
    void doesNotSeeTheVpcsOfAnotherAccount() {
        String sn = createServiceNetwork("network");
        String othersVpc = createVpc(randomAccount());

        ResourceNotFoundException e = failure(ResourceNotFoundException.class,
                () -> lattice.createServiceNetworkVpcAssociation(r -> r.serviceNetworkIdentifier(sn)
                        .vpcIdentifier(othersVpc)));

        assertThat(e.resourceId()).isEqualTo(othersVpc);
        assertThat(e.resourceType()).isEqualTo("VPC");
    }

    @Test
    void listsNoAssociationsForAnUnknownVpc() {
        assertThat(lattice.listServiceNetworkVpcAssociations(r -> r.vpcIdentifier("vpc-0123456789abcdef0"))
                .items()).isEmpty();
    }

    @Test
    void updatesSecurityGroupsButNeverToNone() {
        String id = lattice.createServiceNetworkVpcAssociation(r -> r
                .serviceNetworkIdentifier(createServiceNetwork("network")).vpcIdentifier(vpc())).id();

        var updated = lattice.updateServiceNetworkVpcAssociation(r -> r.serviceNetworkVpcAssociationIdentifier(id)
                .securityGroupIds("sg-0aaaaaaaaaaaaaaaa", "sg-0bbbbbbbbbbbbbbbb"));

        assertThat(updated.securityGroupIds()).containsExactly("sg-0aaaaaaaaaaaaaaaa", "sg-0bbbbbbbbbbbbbbbb");
        ValidationException e = failure(ValidationException.class, () -> lattice.updateServiceNetworkVpcAssociation(
                r -> r.serviceNetworkVpcAssociationIdentifier(id).securityGroupIds(new String[0])));
        assertThat(e.fieldList()).extracting(ValidationExceptionField::name).containsExactly("securityGroupIds");
    }

    @Test
    void listsVpcAssociationsByNetworkOrVpcAndNeedsOneOfThem() {
        String sn = createServiceNetwork("network");
        String vpcA = vpc();
        String vpcB = vpc();
        String a = lattice.createServiceNetworkVpcAssociation(r -> r.serviceNetworkIdentifier(sn).vpcIdentifier(vpcA))
                .id();
        String b = lattice.createServiceNetworkVpcAssociation(r -> r.serviceNetworkIdentifier(sn).vpcIdentifier(vpcB))
                .id();

        assertThat(lattice.listServiceNetworkVpcAssociationsPaginator(r -> r.serviceNetworkIdentifier(sn)
                .maxResults(1)).items().stream().map(ServiceNetworkVpcAssociationSummary::id)
                .collect(Collectors.toList())).containsExactly(a, b);
        assertThat(lattice.listServiceNetworkVpcAssociations(r -> r.vpcIdentifier(vpcB)).items())
                .extracting(ServiceNetworkVpcAssociationSummary::id).containsExactly(b);
        failure(ValidationException.class, () -> lattice.listServiceNetworkVpcAssociations(r -> { }));
        ServiceQuotaExceededException e = failure(ServiceQuotaExceededException.class,
                () -> lattice.createServiceNetworkVpcAssociation(r -> r.serviceNetworkIdentifier(sn)
                        .vpcIdentifier(vpc())));
        assertThat(e.quotaCode()).isEqualTo("L-EF6E2D62");
        assertThat(e.resourceId()).isEqualTo(sn);
        assertThat(e.resourceType()).isEqualTo("SERVICE_NETWORK_VPC_ASSOCIATION");
    }

    @Test
    void deletesAVpcAssociation() {
        String id = lattice.createServiceNetworkVpcAssociation(r -> r
                .serviceNetworkIdentifier(createServiceNetwork("network")).vpcIdentifier(vpc())).id();

        var deleted = lattice.deleteServiceNetworkVpcAssociation(r -> r.serviceNetworkVpcAssociationIdentifier(id));

        assertThat(deleted.status()).isEqualTo(ServiceNetworkVpcAssociationStatus.DELETE_IN_PROGRESS);
        failure(ResourceNotFoundException.class,
                () -> lattice.getServiceNetworkVpcAssociation(r -> r.serviceNetworkVpcAssociationIdentifier(id)));
    }

    @Test
    void associatesAServiceWithItsDnsEntryAndCountsIt() {
        String sn = createServiceNetwork("network");
        var svc = lattice.createService(r -> r.name("datastore").customDomainName("datastore.sarathy.io"));

        var created = lattice.createServiceNetworkServiceAssociation(r -> r.serviceNetworkIdentifier(sn)
                .serviceIdentifier(svc.arn()));

        assertThat(created.id()).matches("snsa-0[0-9a-f]{16}");
        assertThat(created.status()).isEqualTo(ServiceNetworkServiceAssociationStatus.ACTIVE);
        assertThat(created.createdBy()).isEqualTo(account);
        assertThat(created.dnsEntry()).isEqualTo(svc.dnsEntry());
        assertThat(created.customDomainName()).isEqualTo("datastore.sarathy.io");
        var got = lattice.getServiceNetworkServiceAssociation(r -> r
                .serviceNetworkServiceAssociationIdentifier(created.arn()));
        assertThat(got.serviceName()).isEqualTo("datastore");
        assertThat(got.serviceNetworkName()).isEqualTo("network");
        assertThat(got.serviceArn()).isEqualTo(svc.arn());
        assertThat(lattice.getServiceNetwork(r -> r.serviceNetworkIdentifier(sn)).numberOfAssociatedServices())
                .isEqualTo(1);
    }

    @Test
    void associatesAPairOnceAndACustomDomainOncePerNetwork() {
        String sn = createServiceNetwork("network");
        String one = lattice.createService(r -> r.name("one").customDomainName("api.example.com")).id();
        String two = lattice.createService(r -> r.name("two").customDomainName("API.example.com")).id();
        String first = lattice.createServiceNetworkServiceAssociation(r -> r.serviceNetworkIdentifier(sn)
                .serviceIdentifier(one)).id();

        ConflictException again = failure(ConflictException.class, () -> lattice
                .createServiceNetworkServiceAssociation(r -> r.serviceNetworkIdentifier(sn).serviceIdentifier(one)));
        ConflictException domain = failure(ConflictException.class, () -> lattice
                .createServiceNetworkServiceAssociation(r -> r.serviceNetworkIdentifier(sn).serviceIdentifier(two)));

        assertThat(again.resourceId()).isEqualTo(first);
        assertThat(domain.getMessage()).containsIgnoringCase("api.example.com");
        assertThat(domain.resourceId()).isEqualTo(first);
    }

    @Test
    void listsServiceAssociationsByNetworkOrServiceAndEnforcesTheQuota() {
        String sn = createServiceNetwork("network");
        String other = createServiceNetwork("other");
        String one = createService("one");
        String two = createService("two");
        String a = lattice.createServiceNetworkServiceAssociation(r -> r.serviceNetworkIdentifier(sn)
                .serviceIdentifier(one)).id();
        String b = lattice.createServiceNetworkServiceAssociation(r -> r.serviceNetworkIdentifier(sn)
                .serviceIdentifier(two)).id();
        String c = lattice.createServiceNetworkServiceAssociation(r -> r.serviceNetworkIdentifier(other)
                .serviceIdentifier(one)).id();

        assertThat(lattice.listServiceNetworkServiceAssociationsPaginator(r -> r.serviceNetworkIdentifier(sn)
                .maxResults(1)).items().stream().map(ServiceNetworkServiceAssociationSummary::id)
                .collect(Collectors.toList())).containsExactly(a, b);
        assertThat(lattice.listServiceNetworkServiceAssociations(r -> r.serviceIdentifier(one)).items())
                .extracting(ServiceNetworkServiceAssociationSummary::id).containsExactly(a, c);
        failure(ValidationException.class, () -> lattice.listServiceNetworkServiceAssociations(r -> { }));
        ServiceQuotaExceededException e = failure(ServiceQuotaExceededException.class, () -> lattice
                .createServiceNetworkServiceAssociation(r -> r.serviceNetworkIdentifier(sn)
                        .serviceIdentifier(createService("three"))));
        assertThat(e.quotaCode()).isEqualTo("L-75D4A19E");
    }

    @Test
    void deletesAServiceAssociationAndThenTheServiceCanGo() {
        String sn = createServiceNetwork("network");
        String svc = createService("leaving");
        String id = lattice.createServiceNetworkServiceAssociation(r -> r.serviceNetworkIdentifier(sn)
                .serviceIdentifier(svc)).id();

        var deleted = lattice.deleteServiceNetworkServiceAssociation(r -> r
                .serviceNetworkServiceAssociationIdentifier(id));

        assertThat(deleted.status()).isEqualTo(ServiceNetworkServiceAssociationStatus.DELETE_IN_PROGRESS);
        assertThat(deleted.arn()).isEqualTo(arn("servicenetworkserviceassociation/" + id));
        lattice.deleteService(r -> r.serviceIdentifier(svc));
        lattice.deleteServiceNetwork(r -> r.serviceNetworkIdentifier(sn));
    }
}
