package dev.trellis.controlplane;

import dev.trellis.controlplane.acm.AcmService;
import dev.trellis.controlplane.api.AwsApiDispatcher;
import dev.trellis.controlplane.api.AwsService;
import dev.trellis.controlplane.ec2.Ec2Service;
import dev.trellis.controlplane.gateways.GatewayApi;
import dev.trellis.controlplane.http.ApiServer;
import dev.trellis.controlplane.iam.IamService;
import dev.trellis.controlplane.identity.IdentityDirectory;
import dev.trellis.controlplane.identity.IdentityPolicyAuthorizer;
import dev.trellis.controlplane.lattice.LatticeCertificateUsers;
import dev.trellis.controlplane.lattice.LatticeOperations;
import dev.trellis.controlplane.lattice.LatticeService;
import dev.trellis.controlplane.lattice.LatticeVpcDependents;
import dev.trellis.controlplane.snapshot.IdentityCredentialSource;
import dev.trellis.controlplane.snapshot.ListenerCertificates;
import dev.trellis.controlplane.snapshot.SnapshotApi;
import dev.trellis.controlplane.snapshot.SnapshotService;
import dev.trellis.controlplane.route53.Route53Service;
import dev.trellis.controlplane.pki.InternalCa;
import dev.trellis.controlplane.pki.ManagedCertificate;
import dev.trellis.controlplane.pki.MasterKey;
import dev.trellis.controlplane.store.H2Store;
import dev.trellis.controlplane.store.PostgresStore;
import dev.trellis.controlplane.store.Store;
import dev.trellis.controlplane.sts.StsService;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running control plane: the store, the identities, the AWS-protocol APIs and the HTTP server that serves them.
 * {@link #close} stops accepting calls, lets in-flight calls finish, and closes the store.
 */
public final class ControlPlane implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ControlPlane.class);

    /** The name of the AWS config file with the admin's profile, in the data directory. */
    public static final String AWS_CONFIG_FILE = "aws-config";
    public static final String PROFILE = "trellis";

    /** How to start a control plane. {@code store} is {@code h2} (embedded, in the data directory) or a JDBC URL. */
    public record Options(Path dataDir, String host, int port, String store, ControlPlaneConfig config) {
    }

    private final ControlPlaneConfig config;
    private final Store store;
    private final ApiServer server;
    private final URI endpoint;
    private final Optional<IdentityDirectory.AdminCredentials> firstStartCredentials;
    private final Path awsConfigFile;
    private final InternalCa internalCa;
    private final SnapshotService snapshots;

    private ControlPlane(ControlPlaneConfig config, Store store, ApiServer server, URI endpoint,
                         Optional<IdentityDirectory.AdminCredentials> firstStartCredentials, Path awsConfigFile,
                         InternalCa internalCa, SnapshotService snapshots) {
        this.config = config;
        this.store = store;
        this.server = server;
        this.endpoint = endpoint;
        this.firstStartCredentials = firstStartCredentials;
        this.awsConfigFile = awsConfigFile;
        this.internalCa = internalCa;
        this.snapshots = snapshots;
    }

    public static ControlPlane start(Options options, Clock clock) throws InterruptedException {
        createPrivateDirectory(options.dataDir());
        Store store = openStore(options);
        try {
            ControlPlaneConfig config = options.config();
            IdentityDirectory identities = new IdentityDirectory(store, config, clock);
            IdentityPolicyAuthorizer authorizer = new IdentityPolicyAuthorizer(identities);
            MasterKey masterKey = MasterKey.load(options.dataDir(), System.getenv());
            InternalCa ca = InternalCa.loadOrCreate(store, masterKey, config, clock);
            ca.writeCertificate(options.dataDir().resolve(InternalCa.CERTIFICATE_FILE));
            // HTTPS listeners: the managed certificate of the generated names and the services' ACM certificates.
            ManagedCertificate generatedNames = new ManagedCertificate(store, ca, masterKey, config, clock,
                    ManagedCertificate.DEFAULT_VALIDITY);
            SnapshotService snapshots = new SnapshotService(store, config, clock,
                    new IdentityCredentialSource(config, identities),
                    new ListenerCertificates(generatedNames, masterKey));
            List<AwsService> services = List.of(
                    new LatticeService(store, config, clock, authorizer, LatticeOperations.all()),
                    new Ec2Service(store, config, clock, authorizer, new LatticeVpcDependents()),
                    new Route53Service(store, config, clock, authorizer),
                    new AcmService(store, config, clock, authorizer, ca, masterKey, new LatticeCertificateUsers()),
                    new IamService(store, config, clock, authorizer, identities),
                    new StsService(store, config, clock, identities, authorizer, snapshots),
                    new SnapshotApi(snapshots, config, authorizer,
                            new GatewayApi(store, config, clock, authorizer, ca)));
            AwsApiDispatcher dispatcher = new AwsApiDispatcher(services, identities.credentialResolver(),
                    config.region(), clock);
            ApiServer server = ApiServer.start(options.host(), options.port(), dispatcher);
            // Only once the port is bound: a start that fails to listen must not create an admin whose profile is
            // never written (the next start would not print it again).
            Optional<IdentityDirectory.AdminCredentials> admin;
            try {
                admin = identities.bootstrap();
            } catch (RuntimeException e) {
                server.close();
                throw e;
            }
            String host = options.host().equals("0.0.0.0") ? "127.0.0.1" : options.host();
            URI endpoint = URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":"
                    + server.port());
            Path awsConfig = options.dataDir().resolve(AWS_CONFIG_FILE);
            if (admin.isPresent()) {
                writeAwsConfig(awsConfig, admin.get(), config.region(), endpoint);
            }
            log.info("control plane serving {} for account {} in {} ({})", endpoint, config.accountId(),
                    config.region(), store.describe());
            return new ControlPlane(config, store, server, endpoint, admin, awsConfig, ca, snapshots);
        } catch (RuntimeException | InterruptedException e) {
            store.close();
            throw e;
        }
    }

    private static Store openStore(Options options) {
        String store = options.store();
        if (store == null || store.equals("h2")) {
            return H2Store.open(options.dataDir());
        }
        if (store.startsWith("jdbc:postgresql:")) {
            return PostgresStore.open(store);
        }
        throw new IllegalArgumentException("--store must be 'h2' or a jdbc:postgresql: URL, not '" + store + "'");
    }

    /** Creates the data directory readable by its owner only; an existing one is left as it is. */
    private static void createPrivateDirectory(Path dir) {
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir,
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the data directory " + dir, e);
        }
    }

    /** Writes the admin's profile as an AWS config file only the owner can read. */
    private static void writeAwsConfig(Path file, IdentityDirectory.AdminCredentials admin, String region,
                                       URI endpoint) {
        String text = profile(admin, region, endpoint);
        try {
            Files.deleteIfExists(file);
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(file, text);
        } catch (UnsupportedOperationException e) {
            throw new IllegalStateException("the data directory's file system cannot restrict " + file
                    + " to its owner", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** The AWS CLI / SDK profile of the admin user. */
    public static String profile(IdentityDirectory.AdminCredentials admin, String region, URI endpoint) {
        return "[profile " + PROFILE + "]\n"
                + "aws_access_key_id = " + admin.accessKeyId() + "\n"
                + "aws_secret_access_key = " + admin.secretAccessKey() + "\n"
                + "region = " + region + "\n"
                + "endpoint_url = " + endpoint + "\n";
    }

    public URI endpoint() {
        return endpoint;
    }

    public ControlPlaneConfig config() {
        return config;
    }

    public Store store() {
        return store;
    }

    /** The admin's credentials when this start bootstrapped the account; empty on later starts. */
    public Optional<IdentityDirectory.AdminCredentials> firstStartCredentials() {
        return firstStartCredentials;
    }

    public Path awsConfigFile() {
        return awsConfigFile;
    }

    /** The snapshots this control plane serves its gateways. */
    public SnapshotService snapshots() {
        return snapshots;
    }

    /** The CA that issues Trellis's certificates; its certificate is also in {@code <data-dir>/ca.pem}. */
    public InternalCa internalCa() {
        return internalCa;
    }

    @Override
    public void close() {
        log.info("control plane stopping: finishing in-flight calls");
        // Long-polls would hold the server for up to a minute: they answer 503 now and gateways retry elsewhere.
        snapshots.close();
        server.close();
        store.close();
    }
}
