package dev.trellis.controlplane;

import dev.trellis.controlplane.identity.IdentityDirectory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;

/** Creates VPCs the way users do, with the EC2 API of a running control plane. */
public final class TestVpcs {

    private TestVpcs() {
    }

    /** A new VPC with {@code cidr}, created with the admin's key; returns its id. */
    public static String create(ControlPlane controlPlane, IdentityDirectory.AdminCredentials admin, String cidr) {
        try (Ec2Client ec2 = Ec2Client.builder()
                .endpointOverride(controlPlane.endpoint())
                .region(Region.of(controlPlane.config().region()))
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(admin.accessKeyId(), admin.secretAccessKey())))
                .build()) {
            return ec2.createVpc(r -> r.cidrBlock(cidr)).vpc().vpcId();
        }
    }

    public static String create(ControlPlane controlPlane, IdentityDirectory.AdminCredentials admin) {
        return create(controlPlane, admin, "10.0.0.0/16");
    }
}
