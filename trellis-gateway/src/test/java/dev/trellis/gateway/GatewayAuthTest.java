package dev.trellis.gateway;

import static dev.trellis.gateway.support.Fixtures.ACCOUNT;
import static dev.trellis.gateway.support.Fixtures.DATASTORE_DOMAIN;
import static dev.trellis.gateway.support.Fixtures.DATASTORE_ID;
import static dev.trellis.gateway.support.Fixtures.REGION;
import static dev.trellis.gateway.support.Fixtures.VPC_A;
import static dev.trellis.gateway.support.Fixtures.VPC_B;
import static dev.trellis.gateway.support.Fixtures.defaultRule;
import static dev.trellis.gateway.support.Fixtures.forward;
import static dev.trellis.gateway.support.Fixtures.group;
import static dev.trellis.gateway.support.Fixtures.http;
import static dev.trellis.gateway.support.Fixtures.service;
import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.gateway.accesslog.AccessLogRecord;
import dev.trellis.gateway.support.Signer;
import dev.trellis.gateway.support.TestBackend;
import dev.trellis.gateway.support.TestGateway;
import dev.trellis.model.snapshot.AuthLevel;
import dev.trellis.model.snapshot.CallerCredential;
import dev.trellis.model.snapshot.ServiceEntry;
import dev.trellis.model.snapshot.VpcSnapshot;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * SigV4 authentication and Lattice authorization with the walkthrough's policies (reference/seed/sample): the
 * network lets everyone in, the datastore service allows role {@code aws-sigv4-client} from VPC-A only.
 */
class GatewayAuthTest {

    static final String SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    static final Signer CLIENT = new Signer("AKIDEXAMPLECLIENT", SECRET);
    static final Signer STRANGER = new Signer("AKIDEXAMPLESTRANGER", "stranger-secret-key-0000000000000000000");
    static final Signer UNKNOWN = new Signer("AKIDNOTINTHESNAPSHOT", SECRET);
    static final Signer ASYMMETRIC = new Signer("AKIDEXAMPLESIGV4A", "sigv4a-secret-key-000000000000000000000");
    static final String OPEN_DOMAIN = "open-0333333333333333b.7d67968.vpc-lattice-svcs.us-west-2.on.aws";

    static TestBackend datastore;
    static TestGateway gatewayA;
    static TestGateway gatewayB;

    static String seed(String file) throws IOException {
        Path dir = Path.of(System.getProperty("trellis.reference.dir", "../../shared/reference"), "seed", "sample");
        return Files.readString(dir.resolve(file));
    }

    static VpcSnapshot snapshotOf(String vpc) throws IOException {
        AuthLevel network = new AuthLevel("AWS_IAM", seed("lattice-service-network-policy.json"));
        AuthLevel servicePolicy = new AuthLevel("AWS_IAM", seed("lattice-service-policy.json"));
        ServiceEntry secured = service(DATASTORE_ID, "datastore", DATASTORE_DOMAIN, null, network, servicePolicy, 60,
                http(80, defaultRule(forward("tg-datastore", 1))));
        // A service anyone may call: the network's allow-all policy and no service policy.
        ServiceEntry open = service("svc-0333333333333333b", "open", OPEN_DOMAIN, null, network, AuthLevel.NONE, 60,
                http(80, defaultRule(forward("tg-datastore", 1))));
        List<CallerCredential> credentials = List.of(
                CLIENT.assumedRole("aws-sigv4-client", "frontend", seed("lattice-client-policy.json")),
                STRANGER.assumedRole("aws-sigv4-client", "no-identity-policy"),
                ASYMMETRIC.assumedRoleWithSigV4a("aws-sigv4-client", "sigv4a", seed("lattice-client-policy.json")));
        return new VpcSnapshot(1, vpc, ACCOUNT, REGION, Instant.now(), List.of(secured, open),
                List.of(group("tg-datastore", vpc, datastore)), List.of(), credentials);
    }

    @BeforeAll
    static void start() throws Exception {
        datastore = TestBackend.start("datastore");
        gatewayA = TestGateway.start(snapshotOf(VPC_A));
        gatewayB = TestGateway.start(snapshotOf(VPC_B));
    }

    @AfterAll
    static void stop() {
        gatewayA.close();
        gatewayB.close();
        datastore.close();
    }

