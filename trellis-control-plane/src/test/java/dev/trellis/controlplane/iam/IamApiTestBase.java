package dev.trellis.controlplane.iam;

import dev.trellis.controlplane.ControlPlane;
import dev.trellis.controlplane.ControlPlaneConfig;
import dev.trellis.controlplane.TestClock;
import dev.trellis.controlplane.identity.IdentityDirectory;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.retry.RetryPolicy;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.sts.StsClient;

/** A real control plane on an embedded store, with IAM and STS clients of the AWS SDK for Java v2. */
public abstract class IamApiTestBase {

    protected static final String ACCOUNT = "111122223333";
    protected static final String TRUST_ACCOUNT = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
            + "\"Principal\":{\"AWS\":\"arn:aws:iam::" + ACCOUNT + ":root\"},\"Action\":\"sts:AssumeRole\"}]}";
    protected static final String ALLOW_ALL = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
            + "\"Action\":\"*\",\"Resource\":\"*\"}]}";

    @TempDir
    protected Path dataDir;

    protected final TestClock clock = new TestClock();
    protected ControlPlane controlPlane;
    protected IamClient iam;
    protected StsClient sts;

    @BeforeEach
    void startControlPlane() throws InterruptedException {
        controlPlane = ControlPlane.start(new ControlPlane.Options(dataDir, "127.0.0.1", 0, "h2",
                ControlPlaneConfig.defaults("us-west-2", ACCOUNT)), clock);
        IdentityDirectory.AdminCredentials admin = controlPlane.firstStartCredentials().orElseThrow();
        AwsBasicCredentials credentials = AwsBasicCredentials.create(admin.accessKeyId(), admin.secretAccessKey());
        iam = iam(credentials);
        sts = sts(credentials);
    }

    @AfterEach
    void stopControlPlane() {
        iam.close();
        sts.close();
        controlPlane.close();
    }

    /** An IAM client as real SDKs make it: global region, so requests are signed for us-east-1. */
    protected IamClient iam(AwsCredentials credentials) {
        return IamClient.builder()
                .endpointOverride(controlPlane.endpoint())
                .region(Region.AWS_GLOBAL)
                .credentialsProvider(StaticCredentialsProvider.create(credentials))
                .overrideConfiguration(o -> o.retryPolicy(RetryPolicy.none()))
                .build();
    }

    protected StsClient sts(AwsCredentials credentials) {
        return StsClient.builder()
                .endpointOverride(controlPlane.endpoint())
                .region(Region.US_WEST_2)
                .credentialsProvider(StaticCredentialsProvider.create(credentials))
                .overrideConfiguration(o -> o.retryPolicy(RetryPolicy.none()))
                .build();
    }
}
