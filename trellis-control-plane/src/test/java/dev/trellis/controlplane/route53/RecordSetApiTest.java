package dev.trellis.controlplane.route53;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.trellis.controlplane.store.TestStores;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.route53.Route53Client;
import software.amazon.awssdk.services.route53.model.Change;
import software.amazon.awssdk.services.route53.model.ChangeAction;
import software.amazon.awssdk.services.route53.model.ChangeResourceRecordSetsResponse;
import software.amazon.awssdk.services.route53.model.ChangeStatus;
import software.amazon.awssdk.services.route53.model.InvalidChangeBatchException;
import software.amazon.awssdk.services.route53.model.InvalidInputException;
import software.amazon.awssdk.services.route53.model.ListResourceRecordSetsResponse;
import software.amazon.awssdk.services.route53.model.RRType;
import software.amazon.awssdk.services.route53.model.ResourceRecord;
import software.amazon.awssdk.services.route53.model.ResourceRecordSet;

@ParameterizedClass
@EnumSource(TestStores.Kind.class)
class RecordSetApiTest extends Route53ApiTestBase {

    private String zone;
    private String id;

    @BeforeEach
    void zone() {
        zone = uniqueZoneName();
        id = createZone(zone, vpc());
    }

    static ResourceRecordSet set(String name, RRType type, long ttl, String... values) {
        return ResourceRecordSet.builder().name(name).type(type).ttl(ttl)
                .resourceRecords(Arrays.stream(values).map(v -> ResourceRecord.builder().value(v).build()).toList())
                .build();
    }

    static Change change(ChangeAction action, ResourceRecordSet set) {
        return Change.builder().action(action).resourceRecordSet(set).build();
    }

    ChangeResourceRecordSetsResponse apply(Change... changes) {
        return route53.changeResourceRecordSets(r -> r.hostedZoneId(id).changeBatch(b -> b.changes(changes)));
    }

    List<ResourceRecordSet> records() {
        return route53.listResourceRecordSets(r -> r.hostedZoneId(id)).resourceRecordSets();
    }

    @Test
    void createsUpsertsAndDeletesRecordSetsOfEverySupportedType() {
        ChangeResourceRecordSetsResponse created = route53.changeResourceRecordSets(r -> r.hostedZoneId(id)
                .changeBatch(b -> b.comment("first records").changes(
                        change(ChangeAction.CREATE, set("api." + zone, RRType.A, 300, "10.0.0.1", "10.0.0.2")),
                        change(ChangeAction.CREATE, set("api." + zone, RRType.AAAA, 300, "fd00:ec2:80::a9fe:ab41")),
                        change(ChangeAction.CREATE, set("www." + zone, RRType.CNAME, 60, "api." + zone)),
                        change(ChangeAction.CREATE, set(zone, RRType.TXT, 60, "\"v=spf1 -all\"", "\"a\" \"b\"")))));
        assertThat(created.changeInfo().status()).isEqualTo(ChangeStatus.INSYNC);
        assertThat(created.changeInfo().comment()).isEqualTo("first records");
        assertThat(created.changeInfo().id()).matches("C[0-9A-Z]{20}");

        apply(change(ChangeAction.UPSERT, set("api." + zone, RRType.A, 30, "10.0.0.3")),
                change(ChangeAction.UPSERT, set("new." + zone, RRType.A, 30, "10.0.0.4")));
        apply(change(ChangeAction.DELETE, set("www." + zone, RRType.CNAME, 60, "api." + zone)));

        assertThat(records()).extracting(ResourceRecordSet::name, ResourceRecordSet::type, ResourceRecordSet::ttl,
                        s -> s.resourceRecords().stream().map(ResourceRecord::value).toList())
                .containsExactly(
                        tuple(zone + ".", RRType.NS, 172800L, List.of("ns-1536.awsdns-00.co.uk.",
                                "ns-0.awsdns-00.com.", "ns-1024.awsdns-00.org.", "ns-512.awsdns-00.net.")),
                        tuple(zone + ".", RRType.SOA, 900L, List.of("ns-1536.awsdns-00.co.uk."
                                + " awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400")),
                        tuple(zone + ".", RRType.TXT, 60L, List.of("\"v=spf1 -all\"", "\"a\" \"b\"")),
                        tuple("api." + zone + ".", RRType.A, 30L, List.of("10.0.0.3")),
                        tuple("api." + zone + ".", RRType.AAAA, 300L, List.of("fd00:ec2:80::a9fe:ab41")),
                        tuple("new." + zone + ".", RRType.A, 30L, List.of("10.0.0.4")));
        assertThat(route53.getHostedZone(r -> r.id(id)).hostedZone().resourceRecordSetCount()).isEqualTo(6L);
    }