    @BeforeEach
    void clear() {
        datastore.drain();
        gatewayA.accessLog().clear();
    }

    private static HttpResponse<String> signedGet(TestGateway gateway, Signer signer, String host, String path)
            throws Exception {
        return gateway.send(signer.sign(gateway.request(host, 80, path), "GET", host, path).GET().build());
    }

    @Test
    void forwardsTheWalkthroughRoleFromVpcAWithItsVerifiedIdentity() throws Exception {
        HttpResponse<String> response = signedGet(gatewayA, CLIENT, DATASTORE_DOMAIN, "/summary?days=7");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("datastore");
        TestBackend.Received received = datastore.take();
        assertThat(received.header("x-amzn-lattice-identity")).isEqualTo("Principal=arn:aws:sts::615847537300:"
                + "assumed-role/aws-sigv4-client/frontend; PrincipalOrgID=; SessionName=frontend; Type=AWS_IAM");
        assertThat(received.header("authorization")).startsWith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLECLIENT/");
        AccessLogRecord record = gatewayA.accessLog().take(response);
        assertThat(record.resolvedUser()).isEqualTo("arn:aws:sts::615847537300:assumed-role/aws-sigv4-client/"
                + "frontend");
        assertThat(record.callerPrincipal()).isEqualTo(record.resolvedUser());
    }

    @Test
    void verifiesSigV4aSignaturesWithThePublicKeyFromTheSnapshot() throws Exception {
        HttpResponse<String> anyRegion = gatewayA.send(ASYMMETRIC.signV4a(gatewayA.request(DATASTORE_DOMAIN, 80,
                "/summary"), "GET", DATASTORE_DOMAIN, "/summary", "*").GET().build());
        HttpResponse<String> otherRegion = gatewayA.send(ASYMMETRIC.signV4a(gatewayA.request(DATASTORE_DOMAIN, 80,
                "/summary"), "GET", DATASTORE_DOMAIN, "/summary", "eu-west-1").GET().build());

        assertThat(anyRegion.statusCode()).isEqualTo(200);
        assertThat(datastore.take().header("x-amzn-lattice-identity")).startsWith("Principal=arn:aws:sts::"
                + "615847537300:assumed-role/aws-sigv4-client/sigv4a;");
        assertThat(otherRegion.statusCode()).isEqualTo(403);
        assertThat(otherRegion.body()).isEqualTo("InvalidSignatureException: The region set 'eu-west-1' does not "
                + "include the region 'us-west-2'.");
    }

    /**
     * A connection keeps its last caller's identity header value (ClientExchangeHandler.identityValue): callers that
     * take turns on one keep-alive connection must each still be named as themselves.
     */
    @Test
    void callersTakingTurnsOnOneConnectionAreEachForwardedWithTheirOwnIdentity() throws Exception {
        List<String> sources = new java.util.ArrayList<>();
        for (int round = 0; round < 2; round++) {
            HttpResponse<String> bySigV4 = signedGet(gatewayA, CLIENT, DATASTORE_DOMAIN, "/summary");
            assertThat(bySigV4.statusCode()).isEqualTo(200);
            assertThat(datastore.take().header("x-amzn-lattice-identity"))
                    .startsWith("Principal=arn:aws:sts::615847537300:assumed-role/aws-sigv4-client/frontend;");
            sources.add(gatewayA.accessLog().take(bySigV4).sourceIpPort());
            HttpResponse<String> bySigV4a = gatewayA.send(ASYMMETRIC.signV4a(gatewayA.request(DATASTORE_DOMAIN, 80,
                    "/summary"), "GET", DATASTORE_DOMAIN, "/summary", "*").GET().build());
            assertThat(bySigV4a.statusCode()).isEqualTo(200);
            assertThat(datastore.take().header("x-amzn-lattice-identity"))
                    .startsWith("Principal=arn:aws:sts::615847537300:assumed-role/aws-sigv4-client/sigv4a;");
            sources.add(gatewayA.accessLog().take(bySigV4a).sourceIpPort());
        }
        // The same client address and port throughout: the four requests shared one connection.
        assertThat(sources).hasSize(4).containsOnly(sources.get(0));
    }

