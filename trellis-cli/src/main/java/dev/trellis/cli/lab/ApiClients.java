package dev.trellis.cli.lab;

import java.net.URI;
import java.util.function.Supplier;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.awscore.client.builder.AwsSyncClientBuilder;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.acm.AcmClient;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.route53.Route53Client;
import software.amazon.awssdk.services.vpclattice.VpcLatticeClient;

/**
 * The AWS SDK clients of the walkthrough (EC2, VPC Lattice, ACM, Route 53, IAM) pointed at a lab's control plane,
 * sharing one HTTP client. They can be built — and {@link #warmUp() warmed up} — before the control plane serves,
 * because its endpoint is chosen beforehand and the credentials are read at each call: the SDK's first call of each
 * service costs about a second of class loading, which then overlaps the control plane's own start instead of
 * following it.
 */
public final class ApiClients implements AutoCloseable {

    private final SdkHttpClient http = ApacheHttpClient.builder().build();
    private final Ec2Client ec2;
    private final VpcLatticeClient lattice;
    private final AcmClient acm;
    private final Route53Client route53;
    private final IamClient iam;

    /** @param credentials read at every call: the admin's key once the control plane has written it */
    public ApiClients(URI endpoint, Supplier<AwsCredentials> credentials) {
        AwsCredentialsProvider provider = credentials::get;
        Region region = Region.of(LabControlPlane.REGION);
        ec2 = build(Ec2Client.builder(), endpoint, region, provider);
        lattice = build(VpcLatticeClient.builder(), endpoint, region, provider);
        acm = build(AcmClient.builder(), endpoint, region, provider);
        // IAM and Route 53 are global services: the SDK signs them for aws-global, which Trellis accepts.
        route53 = build(Route53Client.builder(), endpoint, Region.AWS_GLOBAL, provider);
        iam = build(IamClient.builder(), endpoint, Region.AWS_GLOBAL, provider);
    }

    private <B extends AwsClientBuilder<B, C> & AwsSyncClientBuilder<B, C>, C> C build(
            B builder, URI endpoint, Region region, AwsCredentialsProvider credentials) {
        return builder.endpointOverride(endpoint).region(region).credentialsProvider(credentials).httpClient(http)
                .overrideConfiguration(o -> o.retryStrategy(r -> r.maxAttempts(3))).build();
    }

    /**
     * One read-only call of each service, whatever it answers (connection refused before the control plane listens,
     * a refusal with placeholder credentials): only the classes it loads matter.
     */
    public void warmUp() {
        attempt(() -> ec2.describeVpcs());
        attempt(() -> lattice.listServiceNetworks(r -> { }));
        attempt(() -> acm.listCertificates());
        attempt(() -> route53.listHostedZones());
        attempt(() -> iam.listRoles());
    }

    private static void attempt(Runnable call) {
        try {
            call.run();
        } catch (SdkException | IllegalStateException e) {
            // expected: see warmUp
        }
    }

    public Ec2Client ec2() {
        return ec2;
    }

    public VpcLatticeClient lattice() {
        return lattice;
    }

    public AcmClient acm() {
        return acm;
    }

    public Route53Client route53() {
        return route53;
    }

    public IamClient iam() {
        return iam;
    }

    @Override
    public void close() {
        ec2.close();
        lattice.close();
        acm.close();
        route53.close();
        iam.close();
        http.close();
    }
}
