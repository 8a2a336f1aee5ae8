package dev.trellis.controlplane.route53;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.controlplane.ControlPlaneConfig;
import dev.trellis.controlplane.identity.IdentityDirectory;
import dev.trellis.controlplane.store.TestStores;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.services.route53.Route53Client;
import software.amazon.awssdk.services.route53.model.ChangeAction;
import software.amazon.awssdk.services.route53.model.ChangeStatus;
import software.amazon.awssdk.services.route53.model.ConflictingDomainExistsException;
import software.amazon.awssdk.services.route53.model.CreateHostedZoneResponse;
import software.amazon.awssdk.services.route53.model.GetHostedZoneResponse;
import software.amazon.awssdk.services.route53.model.HostedZone;
import software.amazon.awssdk.services.route53.model.HostedZoneAlreadyExistsException;
import software.amazon.awssdk.services.route53.model.HostedZoneNotEmptyException;
import software.amazon.awssdk.services.route53.model.InvalidDomainNameException;
import software.amazon.awssdk.services.route53.model.InvalidInputException;
import software.amazon.awssdk.services.route53.model.InvalidVpcIdException;
import software.amazon.awssdk.services.route53.model.LastVpcAssociationException;
import software.amazon.awssdk.services.route53.model.ListHostedZonesResponse;
import software.amazon.awssdk.services.route53.model.NoSuchChangeException;
import software.amazon.awssdk.services.route53.model.NoSuchHostedZoneException;
import software.amazon.awssdk.services.route53.model.RRType;
import software.amazon.awssdk.services.route53.model.ResourceRecordSet;
import software.amazon.awssdk.services.route53.model.Route53Exception;
import software.amazon.awssdk.services.route53.model.VpcAssociationNotFoundException;
import software.amazon.awssdk.services.route53.model.VPCRegion;

@ParameterizedClass
@EnumSource(TestStores.Kind.class)
class HostedZoneApiTest extends Route53ApiTestBase {