    @Test
    void refusesAnAnonymousCallerWithTheServicePolicysDenial() throws Exception {
        HttpResponse<String> response = gatewayA.get(DATASTORE_DOMAIN, 80, "/summary");

        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(response.headers().firstValue("content-type")).hasValue("text/plain; charset=utf-8");
        assertThat(response.body()).isEqualTo("AccessDeniedException: User: anonymous is not authorized to perform:"
                + " vpc-lattice-svcs:Invoke on resource: arn:aws:vpc-lattice:us-west-2:615847537300:service/"
                + "svc-0891088e6cc27c501/summary because no service-based policy allows the vpc-lattice-svcs:Invoke"
                + " action");
        assertThat(datastore.drain()).isEmpty();
        AccessLogRecord record = gatewayA.accessLog().take(response);
        assertThat(record.authDeniedReason()).isEqualTo("Service");
        assertThat(record.failureReason()).isEqualTo("ClientAccessDenied");
        assertThat(record.responseCode()).isEqualTo(403);
        assertThat(record.targetIpPort()).isNull();
        assertThat(record.requestToTargetDuration()).isZero();
    }

    @Test
    void refusesTheRightRoleCallingFromAnotherVpc() throws Exception {
        HttpResponse<String> response = signedGet(gatewayB, CLIENT, DATASTORE_DOMAIN, "/summary");

        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(response.body()).isEqualTo("AccessDeniedException: User: arn:aws:sts::615847537300:assumed-role/"
                + "aws-sigv4-client/frontend is not authorized to perform: vpc-lattice-svcs:Invoke on resource: "
                + "arn:aws:vpc-lattice:us-west-2:615847537300:service/svc-0891088e6cc27c501/summary because no "
                + "service-based policy allows the vpc-lattice-svcs:Invoke action");
    }

    @Test
    void refusesACallerWhoseIdentityPoliciesDoNotAllowInvoke() throws Exception {
        HttpResponse<String> response = signedGet(gatewayA, STRANGER, DATASTORE_DOMAIN, "/summary");

        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(response.body()).isEqualTo("AccessDeniedException: User: arn:aws:sts::615847537300:assumed-role/"
                + "aws-sigv4-client/no-identity-policy is not authorized to perform: vpc-lattice-svcs:Invoke on "
                + "resource: arn:aws:vpc-lattice:us-west-2:615847537300:service/svc-0891088e6cc27c501/summary "
                + "because no identity-based policy allows the vpc-lattice-svcs:Invoke action");
        assertThat(gatewayA.accessLog().take(response).authDeniedReason()).isEqualTo("Identity");
    }

    @Test
    void refusesSignatureMadeWithWrongSecretEvenWhenAnonymousIsAllowed() throws Exception {
        HttpResponse<String> anonymous = gatewayA.get(OPEN_DOMAIN, 80, "/");
        HttpResponse<String> forged = gatewayA.send(CLIENT.sign(gatewayA.request(OPEN_DOMAIN, 80, "/"), "GET",
                OPEN_DOMAIN, "/", "not-the-secret-key-000000000000000000000").GET().build());

        assertThat(anonymous.statusCode()).isEqualTo(200);
        assertThat(forged.statusCode()).isEqualTo(403);
        assertThat(forged.headers().firstValue("content-type")).hasValue("text/plain; charset=utf-8");
        assertThat(forged.body()).isEqualTo("InvalidSignatureException: The request signature we calculated does not"
                + " match the signature you provided. Check your AWS Secret Access Key and signing method. Consult "
                + "the service documentation for details.");
    }

    @Test
    void refusesAnAccessKeyTheSnapshotDoesNotKnow() throws Exception {
        HttpResponse<String> response = signedGet(gatewayA, UNKNOWN, OPEN_DOMAIN, "/");

        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(response.body()).isEqualTo("UnrecognizedClientException: The security token included in the "
                + "request is invalid.");
        assertThat(gatewayA.accessLog().take(response).failureReason()).isEqualTo("AuthenticationFailed");
    }

    @Test
    void refusesASignatureOverAPathOtherThanTheOneSent() throws Exception {
        HttpResponse<String> response = gatewayA.send(CLIENT.sign(gatewayA.request(DATASTORE_DOMAIN, 80, "/admin"),
                "GET", DATASTORE_DOMAIN, "/summary").GET().build());

        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(response.body()).startsWith("InvalidSignatureException: ");
    }
}
