package dev.trellis.cli;

import dev.trellis.cli.lab.Isolation;
import dev.trellis.cli.lab.Lab;
import dev.trellis.cli.lab.LabControlPlane;
import dev.trellis.cli.lab.LabProcess;
import dev.trellis.cli.lab.LabVpc;
import dev.trellis.controlplane.ControlPlane;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;

/**
 * {@code trellis up}: the all-in-one for a user's own experiments — a control plane on the embedded store and one
 * gateway per VPC named on the command line, in network namespaces where the machine allows, on loopback addresses
 * otherwise. Everything it starts is removed on Ctrl-C or SIGTERM. docs/demo.md describes it.
 */
@Command(
        name = "up",
        mixinStandardHelpOptions = true,
        description = {
            "Starts a control plane (embedded store) and, for each --vpc, a VPC created with the EC2 API and its"
                + " gateway: a network namespace per VPC when this is root and 'ip netns' works (run commands inside"
                + " with 'ip netns exec'), else a block of loopback addresses per VPC.",
            "Prints the control plane's endpoint, the admin's AWS CLI profile and how to reach each VPC, then runs"
                + " until Ctrl-C or SIGTERM, which stop every process and remove every namespace and temp file."
        })
public final class UpCommand implements Callable<Integer> {

    private static final Pattern VPC = Pattern.compile("([a-z0-9-]{1,20})=(\\d{1,3}(?:\\.\\d{1,3}){3}/\\d{1,2})");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

    @Spec
    CommandSpec spec;

    @Option(names = "--vpc", paramLabel = "NAME=CIDR",
            description = "A VPC to create, with its gateway (repeatable): a name of 1-20 a-z, 0-9 and '-', and its"
                    + " IPv4 CIDR (VPCs may overlap). Default: vpc-a=10.0.0.0/24.")
    List<String> vpcs = new ArrayList<>();

