package dev.trellis.controlplane.pki;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The key-encryption key of a control plane: a 256-bit AES key that encrypts every private key the store keeps
 * (ACM certificates' keys, the internal CA's key) with AES-256-GCM. It comes from the environment variable
 * {@value #ENVIRONMENT_VARIABLE} when set (base64 of 32 bytes; what several replicas over one PostgreSQL database
 * must share), else from {@code <data-dir>/master.key}, which the first start creates readable by its owner only.
 *
 * <p>Every sealed value is bound to a context string (the ARN of the resource it belongs to) as GCM additional
 * data, so a ciphertext copied into another row does not decrypt. A sealed value names the key it was sealed with
 * by a short fingerprint, so a control plane started with the wrong key says so instead of failing obscurely.
 * See docs/api-acm.md ("Private keys at rest") for what this protects against and what it does not.
 */
public final class MasterKey {

    private static final Logger log = LoggerFactory.getLogger(MasterKey.class);

    public static final String ENVIRONMENT_VARIABLE = "TRELLIS_MASTER_KEY";
    public static final String FILE_NAME = "master.key";
    private static final String FORMAT = "v1";
    private static final int KEY_BYTES = 32;
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SecretKeySpec key;
    private final String fingerprint;
    private final String source;

    private MasterKey(byte[] keyBytes, String source) {
        if (keyBytes.length != KEY_BYTES) {
            throw new IllegalArgumentException("a master key is " + KEY_BYTES + " bytes (base64 of 32 random bytes),"
                    + " not " + keyBytes.length + " (from " + source + ")");
        }
        this.key = new SecretKeySpec(keyBytes, "AES");
        this.fingerprint = fingerprint(keyBytes);
        this.source = source;
        Arrays.fill(keyBytes, (byte) 0);
    }

    /** A master key from its base64 text (32 bytes). */
    public static MasterKey fromBase64(String text, String source) {
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(text.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the master key from " + source + " is not base64: " + e.getMessage());
        }
        return new MasterKey(bytes, source);
    }

    /** A new random key, for tests and for the first start. */
    public static MasterKey generate() {
        byte[] bytes = new byte[KEY_BYTES];
        RANDOM.nextBytes(bytes);
        return new MasterKey(bytes, "a generated key");
    }

    /**
     * The control plane's master key: {@value #ENVIRONMENT_VARIABLE} from {@code environment} when it is set, else
     * {@code <dataDir>/master.key}, created (mode 0600, 32 random bytes in base64) when it does not exist.
     */
    public static MasterKey load(Path dataDir, Map<String, String> environment) {
        String fromEnvironment = environment.get(ENVIRONMENT_VARIABLE);
        if (fromEnvironment != null && !fromEnvironment.isBlank()) {
            return fromBase64(fromEnvironment, "the environment variable " + ENVIRONMENT_VARIABLE);
        }
        Path file = dataDir.resolve(FILE_NAME);
        try {
            if (!Files.exists(file)) {
                create(file);
            }
            warnIfReadableByOthers(file);
            return fromBase64(Files.readString(file, StandardCharsets.US_ASCII), file.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the master key " + file, e);
        }
    }

    private static void create(Path file) throws IOException {
        byte[] bytes = new byte[KEY_BYTES];
        RANDOM.nextBytes(bytes);
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (FileAlreadyExistsException e) {
            return; // another process created it first; read theirs
        } catch (UnsupportedOperationException e) {
            throw new IllegalStateException("the data directory's file system cannot restrict " + file
                    + " to its owner; set " + ENVIRONMENT_VARIABLE + " instead", e);
        }
        Files.writeString(file, Base64.getEncoder().encodeToString(bytes) + "\n", StandardCharsets.US_ASCII);
        Arrays.fill(bytes, (byte) 0);
        log.info("created the master key {} (encrypts private keys in the store; back it up with the store)", file);
    }

    private static void warnIfReadableByOthers(Path file) throws IOException {
        try {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
            if (permissions.contains(PosixFilePermission.GROUP_READ)
                    || permissions.contains(PosixFilePermission.OTHERS_READ)) {
                log.warn("the master key {} is readable by others ({}); chmod 600 it", file,
                        PosixFilePermissions.toString(permissions));
            }
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: nothing to check
        }
    }

    /** A short, non-secret identifier of this key (the start of a SHA-256 over a label and the key). */
    public String fingerprint() {
        return fingerprint;
    }

    /** Where this key came from, for messages: a file name or the environment variable. */
    public String source() {
        return source;
    }

    /**
     * Encrypts {@code plaintext} bound to {@code context}: {@code v1.<fingerprint>.<base64(nonce || ciphertext ||
     * tag)>}.
     */
    public String seal(byte[] plaintext, String context) {
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(aad(context));
            byte[] sealed = cipher.doFinal(plaintext);
            byte[] out = new byte[NONCE_BYTES + sealed.length];
            System.arraycopy(nonce, 0, out, 0, NONCE_BYTES);
            System.arraycopy(sealed, 0, out, NONCE_BYTES, sealed.length);
            return FORMAT + "." + fingerprint + "." + Base64.getEncoder().encodeToString(out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-256-GCM is not available in this JVM", e);
        }
    }

    /**
     * Decrypts what {@link #seal} made for the same {@code context}.
     *
     * @throws WrongMasterKeyException when the value was sealed with another key, or was altered or moved
     */
    public byte[] open(String sealed, String context) {
        String[] parts = sealed.split("\\.", 3);
        if (parts.length != 3 || !parts[0].equals(FORMAT)) {
            throw new WrongMasterKeyException("the stored value for " + context + " is not a sealed private key");
        }
        if (!parts[1].equals(fingerprint)) {
            throw new WrongMasterKeyException("the private key of " + context + " was encrypted with master key "
                    + parts[1] + ", but this control plane's master key (from " + source + ") is " + fingerprint
                    + ": start it with the master key the store was created with");
        }
        byte[] data;
        try {
            data = Base64.getDecoder().decode(parts[2]);
        } catch (IllegalArgumentException e) {
            throw new WrongMasterKeyException("the stored private key of " + context + " is corrupt");
        }
        if (data.length < NONCE_BYTES + TAG_BITS / 8) {
            throw new WrongMasterKeyException("the stored private key of " + context + " is corrupt");
        }
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, data, 0, NONCE_BYTES));
            cipher.updateAAD(aad(context));
            return cipher.doFinal(data, NONCE_BYTES, data.length - NONCE_BYTES);
        } catch (AEADBadTagException e) {
            throw new WrongMasterKeyException("the stored private key of " + context
                    + " does not authenticate: it was altered or belongs to another resource");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-256-GCM is not available in this JVM", e);
        }
    }

    private static byte[] aad(String context) {
        return ("trellis-private-key:" + context).getBytes(StandardCharsets.UTF_8);
    }

    private static String fingerprint(byte[] keyBytes) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update("trellis-master-key-fingerprint".getBytes(StandardCharsets.US_ASCII));
            return HexFormat.of().formatHex(sha.digest(keyBytes), 0, 8);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is not available in this JVM", e);
        }
    }

    @Override
    public String toString() {
        return "MasterKey[" + fingerprint + " from " + source + "]";
    }

    /** A sealed value that this key cannot open: another key sealed it, or it was altered or moved. */
    public static final class WrongMasterKeyException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        WrongMasterKeyException(String message) {
            super(message);
        }
    }
}
