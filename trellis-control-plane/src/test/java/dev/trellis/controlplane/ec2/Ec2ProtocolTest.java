package dev.trellis.controlplane.ec2;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.auth.Principal;
import dev.trellis.controlplane.ControlPlaneConfig;
import dev.trellis.controlplane.api.Caller;
import dev.trellis.controlplane.protocol.ApiException;
import dev.trellis.controlplane.protocol.ApiRequest;
import dev.trellis.controlplane.protocol.ApiResponse;
import dev.trellis.controlplane.store.Store;
import dev.trellis.controlplane.store.TestStores;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The EC2 query protocol as raw requests and bytes, called in-process (authentication is the dispatcher's, tested
 * elsewhere): the exact XML documents, parameters in the body or the query string, and what odd input gets —
 * always a 4xx in EC2's error document, never a 500.
 */
class Ec2ProtocolTest {

    private static final String ACCOUNT = "111122223333";
    private static final String XML = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    private static Store store;
    private static Ec2Service ec2;

    private record Answer(int status, String contentType, String body) {
        String code() {
            Matcher m = Pattern.compile("<Code>([^<]*)</Code>").matcher(body);
            return m.find() ? m.group(1) : null;
        }

        String message() {
            Matcher m = Pattern.compile("<Message>([^<]*)</Message>").matcher(body);
            return m.find() ? m.group(1) : null;
        }
    }

    @BeforeAll
    static void start() {
        store = TestStores.h2();
        ec2 = new Ec2Service(store, ControlPlaneConfig.defaults("us-west-2", ACCOUNT), Clock.systemUTC(),
                (caller, action, arn) -> {
                    if (caller.accountId().equals("999999999999")) {
                        throw new ApiException("AccessDeniedException", 403, "User: " + caller.principal().arn()
                                + " is not authorized to perform: " + action + " on resource: " + arn);
                    }
                }, VpcDependents.NONE);
    }

    @AfterAll
    static void stop() {
        store.close();
    }

    private static Answer post(String body) {
        return post(body, ACCOUNT);
    }

    private static Answer post(String body, String account) {
        TreeMap<String, List<String>> headers = ApiRequest.newHeaderMap();
        headers.put("Content-Type", List.of("application/x-www-form-urlencoded; charset=utf-8"));
        return answer(new ApiRequest("POST", "/", "", Map.of(), headers, body.getBytes(StandardCharsets.UTF_8)),
                account);
    }

    private static Answer answer(ApiRequest request, String account) {
        ApiResponse response = ec2.handle(request, new Caller(Principal.accountRoot("aws", account), account,
                "req-1"));
        return new Answer(response.status(), response.headers().get("Content-Type"),
                new String(response.body(), StandardCharsets.UTF_8));
    }

    /** {@code name=value&...}, form-encoded. */
    private static String form(Map<String, String> parameters) {
        StringBuilder out = new StringBuilder();
        parameters.forEach((name, value) -> out.append(out.length() == 0 ? "" : "&")
                .append(URLEncoder.encode(name, StandardCharsets.UTF_8)).append('=')
                .append(URLEncoder.encode(value, StandardCharsets.UTF_8)));
        return out.toString();
    }

    private static String createVpc(String... tags) {
        Map<String, String> params = new LinkedHashMap<>(Map.of("Action", "CreateVpc", "Version", "2016-11-15",
                "CidrBlock", "10.0.0.0/16"));
        for (int i = 0; i < tags.length; i += 2) {
            params.put("TagSpecification.1.ResourceType", "vpc");
            params.put("TagSpecification.1.Tag." + (i / 2 + 1) + ".Key", tags[i]);
            params.put("TagSpecification.1.Tag." + (i / 2 + 1) + ".Value", tags[i + 1]);
        }
        Answer answer = post(form(params));
        assertThat(answer.status()).as(answer.body()).isEqualTo(200);
        Matcher id = Pattern.compile("<vpcId>(vpc-[0-9a-f]{17})</vpcId>").matcher(answer.body());
        assertThat(id.find()).isTrue();
        return id.group(1);
    }