    @Test
    void listsRecordSetsAsRoute53SortsThemWithWildcardsEscaped() {
        apply(change(ChangeAction.CREATE, set("*." + zone, RRType.A, 60, "10.0.0.9")),
                change(ChangeAction.CREATE, set("b." + zone, RRType.A, 60, "10.0.0.2")),
                change(ChangeAction.CREATE, set("a.b." + zone, RRType.A, 60, "10.0.0.3")),
                change(ChangeAction.CREATE, set("a-b." + zone, RRType.TXT, 60, "\"x\"")),
                change(ChangeAction.CREATE, set("A." + zone.toUpperCase(java.util.Locale.ROOT), RRType.A, 60,
                        "10.0.0.1")));

        // Keys are the labels reversed with a trailing dot, in ASCII order: "...z.a-b." sorts before "...z.a."
        // because '-' comes before '.', the case Route 53's documentation warns about.
        assertThat(records()).extracting(ResourceRecordSet::name, ResourceRecordSet::type).containsExactly(
                tuple(zone + ".", RRType.NS),
                tuple(zone + ".", RRType.SOA),
                tuple("\\052." + zone + ".", RRType.A),
                tuple("a-b." + zone + ".", RRType.TXT),
                tuple("a." + zone + ".", RRType.A),
                tuple("b." + zone + ".", RRType.A),
                tuple("a.b." + zone + ".", RRType.A));
        // The escaped form names the same record set.
        apply(change(ChangeAction.DELETE, set("\\052." + zone, RRType.A, 60, "10.0.0.9")));
        assertThat(records()).hasSize(6);
    }

    @Test
    void pagesRecordSetsByStartNameAndType() {
        for (int i = 0; i < 5; i++) {
            apply(change(ChangeAction.CREATE, set("host" + i + "." + zone, RRType.A, 60, "10.0.0." + (i + 1))));
        }
        List<String> seen = new ArrayList<>();
        String name = null;
        RRType type = null;
        do {
            String n = name;
            RRType t = type;
            ListResourceRecordSetsResponse page = route53.listResourceRecordSets(r -> r.hostedZoneId(id)
                    .maxItems("2").startRecordName(n).startRecordType(t));
            assertThat(page.maxItems()).isEqualTo("2");
            page.resourceRecordSets().forEach(s -> seen.add(s.name() + " " + s.typeAsString()));
            name = page.isTruncated() ? page.nextRecordName() : null;
            type = page.isTruncated() ? page.nextRecordType() : null;
        } while (name != null);

        assertThat(seen).containsExactly(zone + ". NS", zone + ". SOA", "host0." + zone + ". A",
                "host1." + zone + ". A", "host2." + zone + ". A", "host3." + zone + ". A", "host4." + zone + ". A");
        assertThat(route53.listResourceRecordSets(r -> r.hostedZoneId(id).startRecordName(zone)
                .startRecordType(RRType.SOA)).resourceRecordSets().get(0).type()).isEqualTo(RRType.SOA);
        assertThat(route53.listResourceRecordSetsPaginator(r -> r.hostedZoneId(id).maxItems("3"))
                .resourceRecordSets().stream().count()).isEqualTo(7);
        InvalidInputException typeOnly = failure(InvalidInputException.class,
                () -> route53.listResourceRecordSets(r -> r.hostedZoneId(id).startRecordType(RRType.A)));
        assertThat(typeOnly.statusCode()).isEqualTo(400);
    }