    @Option(names = "--isolation", defaultValue = "auto", paramLabel = "auto|namespaces|loopback",
            description = "How the VPCs are kept apart: namespaces (one network namespace each, gateway on"
                    + " 169.254.171.1; needs root and iproute2), loopback (127.0.<n>.0/24 each, listener ports shifted"
                    + " by an offset), or auto (namespaces when possible). Default: ${DEFAULT-VALUE}.")
    String isolation;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Where the store, the gateways' state and the logs go; must be empty or absent, and is kept"
                    + " afterwards. Default: a temp directory, removed on exit.")
    Path dataDir;

    @Override
    public Integer call() throws Exception {
        CommandLine cli = spec.commandLine();
        Map<String, String> wanted = new LinkedHashMap<>();
        for (String vpc : vpcs.isEmpty() ? List.of("vpc-a=10.0.0.0/24") : vpcs) {
            var m = VPC.matcher(vpc);
            if (!m.matches()) {
                throw new CommandLine.ParameterException(cli, "--vpc must be NAME=CIDR (name: 1-20 of a-z, 0-9 and"
                        + " '-'; e.g. vpc-a=10.0.0.0/24), not '" + vpc + "'");
            }
            if (wanted.put(m.group(1), m.group(2)) != null) {
                throw new CommandLine.ParameterException(cli, "--vpc " + m.group(1) + " is named twice");
            }
        }
        Isolation mode;
        try {
            mode = Isolation.choose(isolation);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cli, e.getMessage());
        }
        if (dataDir != null && Files.isDirectory(dataDir)) {
            try (var entries = Files.list(dataDir)) {
                if (entries.findAny().isPresent()) {
                    throw new CommandLine.ParameterException(cli, "--data-dir " + dataDir + " is not empty");
                }
            }
        }
        PrintWriter out = cli.getOut();
        Lab lab;
        try {
            lab = Lab.create("up", mode, dataDir, List.of("-Xmx512m"));
        } catch (java.io.IOException e) {
            cli.getErr().println("trellis up: cannot make the work directory: " + e);
            return 1;
        }
        try {
            LabProcess controlPlaneProcess = LabControlPlane.launch(lab);
            List<LabVpc> labVpcs = new ArrayList<>();
            for (String name : wanted.keySet()) {
                labVpcs.add(lab.addVpc(name));
            }
            LabControlPlane controlPlane = LabControlPlane.await(lab, controlPlaneProcess, START_TIMEOUT);
            List<String> vpcIds = new ArrayList<>();
            try (Ec2Client ec2 = controlPlane.client(Ec2Client.builder(), Region.US_WEST_2)) {
                for (String cidr : wanted.values()) {
                    vpcIds.add(ec2.createVpc(r -> r.cidrBlock(cidr)).vpc().vpcId());
                }
            }
            List<LabProcess> gateways = new ArrayList<>();
            for (int i = 0; i < labVpcs.size(); i++) {
                gateways.add(controlPlane.startGateway(lab, labVpcs.get(i), vpcIds.get(i)));
            }
            for (LabProcess gateway : gateways) {
                gateway.awaitReady(START_TIMEOUT);
            }
            print(out, lab, controlPlane, labVpcs, vpcIds, new ArrayList<>(wanted.values()));
        } catch (Exception e) {
            cli.getErr().println("trellis up failed: " + (e.getMessage() != null ? e.getMessage() : e));
            cli.getErr().flush();
            lab.close();
            return 1;
        }
        // The lab's shutdown hook stops and removes everything on Ctrl-C or SIGTERM.
        new CountDownLatch(1).await();
        return 0;
    }

    private static void print(PrintWriter out, Lab lab, LabControlPlane controlPlane, List<LabVpc> vpcs,
                              List<String> vpcIds, List<String> cidrs) throws java.io.IOException {
        out.println("Trellis is up: a control plane and " + vpcs.size() + " VPC" + (vpcs.size() == 1 ? "" : "s")
                + ", " + (lab.isolation() == Isolation.NAMESPACES ? "each a network namespace"
                : "each a block of loopback addresses (the VPCs' CIDRs are not real addresses here)") + ".");
        out.println();
        out.println("Control plane: " + controlPlane.endpoint() + " (account " + controlPlane.account() + ", region "
                + LabControlPlane.REGION + ")");
        out.println("AWS CLI profile (in " + controlPlane.awsConfigFile() + "):");
        out.println();
        out.print(Files.readString(controlPlane.awsConfigFile()));
        out.println();
        out.println("  export AWS_CONFIG_FILE=" + controlPlane.awsConfigFile());
        out.println("  aws --profile " + ControlPlane.PROFILE + " vpc-lattice list-service-networks");
        out.println();
        out.println("VPCs:");
        for (int i = 0; i < vpcs.size(); i++) {
            LabVpc vpc = vpcs.get(i);
            out.println("  " + vpc.label() + ": " + vpcIds.get(i) + " " + cidrs.get(i) + ", gateway "
                    + vpc.gatewayAddress() + (vpc.portOffset() != 0 ? " (listener port P on P+" + vpc.portOffset()
                    + ")" : "") + ", DNS " + vpc.gatewayAddress() + ":" + vpc.dnsPort());
            if (vpc.namespace() != null) {
                out.println("    run a command inside: " + vpc.execPrefix() + " <command>   (its resolver is the"
                        + " gateway; give targets addresses with: ip -n " + vpc.namespace()
                        + " addr add 10.0.0.5/32 dev lo)");
            } else {
                out.println("    targets in it listen on 127.0." + (i + 1) + ".2-254; clients call "
                        + vpc.gatewayAddress() + ":<listener port + " + vpc.portOffset() + "> with the service's"
                        + " name as Host (dig @" + vpc.gatewayAddress() + " -p " + vpc.dnsPort() + " <name>)");
            }
        }
        out.println();
        out.println("Logs: " + lab.workDir().resolve("logs") + (lab.ownsWorkDir() ? " (removed on exit)" : ""));
        out.println("Stop with Ctrl-C or SIGTERM: every process, namespace and temp file is removed.");
        out.flush();
    }
}