    @Test
    void answersCreateVpcWithEc2sXmlDocument() {
        Answer answer = post("Action=CreateVpc&Version=2016-11-15&CidrBlock=10.0.0.0%2F16");

        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.contentType()).isEqualTo("text/xml;charset=UTF-8");
        assertThat(answer.body()).matches(Pattern.quote(XML + "<CreateVpcResponse xmlns=\"http://ec2.amazonaws.com/"
                + "doc/2016-11-15/\"><requestId>req-1</requestId><vpc><vpcId>") + "vpc-[0-9a-f]{17}"
                + Pattern.quote("</vpcId><ownerId>111122223333</ownerId><state>available</state><cidrBlock>"
                + "10.0.0.0/16</cidrBlock><cidrBlockAssociationSet><item><cidrBlock>10.0.0.0/16</cidrBlock>"
                + "<associationId>") + "vpc-cidr-assoc-[0-9a-f]{17}" + Pattern.quote("</associationId>"
                + "<cidrBlockState><state>associated</state></cidrBlockState></item></cidrBlockAssociationSet>"
                + "<dhcpOptionsId>default</dhcpOptionsId><instanceTenancy>default</instanceTenancy>"
                + "<isDefault>false</isDefault></vpc></CreateVpcResponse>"));
    }

    @Test
    void answersDeleteAndTagCallsWithReturnTrue() {
        String vpc = createVpc();

        assertThat(post("Action=CreateTags&Version=2016-11-15&ResourceId.1=" + vpc + "&Tag.1.Key=a&Tag.1.Value=b")
                .body()).isEqualTo(XML + "<CreateTagsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
                + "<requestId>req-1</requestId><return>true</return></CreateTagsResponse>");
        assertThat(post("Action=DeleteTags&Version=2016-11-15&ResourceId.1=" + vpc).body())
                .contains("<DeleteTagsResponse ").contains("<return>true</return>");
        assertThat(post("Action=DeleteVpc&Version=2016-11-15&VpcId=" + vpc).body()).isEqualTo(XML
                + "<DeleteVpcResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>req-1"
                + "</requestId><return>true</return></DeleteVpcResponse>");
    }

    @Test
    void rendersErrorsAsEc2sResponseErrorsDocument() {
        Answer answer = post("Action=DescribeSubnets&Version=2016-11-15");

        assertThat(answer.status()).isEqualTo(400);
        assertThat(answer.contentType()).isEqualTo("text/xml;charset=UTF-8");
        assertThat(answer.body()).isEqualTo(XML + "<Response><Errors><Error><Code>InvalidAction</Code><Message>The"
                + " action DescribeSubnets is not valid for this web service. Trellis serves the EC2 actions"
                + " CreateVpc, DescribeVpcs, DeleteVpc, CreateTags, DeleteTags (docs/api-compatibility.md)."
                + "</Message></Error></Errors><RequestID>req-1</RequestID></Response>");
    }

    @Test
    void readsParametersFromTheQueryStringOfAGet() {
        String vpc = createVpc();
        ApiRequest get = new ApiRequest("GET", "/", "Action=DescribeVpcs&Version=2016-11-15&VpcId.1=" + vpc,
                Map.of("Action", List.of("DescribeVpcs"), "Version", List.of("2016-11-15"), "VpcId.1", List.of(vpc),
                        "X-Amz-Signature", List.of("ignored-here")),
                ApiRequest.newHeaderMap(), new byte[0]);

        Answer answer = answer(get, ACCOUNT);

        assertThat(answer.status()).as(answer.body()).isEqualTo(200);
        assertThat(answer.body()).contains("<DescribeVpcsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
                + "<requestId>req-1</requestId><vpcSet><item><vpcId>" + vpc + "</vpcId>");
    }

    @Test
    void needsActionAndVersionAndServesOnlyVersion20161115() {
        assertThat(post("Version=2016-11-15").code()).isEqualTo("MissingAction");
        Answer noVersion = post("Action=DescribeVpcs");
        assertThat(noVersion.code()).isEqualTo("MissingParameter");
        assertThat(noVersion.message()).isEqualTo("The request must contain the parameter Version");
        Answer oldVersion = post("Action=DescribeVpcs&Version=2014-10-01");
        assertThat(oldVersion.code()).isEqualTo("InvalidParameterValue");
        assertThat(oldVersion.message()).isEqualTo("Trellis serves the EC2 API version 2016-11-15, not '2014-10-01'");
    }

    @Test
    void rejectsParametersItDoesNotKnowAndThoseItDoesNotImplement() {
        Answer unknown = post("Action=DescribeVpcs&Version=2016-11-15&VpcIds.1=vpc-0123456789abcdef0");
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.code()).isEqualTo("UnknownParameter");
        assertThat(unknown.message()).isEqualTo("The parameter VpcIds.1 is not recognized");

        Answer ipv6 = post("Action=CreateVpc&Version=2016-11-15&CidrBlock=10.0.0.0%2F16"
                + "&AmazonProvidedIpv6CidrBlock=true");
        assertThat(ipv6.code()).isEqualTo("UnsupportedOperation");
        assertThat(ipv6.message()).isEqualTo("Trellis does not support AmazonProvidedIpv6CidrBlock on CreateVpc (no"
                + " IPv6 CIDR blocks; docs/api-compatibility.md)");
        assertThat(post("Action=CreateVpc&Version=2016-11-15&Ipv4IpamPoolId=ipam-pool-0123").code())
                .isEqualTo("UnsupportedOperation");
        assertThat(post("Action=CreateVpc&Version=2016-11-15&CidrBlock=10.0.0.0%2F16&InstanceTenancy=dedicated")
                .code()).isEqualTo("UnsupportedOperation");
        assertThat(post("Action=CreateVpc&Version=2016-11-15&CidrBlock=10.0.0.0%2F16&InstanceTenancy=default")
                .status()).isEqualTo(200);
        assertThat(post("Action=CreateVpc&Version=2016-11-15&CidrBlock=10.0.0.0%2F16"
                + "&TagSpecification.1.ResourceType=subnet&TagSpecification.1.Tag.1.Key=a").message())
                .isEqualTo("'subnet' is not a valid taggable resource type for this operation"
                        + " (TagSpecification.1.ResourceType)");
    }

    @Test
    void rejectsBodiesThatAreNotFormEncodedAndParametersGivenTwice() {
        TreeMap<String, List<String>> json = ApiRequest.newHeaderMap();
        json.put("Content-Type", List.of("application/json"));
        Answer notForm = answer(new ApiRequest("POST", "/", "", Map.of(), json,
                "{\"Action\":\"DescribeVpcs\"}".getBytes(StandardCharsets.UTF_8)), ACCOUNT);
        assertThat(notForm.status()).isEqualTo(400);
        assertThat(notForm.code()).isEqualTo("MalformedQueryString");

        assertThat(post("Action=DescribeVpcs&Version=2016-11-15&VpcId.1=%zz").code())
                .isEqualTo("MalformedQueryString");
        Answer twice = post("Action=DescribeVpcs&Version=2016-11-15&MaxResults=5&MaxResults=6");
        assertThat(twice.code()).isEqualTo("InvalidParameterValue");
        assertThat(twice.message()).isEqualTo("The parameter MaxResults is given more than once");
        // fullwidth digits, which Integer.parseInt reads as 10
        Answer fullwidth = post("Action=DescribeVpcs&Version=2016-11-15&MaxResults=%EF%BC%91%EF%BC%90");
        assertThat(fullwidth.code()).isEqualTo("InvalidParameterValue");
        assertThat(fullwidth.message()).contains("for parameter maxResults is invalid");
    }

    @Test
    void keepsTagValuesVerbatimAndRefusesCharactersXmlCannotCarry() {
        String vpc = createVpc("Name", "<a & \"b\" 'c'> é ✓ 𝄞");

        Answer described = post("Action=DescribeVpcs&Version=2016-11-15&VpcId.1=" + vpc);
        assertThat(described.body()).contains("<tagSet><item><key>Name</key><value>&lt;a &amp; \"b\" 'c'&gt; é ✓ 𝄞"
                + "</value></item></tagSet>");

        Answer control = post("Action=CreateTags&Version=2016-11-15&ResourceId.1=" + vpc
                + "&Tag.1.Key=bell&Tag.1.Value=%07");
        assertThat(control.code()).isEqualTo("InvalidParameterValue");
        assertThat(control.message()).isEqualTo("Value (\uFFFD) for parameter Tag.1.Value is invalid. Tags cannot"
                + " contain control characters.");
    }

    @Test
    void answersACallerItsPoliciesRefuseWithUnauthorizedOperationBeforeADryRun() {
        Answer answer = post("Action=DescribeVpcs&Version=2016-11-15&DryRun=true", "999999999999");

        assertThat(answer.status()).isEqualTo(403);
        assertThat(answer.code()).isEqualTo("UnauthorizedOperation");
        assertThat(answer.message()).isEqualTo("You are not authorized to perform this operation. User:"
                + " arn:aws:iam::999999999999:root is not authorized to perform: ec2:DescribeVpcs on resource: *");
    }

    @Test
    void neverSeesAnotherAccountsVpcs() {
        String vpc = createVpc();

        Answer answer = post("Action=DescribeVpcs&Version=2016-11-15&VpcId.1=" + vpc, "444455556666");

        assertThat(answer.code()).isEqualTo("InvalidVpcID.NotFound");
        assertThat(post("Action=DescribeVpcs&Version=2016-11-15", "444455556666").body()).contains("<vpcSet></vpcSet>");
    }

    @Test
    void recognizesAnUnsignedEc2RequestByItsVersion() {
        TreeMap<String, List<String>> headers = ApiRequest.newHeaderMap();
        headers.put("Content-Type", List.of("application/x-www-form-urlencoded"));
        assertThat(ec2.recognizes(new ApiRequest("POST", "/", "", Map.of(), headers,
                "Action=DescribeVpcs&Version=2016-11-15".getBytes(StandardCharsets.UTF_8)))).isTrue();
        assertThat(ec2.recognizes(new ApiRequest("GET", "/", "Version=2016-11-15",
                Map.of("Version", List.of("2016-11-15")), ApiRequest.newHeaderMap(), new byte[0]))).isTrue();
        assertThat(ec2.recognizes(new ApiRequest("GET", "/servicenetworks", "", Map.of(), ApiRequest.newHeaderMap(),
                new byte[0]))).isFalse();
        assertThat(ec2.recognizes(new ApiRequest("POST", "/", "", Map.of(), headers,
                "Action=ListUsers&Version=2010-05-08".getBytes(StandardCharsets.UTF_8)))).isFalse();
    }

    /**
     * Takes a valid request of each action and, one parameter at a time, drops it, empties it or replaces it with
     * odd values: every answer is a 200 or a 4xx in EC2's error document, never a 500.
     */
    @Test
    void neverAnswersAPerturbedValidRequestWithA500() {
        String vpc = createVpc("Name", "fuzz");
        List<Map<String, String>> requests = List.of(
                params("Action", "CreateVpc", "CidrBlock", "10.0.0.0/16", "InstanceTenancy", "default",
                        "AmazonProvidedIpv6CidrBlock", "false", "TagSpecification.1.ResourceType", "vpc",
                        "TagSpecification.1.Tag.1.Key", "k", "TagSpecification.1.Tag.1.Value", "v"),
                params("Action", "DescribeVpcs", "VpcId.1", vpc, "Filter.1.Name", "tag:Name", "Filter.1.Value.1",
                        "f*", "Filter.2.Name", "cidr", "Filter.2.Value.1", "10.0.0.0/16", "MaxResults", "5",
                        "NextToken", VpcOperations.token(0), "DryRun", "false"),
                params("Action", "CreateTags", "ResourceId.1", vpc, "Tag.1.Key", "k", "Tag.1.Value", "v"),
                params("Action", "DeleteTags", "ResourceId.1", vpc, "Tag.1.Key", "k", "Tag.1.Value", "v"),
                params("Action", "DeleteVpc", "VpcId", "vpc-0123456789abcdef0", "DryRun", "true"));
        List<String> odd = List.of("", " ", "0", "-1", "99999999999", "true", "x", "vpc-", "vpc-zz", "*", "\\",
                "%", "%00", "\u0000", "\uD800", "a".repeat(5000), "10.0.0.0/16", "aws:x", "Filter.1.Name");
        List<String> failures = new ArrayList<>();
        for (Map<String, String> valid : requests) {
            for (String name : valid.keySet()) {
                List<Map<String, String>> variants = new ArrayList<>();
                Map<String, String> dropped = new LinkedHashMap<>(valid);
                dropped.remove(name);
                variants.add(dropped);
                for (String value : odd) {
                    Map<String, String> changed = new LinkedHashMap<>(valid);
                    changed.put(name, value);
                    variants.add(changed);
                }
                Map<String, String> renamed = new LinkedHashMap<>(valid);
                renamed.put(name + ".0", renamed.remove(name));
                variants.add(renamed);
                for (Map<String, String> variant : variants) {
                    Answer answer = post(form(variant));
                    boolean wellFormed = answer.status() == 200 || (answer.status() < 500 && answer.code() != null
                            && answer.body().startsWith(XML + "<Response><Errors><Error><Code>"));
                    if (!wellFormed) {
                        failures.add(variant + " -> " + answer.status() + " " + answer.body());
                    }
                }
            }
        }
        assertThat(failures).isEmpty();
    }

    private static Map<String, String> params(String... pairs) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            out.put(pairs[i], pairs[i + 1]);
            if (i == 0) {
                out.put("Version", "2016-11-15");
            }
        }
        return out;
    }
}