    @Test
    void refusesABatchWholeListingEveryProblem() {
        apply(change(ChangeAction.CREATE, set("taken." + zone, RRType.A, 60, "10.0.0.1")));

        InvalidChangeBatchException e = failure(InvalidChangeBatchException.class, () -> apply(
                change(ChangeAction.CREATE, set("fine." + zone, RRType.A, 60, "10.0.0.5")),
                change(ChangeAction.CREATE, set("taken." + zone, RRType.A, 60, "10.0.0.1")),
                change(ChangeAction.DELETE, set("missing." + zone, RRType.A, 60, "10.0.0.1")),
                change(ChangeAction.CREATE, set(zone, RRType.CNAME, 60, "elsewhere.example.com")),
                change(ChangeAction.CREATE, set("x.other.io", RRType.A, 60, "10.0.0.1")),
                change(ChangeAction.CREATE, set("v4." + zone, RRType.A, 60, "10.0.0")),
                change(ChangeAction.CREATE, set("v6." + zone, RRType.AAAA, 60, "fd00::1::2")),
                change(ChangeAction.CREATE, set("txt." + zone, RRType.TXT, 60, "unquoted"))));

        assertThat(e.statusCode()).isEqualTo(400);
        assertThat(e.awsErrorDetails().errorCode()).isEqualTo("InvalidChangeBatch");
        List<String> expected = List.of(
                "Tried to create resource record set [name='taken." + zone + ".', type='A'] but it already exists",
                "Tried to delete resource record set [name='missing." + zone + ".', type='A'] but it was not found",
                "RRSet of type CNAME with DNS name " + zone + ". is not permitted at apex in zone " + zone + ".",
                "RRSet with DNS name x.other.io. is not permitted in zone " + zone + ".",
                "Invalid Resource Record: 'FATAL problem: ARRDATAIllegalIPv4Address (Value is not a valid IPv4"
                        + " address) encountered with '10.0.0''",
                "Invalid Resource Record: 'FATAL problem: AAAARRDATAIllegalIPv6Address (Value is not a valid IPv6"
                        + " address) encountered with 'fd00::1::2''",
                "Invalid Resource Record: 'FATAL problem: InvalidCharacterString (Value should be enclosed in"
                        + " quotation marks) encountered with 'unquoted''");
        assertThat(e.awsErrorDetails().errorMessage()).isEqualTo("[" + String.join(", ", expected) + "]");
        assertThat(e.messages()).containsExactlyElementsOf(expected);
        assertThat(records()).extracting(ResourceRecordSet::name).doesNotContain("fine." + zone + ".");
    }

    @Test
    void keepsCnamesAloneAtTheirName() {
        apply(change(ChangeAction.CREATE, set("svc." + zone, RRType.A, 60, "10.0.0.1")),
                change(ChangeAction.CREATE, set("alias." + zone, RRType.CNAME, 60, "svc." + zone)));

        InvalidChangeBatchException cnameOverA = failure(InvalidChangeBatchException.class,
                () -> apply(change(ChangeAction.UPSERT, set("svc." + zone, RRType.CNAME, 60, "other." + zone))));
        assertThat(cnameOverA.messages()).containsExactly("RRSet of type CNAME with DNS name svc." + zone
                + ". is not permitted as it conflicts with other records with the same DNS name in zone " + zone + ".");
        InvalidChangeBatchException aOverCname = failure(InvalidChangeBatchException.class,
                () -> apply(change(ChangeAction.CREATE, set("alias." + zone, RRType.TXT, 60, "\"t\""))));
        assertThat(aOverCname.messages()).containsExactly("RRSet of type TXT with DNS name alias." + zone
                + ". is not permitted because a conflicting RRSet of type CNAME with the same DNS name already exists"
                + " in zone " + zone + ".");
        InvalidChangeBatchException twoValues = failure(InvalidChangeBatchException.class,
                () -> apply(change(ChangeAction.UPSERT, set("alias." + zone, RRType.CNAME, 60, "a." + zone,
                        "b." + zone))));
        assertThat(twoValues.messages()).singleElement().asString().contains("exactly one");

        // Replacing the A by a CNAME in one batch works: changes apply in order.
        apply(change(ChangeAction.DELETE, set("svc." + zone, RRType.A, 60, "10.0.0.1")),
                change(ChangeAction.CREATE, set("svc." + zone, RRType.CNAME, 60, "other." + zone)));
        assertThat(records()).extracting(s -> s.name() + " " + s.type()).contains("svc." + zone + ". CNAME")
                .doesNotContain("svc." + zone + ". A");
    }

    @Test
    void deletesOnlyWhatMatchesTheCurrentValues() {
        apply(change(ChangeAction.CREATE, set("m." + zone, RRType.A, 60, "10.0.0.1", "10.0.0.2")));

        InvalidChangeBatchException e = failure(InvalidChangeBatchException.class,
                () -> apply(change(ChangeAction.DELETE, set("m." + zone, RRType.A, 61, "10.0.0.1", "10.0.0.2"))));
        assertThat(e.messages()).containsExactly("Tried to delete resource record set [name='m." + zone
                + ".', type='A'] but the values provided do not match the current values");

        apply(change(ChangeAction.DELETE, set("M." + zone, RRType.A, 60, "10.0.0.2", "10.0.0.1")));
        assertThat(records()).hasSize(2);
    }

