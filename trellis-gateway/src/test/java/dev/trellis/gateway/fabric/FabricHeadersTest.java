package dev.trellis.gateway.fabric;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trellis.auth.Principal;
import dev.trellis.gateway.proxy.TargetRequestHeaders;
import dev.trellis.model.snapshot.TargetGroupEntry;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The fabric's request headers as the first hop writes them and the receiving gateway reads them. */
class FabricHeadersTest {

    private static final String PEER_VPC = "vpc-0aaaaaaaaaaaaaaaa";
    private static final String PEER_VPC_ARN = "arn:aws:ec2:us-west-2:111122223333:vpc/" + PEER_VPC;
    private static final String SERVICE = "arn:aws:vpc-lattice:us-west-2:111122223333:service/svc-0123456789abcdef0";
    private static final String NETWORK =
            "arn:aws:vpc-lattice:us-west-2:111122223333:servicenetwork/sn-0123456789abcdef0";
    private static final TargetGroupEntry GROUP = group("tg-0123456789abcdef0");
    private static final Principal ROLE = Principal.assumedRole("aws", "111122223333", "/", "frontend",
            "AROAEXAMPLE", "pod-1", Map.of());

    @Test
    void whatTheFirstHopWritesTheReceivingGatewayReadsBack() {
        FabricHeaders.Writer writer = new FabricHeaders.Writer();
        HttpHeaders headers = headers(writer.route(GROUP, 443, "https", 60, SERVICE, NETWORK),
                writer.caller(PEER_VPC, PEER_VPC_ARN, ROLE), FabricHeaders.request("req-1", "10.0.0.7"));

        FabricRequest request = read(headers);

        assertThat(request.targetGroupId()).isEqualTo(GROUP.id());
        assertThat(request.listenerPort()).isEqualTo(443);
        assertThat(request.proto()).isEqualTo("https");
        assertThat(request.timeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(request.requestId()).isEqualTo("req-1");
        assertThat(request.clientIp()).isEqualTo("10.0.0.7");
        assertThat(request.caller().sourceVpc).isEqualTo(PEER_VPC);
        assertThat(request.caller().callerArn).isEqualTo(ROLE.arn());
        // The target-side headers made of them (facts §2).
        assertThat(request.caller().identity.toString()).isEqualTo("Principal=" + ROLE.arn()
                + "; PrincipalOrgID=; SessionName=pod-1; Type=AWS_IAM");
        assertThat(request.caller().network.toString()).isEqualTo("SourceVpcArn=" + PEER_VPC_ARN);
        assertThat(request.route().latticeTarget(GROUP).toString()).isEqualTo("ServiceArn=" + SERVICE
                + "; ServiceNetworkArn=" + NETWORK + "; TargetGroupArn=" + GROUP.arn());
    }

    @Test
    void anAnonymousCallerTravelsAsItsVpcAlone() {
        HttpHeaders headers = headers(FabricHeaders.route(GROUP.id(), 80, "http", 1, SERVICE, NETWORK),
                FabricHeaders.caller(PEER_VPC, PEER_VPC_ARN, Principal.anonymous()),
                FabricHeaders.request("req-2", "2001:db8::1"));

        assertThat(headers.get(FabricHeaders.CALLER)).isEqualTo(PEER_VPC + " " + PEER_VPC_ARN);
        FabricRequest request = read(headers);
        assertThat(request.caller().callerArn).isNull();
        assertThat((Object) request.caller().identity).isNull();
        assertThat(request.clientIp()).isEqualTo("2001:db8::1");
    }

    @Test
    void aFieldWithASpaceOrAPercentSignArrivesIntact() {
        HttpHeaders headers = headers(FabricHeaders.route(GROUP.id(), 80, "http", 1, SERVICE, NETWORK),
                FabricHeaders.caller(PEER_VPC, PEER_VPC_ARN, ROLE), FabricHeaders.request("a b%20c%", "10.0.0.7"));

        assertThat(headers.get(FabricHeaders.REQUEST)).isEqualTo("a%20b%2520c%25 10.0.0.7");
        assertThat(read(headers).requestId()).isEqualTo("a b%20c%");
    }

    @Test
    void theWriterSendsTheSameValueForTheSameRouteAndCallerAndANewOneWhenEitherChanges() {
        FabricHeaders.Writer writer = new FabricHeaders.Writer();
        AsciiString route = writer.route(GROUP, 80, "http", 60, SERVICE, NETWORK);
        AsciiString caller = writer.caller(PEER_VPC, PEER_VPC_ARN, ROLE);

        assertThat((Object) writer.route(GROUP, 80, "http", 60, SERVICE, NETWORK)).isSameAs(route);
        assertThat((Object) writer.caller(PEER_VPC, PEER_VPC_ARN, ROLE)).isSameAs(caller);

        TargetGroupEntry canary = group("tg-0fedcba9876543210");
        assertThat(writer.route(canary, 80, "http", 60, SERVICE, NETWORK).toString()).startsWith(canary.id() + " ");
        assertThat((Object) writer.route(GROUP, 80, "http", 60, SERVICE, NETWORK)).isEqualTo(route);
        assertThat(writer.route(GROUP, 8080, "http", 60, SERVICE, NETWORK).toString())
                .isEqualTo(GROUP.id() + " 8080 http 60 " + SERVICE + " " + NETWORK);
        assertThat(writer.route(GROUP, 80, "http", 30, SERVICE, NETWORK).toString()).contains(" 30 ");
        assertThat(writer.caller(PEER_VPC, PEER_VPC_ARN, Principal.anonymous()).toString())
                .isEqualTo(PEER_VPC + " " + PEER_VPC_ARN);
        assertThat((Object) writer.caller(PEER_VPC, PEER_VPC_ARN, ROLE)).isEqualTo(caller);
    }

    @Test
    void aGatewayCannotSpeakForAnotherVpc() {
        HttpHeaders headers = headers(FabricHeaders.route(GROUP.id(), 80, "http", 60, SERVICE, NETWORK),
                FabricHeaders.caller(PEER_VPC, PEER_VPC_ARN, ROLE), FabricHeaders.request("req-1", "10.0.0.7"));

        assertThatThrownBy(() -> new FabricRequest.Reader("vpc-0bbbbbbbbbbbbbbbb").read(headers))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("x-trellis-fabric-caller names the source VPC " + PEER_VPC
                        + ", but the peer's certificate is for vpc-0bbbbbbbbbbbbbbbb");
        headers.set(FabricHeaders.CALLER, PEER_VPC + " arn:aws:ec2:us-west-2:111122223333:vpc/vpc-0bbbbbbbbbbbbbbbb");
        assertThatThrownBy(() -> read(headers))
                .hasMessage("x-trellis-fabric-caller must name the ARN of " + PEER_VPC);
    }

    @Test
    void aMissingOrMisshapenHeaderIsRefusedByName() {
        HttpHeaders headers = headers(FabricHeaders.route(GROUP.id(), 80, "http", 60, SERVICE, NETWORK),
                FabricHeaders.caller(PEER_VPC, PEER_VPC_ARN, ROLE), FabricHeaders.request("req-1", "10.0.0.7"));
        headers.remove(FabricHeaders.REQUEST);
        assertThatThrownBy(() -> read(headers))
                .hasMessage("the fabric request has no x-trellis-fabric-request header");

        headers.set(FabricHeaders.REQUEST, "req-1");
        assertThatThrownBy(() -> read(headers))
                .hasMessage("x-trellis-fabric-request must have 2 space-separated fields, not 1");

        headers.set(FabricHeaders.REQUEST, "req-1  10.0.0.7");
        assertThatThrownBy(() -> read(headers))
                .hasMessage("x-trellis-fabric-request must have 2 space-separated fields, not 3");

        headers.set(FabricHeaders.REQUEST, "req-1 10.0.0.7");
        headers.set(FabricHeaders.CALLER, PEER_VPC + " " + PEER_VPC_ARN + " " + ROLE.arn());
        assertThatThrownBy(() -> read(headers))
                .hasMessage("x-trellis-fabric-caller must have 2 fields (an anonymous caller) or 5");
    }

    @Test
    void theRoutesNumbersAndProtoAreChecked() {
        HttpHeaders headers = headers(FabricHeaders.route(GROUP.id(), 80, "http", 60, SERVICE, NETWORK),
                FabricHeaders.caller(PEER_VPC, PEER_VPC_ARN, ROLE), FabricHeaders.request("req-1", "10.0.0.7"));
        for (List<String> bad : List.of(
                List.of(GROUP.id() + " 0 http 60 " + SERVICE + " " + NETWORK,
                        "x-trellis-fabric-route: the listener port must be a number from 1 to 65535"),
                List.of(GROUP.id() + " 80 http 3601 " + SERVICE + " " + NETWORK,
                        "x-trellis-fabric-route: the timeout must be a number from 1 to 3600"),
                List.of(GROUP.id() + " 80 http x " + SERVICE + " " + NETWORK,
                        "x-trellis-fabric-route: the timeout must be a number from 1 to 3600"),
                List.of(GROUP.id() + " 80 gopher 60 " + SERVICE + " " + NETWORK,
                        "x-trellis-fabric-route: the proto must be http or https"))) {
            headers.set(FabricHeaders.ROUTE, bad.get(0));
            assertThatThrownBy(() -> read(headers)).hasMessage(bad.get(1));
        }
    }

    @Test
    void aConnectionsReaderChecksARouteOrCallerOnceAndAgainWhenItChanges() {
        FabricRequest.Reader reader = new FabricRequest.Reader(PEER_VPC);
        HttpHeaders headers = headers(FabricHeaders.route(GROUP.id(), 80, "http", 60, SERVICE, NETWORK),
                FabricHeaders.caller(PEER_VPC, PEER_VPC_ARN, ROLE), FabricHeaders.request("req-1", "10.0.0.7"));
        FabricRequest first = reader.read(headers);
        headers.set(FabricHeaders.REQUEST, FabricHeaders.request("req-2", "10.0.0.8"));
        FabricRequest second = reader.read(headers);

        assertThat(second.route()).isSameAs(first.route());
        assertThat(second.caller()).isSameAs(first.caller());
        assertThat(second.requestId()).isEqualTo("req-2");
        assertThat(second.clientIp()).isEqualTo("10.0.0.8");

        headers.set(FabricHeaders.ROUTE, FabricHeaders.route("tg-0fedcba9876543210", 80, "http", 60, SERVICE,
                NETWORK));
        headers.set(FabricHeaders.CALLER, FabricHeaders.caller(PEER_VPC, PEER_VPC_ARN, Principal.anonymous()));
        FabricRequest third = reader.read(headers);
        assertThat(third.targetGroupId()).isEqualTo("tg-0fedcba9876543210");
        assertThat((Object) third.caller().identity).isNull();

        // A bad route is refused every time, not only the first.
        headers.set(FabricHeaders.ROUTE, GROUP.id() + " 80 gopher 60 " + SERVICE + " " + NETWORK);
        for (int i = 0; i < 2; i++) {
            assertThatThrownBy(() -> reader.read(headers)).hasMessage(
                    "x-trellis-fabric-route: the proto must be http or https");
        }
    }

    @Test
    void theTargetSideLinesAreMadeOncePerGroupAndCallerAndCarryWhatTheHeadersSaid() {
        FabricRequest.Reader reader = new FabricRequest.Reader(PEER_VPC);
        HttpHeaders headers = headers(FabricHeaders.route(GROUP.id(), 443, "https", 60, SERVICE, NETWORK),
                FabricHeaders.caller(PEER_VPC, PEER_VPC_ARN, ROLE), FabricHeaders.request("req-1", "10.0.0.7"));
        FabricRequest request = reader.read(headers);

        TargetRequestHeaders.Lines lines = request.route().targetLines(GROUP, request.caller());

        assertThat(lines.toString()).isEqualTo("x-forwarded-port: 443; x-forwarded-proto: https; "
                + "x-amzn-lattice-identity: " + request.caller().identity + "; "
                + "x-amzn-lattice-network: SourceVpcArn=" + PEER_VPC_ARN + "; "
                + "x-amzn-lattice-target: " + request.route().latticeTarget(GROUP) + "; "
                + "x-amzn-source-vpc: " + PEER_VPC + "; ");
        headers.set(FabricHeaders.REQUEST, FabricHeaders.request("req-2", "10.0.0.8"));
        FabricRequest next = reader.read(headers);
        assertThat(next.route().targetLines(GROUP, next.caller())).isSameAs(lines);

        headers.set(FabricHeaders.CALLER, FabricHeaders.caller(PEER_VPC, PEER_VPC_ARN, Principal.anonymous()));
        FabricRequest anonymous = reader.read(headers);
        TargetRequestHeaders.Lines anonymousLines = anonymous.route().targetLines(GROUP, anonymous.caller());
        assertThat(anonymousLines.toString()).doesNotContain("identity").contains("x-amzn-source-vpc: " + PEER_VPC);
        TargetGroupEntry canary = group("tg-0fedcba9876543210");
        assertThat(anonymous.route().targetLines(canary, anonymous.caller()).toString())
                .contains("TargetGroupArn=" + canary.arn());
    }

    private static FabricRequest read(HttpHeaders headers) {
        return new FabricRequest.Reader(PEER_VPC).read(headers);
    }

    private static HttpHeaders headers(AsciiString route, AsciiString caller, AsciiString request) {
        HttpHeaders headers = DefaultHttpHeadersFactory.headersFactory().newHeaders();
        headers.set(FabricHeaders.ROUTE, route);
        headers.set(FabricHeaders.CALLER, caller);
        headers.set(FabricHeaders.REQUEST, request);
        return headers;
    }

    private static TargetGroupEntry group(String id) {
        return new TargetGroupEntry(id, "arn:aws:vpc-lattice:us-west-2:111122223333:targetgroup/" + id, "IP", "HTTP",
                "HTTP1", 8080, "vpc-0ccccccccccccccccc", null, List.of());
    }
}