    @Test
    void createsAPrivateZoneForAVpcWithRoute53sSoaAndNsRecords() {
        String vpc = vpc();
        String name = uniqueZoneName();
        Instant before = Instant.now().minusSeconds(1);

        CreateHostedZoneResponse created = route53.createHostedZone(r -> r.name(name).callerReference("walkthrough-1"
                        + name).vpc(v -> v.vpcRegion(VPCRegion.US_WEST_2).vpcId(vpc))
                .hostedZoneConfig(c -> c.privateZone(true).comment("the walkthrough's zone")));

        HostedZone zone = created.hostedZone();
        assertThat(zone.id()).matches("Z[0-9A-Z]{20}");
        assertThat(zone.name()).isEqualTo(name + ".");
        assertThat(zone.callerReference()).isEqualTo("walkthrough-1" + name);
        assertThat(zone.config().privateZone()).isTrue();
        assertThat(zone.config().comment()).isEqualTo("the walkthrough's zone");
        assertThat(zone.resourceRecordSetCount()).isEqualTo(2L);
        assertThat(created.changeInfo().id()).matches("C[0-9A-Z]{20}");
        assertThat(created.changeInfo().status()).isEqualTo(ChangeStatus.INSYNC);
        assertThat(created.changeInfo().submittedAt()).isAfter(before);
        assertThat(created.vpc().vpcId()).isEqualTo(vpc);
        assertThat(created.vpc().vpcRegion()).isEqualTo(VPCRegion.US_WEST_2);
        assertThat(created.location()).isEqualTo(controlPlane.endpoint() + "/2013-04-01/hostedzone/" + zone.id());
        assertThat(created.delegationSet()).isNull();

        List<ResourceRecordSet> records = route53.listResourceRecordSets(r -> r.hostedZoneId(zone.id()))
                .resourceRecordSets();
        assertThat(records).extracting(ResourceRecordSet::name, ResourceRecordSet::type, ResourceRecordSet::ttl)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(name + ".", RRType.NS, 172800L),
                        org.assertj.core.groups.Tuple.tuple(name + ".", RRType.SOA, 900L));
        assertThat(records.get(0).resourceRecords()).extracting(rr -> rr.value()).containsExactly(
                "ns-1536.awsdns-00.co.uk.", "ns-0.awsdns-00.com.", "ns-1024.awsdns-00.org.", "ns-512.awsdns-00.net.");
        assertThat(records.get(1).resourceRecords().get(0).value())
                .isEqualTo("ns-1536.awsdns-00.co.uk. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400");
    }

    @Test
    void getsAZoneWithItsVpcs() {
        String vpc = vpc();
        String id = createZone(uniqueZoneName(), vpc);

        GetHostedZoneResponse got = route53.getHostedZone(r -> r.id(id));

        assertThat(got.hostedZone().id()).isEqualTo(id);
        assertThat(got.vpCs()).singleElement().satisfies(v -> {
            assertThat(v.vpcId()).isEqualTo(vpc);
            assertThat(v.vpcRegionAsString()).isEqualTo(REGION);
        });
        assertThat(got.delegationSet()).isNull();
    }

    @Test
    void takesZoneIdsWithTheHostedzonePrefixAsTheApiReturnsThem() {
        String id = createZone(uniqueZoneName(), vpc());

        assertThat(route53.getHostedZone(r -> r.id("/hostedzone/" + id)).hostedZone().id()).isEqualTo(id);
    }

    @Test
    void refusesACallerReferenceUsedBeforeEvenAfterItsZoneIsDeleted() {
        String vpc = vpc();
        String id = route53.createHostedZone(r -> r.name(uniqueZoneName()).callerReference("once-only-" + vpc)
                .vpc(v -> v.vpcRegion(REGION).vpcId(vpc))).hostedZone().id();

        HostedZoneAlreadyExistsException again = failure(HostedZoneAlreadyExistsException.class,
                () -> route53.createHostedZone(r -> r.name(uniqueZoneName()).callerReference("once-only-" + vpc)
                        .vpc(v -> v.vpcRegion(REGION).vpcId(vpc()))));
        assertThat(again.statusCode()).isEqualTo(409);
        assertThat(again.awsErrorDetails().errorMessage())
                .startsWith("A hosted zone has already been created with the specified caller reference");

        route53.deleteHostedZone(r -> r.id(id));
        failure(HostedZoneAlreadyExistsException.class,
                () -> route53.createHostedZone(r -> r.name(uniqueZoneName()).callerReference("once-only-" + vpc)
                        .vpc(v -> v.vpcRegion(REGION).vpcId(vpc()))));
    }

    @Test
    void servesPrivateZonesOnlyAndChecksTheVpc() {
        InvalidInputException publicZone = failure(InvalidInputException.class,
                () -> route53.createHostedZone(r -> r.name(uniqueZoneName()).callerReference(reference())));
        assertThat(publicZone.statusCode()).isEqualTo(400);
        assertThat(publicZone.awsErrorDetails().errorMessage()).contains("private hosted zones only");

        InvalidVpcIdException malformed = failure(InvalidVpcIdException.class,
                () -> route53.createHostedZone(r -> r.name(uniqueZoneName()).callerReference(reference())
                        .vpc(v -> v.vpcRegion(REGION).vpcId("vpc-nothex"))));
        assertThat(malformed.awsErrorDetails().errorMessage()).contains("vpc-nothex");

        InvalidVpcIdException otherRegion = failure(InvalidVpcIdException.class,
                () -> route53.createHostedZone(r -> r.name(uniqueZoneName()).callerReference(reference())
                        .vpc(v -> v.vpcRegion(VPCRegion.EU_WEST_1).vpcId(vpc()))));
        assertThat(otherRegion.awsErrorDetails().errorMessage()).contains("eu-west-1").contains(REGION);

        failure(InvalidInputException.class, () -> route53.createHostedZone(r -> r.name(uniqueZoneName())
                .callerReference(reference()).vpc(v -> v.vpcId(vpc()))));
    }

    @Test
    void refusesNamesThatAreNotDomainNames() {
        for (String name : List.of("bad..name.io", "spaces in.io", "x".repeat(64) + ".io", "*.sarathy.io", ".")) {
            InvalidDomainNameException e = failure(InvalidDomainNameException.class,
                    () -> route53.createHostedZone(r -> r.name(name).callerReference(reference())
                            .vpc(v -> v.vpcRegion(REGION).vpcId(vpc()))));
            assertThat(e.statusCode()).as(name).isEqualTo(400);
        }
    }

    @Test
    void refusesASecondZoneOfTheSameNameOnTheSameVpcButNotOnAnother() {
        String vpc = vpc();
        String name = uniqueZoneName();
        String first = createZone(name, vpc);

        ConflictingDomainExistsException e = failure(ConflictingDomainExistsException.class,
                () -> createZone(name.toUpperCase(java.util.Locale.ROOT) + ".", vpc));
        assertThat(e.statusCode()).isEqualTo(400);
        assertThat(e.awsErrorDetails().errorMessage()).contains(first);

        String other = vpc();
        String second = createZone(name, other);
        failure(ConflictingDomainExistsException.class,
                () -> route53.associateVPCWithHostedZone(r -> r.hostedZoneId(second)
                        .vpc(v -> v.vpcRegion(REGION).vpcId(vpc))));
    }

    @Test
    void answersAnUnknownZoneWithNoSuchHostedZone() {
        NoSuchHostedZoneException e = failure(NoSuchHostedZoneException.class,
                () -> route53.getHostedZone(r -> r.id("Z0000000000000000000X")));

        assertThat(e.statusCode()).isEqualTo(404);
        assertThat(e.awsErrorDetails().errorMessage()).isEqualTo("No hosted zone found with ID: Z0000000000000000000X");
        assertThat(e.awsErrorDetails().errorCode()).isEqualTo("NoSuchHostedZone");
        assertThat(e.requestId()).isNotBlank();
        failure(NoSuchHostedZoneException.class, () -> route53.deleteHostedZone(r -> r.id("Z0000000000000000000X")));
        failure(NoSuchHostedZoneException.class, () -> route53.listResourceRecordSets(r -> r.hostedZoneId("nope")));
    }

    @Test
    void listsZonesInPagesByMarker() {
        List<String> mine = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            mine.add(createZone(uniqueZoneName(), vpc()));
        }

        List<String> seen = new ArrayList<>();
        String marker = null;
        int pages = 0;
        do {
            String m = marker;
            ListHostedZonesResponse page = route53.listHostedZones(r -> r.maxItems("2").marker(m));
            assertThat(page.hostedZones()).hasSizeLessThanOrEqualTo(2);
            assertThat(page.maxItems()).isEqualTo("2");
            page.hostedZones().forEach(z -> seen.add(z.id()));
            marker = page.isTruncated() ? page.nextMarker() : null;
            if (page.isTruncated()) {
                assertThat(page.nextMarker()).matches("Z[0-9A-Z]{20}");
            }
            pages++;
        } while (marker != null);

        assertThat(pages).isGreaterThanOrEqualTo(2);
        assertThat(seen).doesNotHaveDuplicates().containsAll(mine).isSorted();
        assertThat(route53.listHostedZones(r -> r.maxItems("1000")).maxItems()).isEqualTo("100");
        assertThat(route53.listHostedZonesPaginator(r -> r.maxItems("1")).hostedZones().stream()
                .map(HostedZone::id).toList()).containsAll(mine);
        failure(InvalidInputException.class, () -> route53.listHostedZones(r -> r.maxItems("0")));
        failure(InvalidInputException.class, () -> route53.listHostedZones(r -> r.maxItems("many")));
    }

    @Test
    void refusesToDeleteAZoneWithRecordsBeyondSoaAndNs() {
        String name = uniqueZoneName();
        String id = createZone(name, vpc());
        ResourceRecordSet txt = ResourceRecordSet.builder().name("note." + name).type(RRType.TXT).ttl(60L)
                .resourceRecords(rr -> rr.value("\"hello\"")).build();
        route53.changeResourceRecordSets(r -> r.hostedZoneId(id).changeBatch(b -> b.changes(
                c -> c.action(ChangeAction.CREATE).resourceRecordSet(txt))));

        HostedZoneNotEmptyException e = failure(HostedZoneNotEmptyException.class,
                () -> route53.deleteHostedZone(r -> r.id(id)));
        assertThat(e.statusCode()).isEqualTo(400);
        assertThat(e.awsErrorDetails().errorMessage()).isEqualTo("The specified hosted zone contains non-required"
                + " resource record sets and so cannot be deleted.");

        route53.changeResourceRecordSets(r -> r.hostedZoneId(id).changeBatch(b -> b.changes(
                c -> c.action(ChangeAction.DELETE).resourceRecordSet(txt))));
        assertThat(route53.deleteHostedZone(r -> r.id(id)).changeInfo().status()).isEqualTo(ChangeStatus.INSYNC);
        failure(NoSuchHostedZoneException.class, () -> route53.getHostedZone(r -> r.id(id)));
    }

    @Test
    void associatesAndDisassociatesVpcsButNeverTheLastOne() {
        String a = vpc();
        String b = vpc();
        String id = createZone(uniqueZoneName(), a);

        assertThat(route53.associateVPCWithHostedZone(r -> r.hostedZoneId(id).comment("VPC-B too")
                .vpc(v -> v.vpcRegion(REGION).vpcId(b))).changeInfo().comment()).isEqualTo("VPC-B too");
        assertThat(route53.getHostedZone(r -> r.id(id)).vpCs()).extracting(v -> v.vpcId()).containsExactly(a, b);
        failure(ConflictingDomainExistsException.class, () -> route53.associateVPCWithHostedZone(
                r -> r.hostedZoneId(id).vpc(v -> v.vpcRegion(REGION).vpcId(b))));

        route53.disassociateVPCFromHostedZone(r -> r.hostedZoneId(id).vpc(v -> v.vpcRegion(REGION).vpcId(a)));
        assertThat(route53.getHostedZone(r -> r.id(id)).vpCs()).extracting(v -> v.vpcId()).containsExactly(b);

        VpcAssociationNotFoundException notAssociated = failure(VpcAssociationNotFoundException.class,
                () -> route53.disassociateVPCFromHostedZone(r -> r.hostedZoneId(id)
                        .vpc(v -> v.vpcRegion(REGION).vpcId(a))));
        assertThat(notAssociated.statusCode()).isEqualTo(404);
        LastVpcAssociationException last = failure(LastVpcAssociationException.class,
                () -> route53.disassociateVPCFromHostedZone(r -> r.hostedZoneId(id)
                        .vpc(v -> v.vpcRegion(REGION).vpcId(b))));
        assertThat(last.statusCode()).isEqualTo(400);
        failure(InvalidVpcIdException.class, () -> route53.associateVPCWithHostedZone(
                r -> r.hostedZoneId(id).vpc(v -> v.vpcRegion(REGION).vpcId("vpc-1"))));
    }

    @Test
    void everyChangeCanBeReadBackAsInSync() {
        String id = createZone(uniqueZoneName(), vpc());
        // The SDK strips "/change/" from some responses' ids (Route53IdInterceptor), not from this one's.
        String prefixed = route53.associateVPCWithHostedZone(r -> r.hostedZoneId(id)
                .vpc(v -> v.vpcRegion(REGION).vpcId(vpc()))).changeInfo().id();
        assertThat(prefixed).matches("/change/C[0-9A-Z]{20}");
        String changeId = prefixed.substring("/change/".length());

        assertThat(route53.getChange(r -> r.id(changeId)).changeInfo().status()).isEqualTo(ChangeStatus.INSYNC);
        assertThat(route53.getChange(r -> r.id(prefixed)).changeInfo().id()).isEqualTo(changeId);
        NoSuchChangeException e = failure(NoSuchChangeException.class,
                () -> route53.getChange(r -> r.id("C0000000000000000000X")));
        assertThat(e.statusCode()).isEqualTo(404);
    }

    @Test
    void aUserWithoutRoute53PermissionsIsAccessDeniedNamingTheActionAndZone() {
        String id = createZone(uniqueZoneName(), vpc());
        IdentityDirectory directory = new IdentityDirectory(controlPlane.store(),
                ControlPlaneConfig.defaults(REGION, ACCOUNT), Clock.systemUTC());
        IdentityDirectory.AccessKey reader = directory.createUserWithAccessKey("r53-reader-" + storeKind
                + System.nanoTime(), Map.of("read-only", "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":"
                + "\"Allow\",\"Action\":[\"route53:Get*\",\"route53:List*\"],\"Resource\":\"*\"}]}"));
        Route53Client readOnly = client(reader.accessKeyId(), reader.secretAccessKey());

        assertThat(readOnly.getHostedZone(r -> r.id(id)).hostedZone().id()).isEqualTo(id);
        Route53Exception e = failure(Route53Exception.class, () -> readOnly.deleteHostedZone(r -> r.id(id)));
        assertThat(e.statusCode()).isEqualTo(403);
        assertThat(e.awsErrorDetails().errorCode()).isEqualTo("AccessDenied");
        assertThat(e.awsErrorDetails().errorMessage()).contains("is not authorized to perform: route53:DeleteHostedZone"
                + " on resource: arn:aws:route53:::hostedzone/" + id);
    }

    @Test
    void aWrongSecretIsSignatureDoesNotMatch() {
        Route53Client wrong = client(admin.accessKeyId(), "not-the-secret");

        Route53Exception e = failure(Route53Exception.class, () -> wrong.listHostedZones());

        assertThat(e.statusCode()).isEqualTo(403);
        assertThat(e.awsErrorDetails().errorCode()).isEqualTo("SignatureDoesNotMatch");
    }
}