    @Test
    void letsTheZonesSoaAndNsBeUpsertedButNeverDeleted() {
        apply(change(ChangeAction.UPSERT, set(zone, RRType.SOA, 300,
                        "ns-1536.awsdns-00.co.uk. hostmaster.sarathy.io. 2 7200 900 1209600 60")),
                change(ChangeAction.UPSERT, set(zone, RRType.NS, 300, "ns-1536.awsdns-00.co.uk.")));
        assertThat(records()).extracting(ResourceRecordSet::type, ResourceRecordSet::ttl)
                .containsExactly(tuple(RRType.NS, 300L), tuple(RRType.SOA, 300L));

        InvalidChangeBatchException e = failure(InvalidChangeBatchException.class, () -> apply(
                change(ChangeAction.DELETE, set(zone, RRType.SOA, 300,
                        "ns-1536.awsdns-00.co.uk. hostmaster.sarathy.io. 2 7200 900 1209600 60")),
                change(ChangeAction.DELETE, set(zone, RRType.NS, 300, "ns-1536.awsdns-00.co.uk.")),
                change(ChangeAction.CREATE, set(zone, RRType.SOA, 300, "a. b. 1 2 3 4 5")),
                change(ChangeAction.CREATE, set("sub." + zone, RRType.NS, 300, "ns.example.com."))));
        assertThat(e.messages()).hasSize(4);
        assertThat(e.messages().get(0)).isEqualTo("A HostedZone must contain exactly one SOA record.");
        assertThat(e.messages().get(1)).isEqualTo("A HostedZone must contain at least one NS record for the zone"
                + " itself.");
        assertThat(e.messages().get(2)).isEqualTo("Tried to create resource record set [name='" + zone
                + ".', type='SOA'] but it already exists");
        assertThat(e.messages().get(3)).contains("only at the apex");
    }

    @Test
    void refusesWhatTrellisDoesNotServeAsInvalidInput() {
        InvalidInputException noTtl = failure(InvalidInputException.class, () -> apply(change(ChangeAction.CREATE,
                ResourceRecordSet.builder().name("n." + zone).type(RRType.A)
                        .resourceRecords(r -> r.value("10.0.0.1")).build())));
        assertThat(noTtl.awsErrorDetails().errorMessage()).isEqualTo("Invalid request: Expected exactly one of"
                + " [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found none in"
                + " Change with [Action=CREATE, Name=n." + zone + ", Type=A, SetIdentifier=null]");

        InvalidInputException alias = failure(InvalidInputException.class, () -> apply(change(ChangeAction.CREATE,
                ResourceRecordSet.builder().name("n." + zone).type(RRType.A).aliasTarget(a -> a
                        .hostedZoneId("Z123").dnsName("x.example.com").evaluateTargetHealth(false)).build())));
        assertThat(alias.awsErrorDetails().errorMessage()).contains("AliasTarget");

        InvalidInputException mx = failure(InvalidInputException.class,
                () -> apply(change(ChangeAction.CREATE, set("n." + zone, RRType.MX, 60, "10 mail.example.com."))));
        assertThat(mx.awsErrorDetails().errorMessage()).contains("not MX");

        InvalidInputException negativeTtl = failure(InvalidInputException.class,
                () -> apply(change(ChangeAction.CREATE, set("n." + zone, RRType.A, -1, "10.0.0.1"))));
        assertThat(negativeTtl.awsErrorDetails().errorMessage()).contains("TTL");

        failure(InvalidInputException.class, () -> route53.changeResourceRecordSets(r -> r.hostedZoneId(id)
                .changeBatch(b -> b.changes(List.of()))));
    }

    @Test
    void acceptsSignaturesForUsEast1AndForTheControlPlanesRegion() {
        for (Region region : List.of(Region.US_EAST_1, Region.of(REGION))) {
            try (Route53Client client = Route53Client.builder().endpointOverride(controlPlane.endpoint())
                    .region(region).credentialsProvider(StaticCredentialsProvider.create(
                            AwsBasicCredentials.create(admin.accessKeyId(), admin.secretAccessKey()))).build()) {
                assertThat(client.getHostedZone(r -> r.id(id)).hostedZone().id()).as(region.id()).isEqualTo(id);
            }
        }
    }
}
