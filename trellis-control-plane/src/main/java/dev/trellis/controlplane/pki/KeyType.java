package dev.trellis.controlplane.pki;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Optional;

/**
 * The key types the internal CA issues certificates for, named by ACM's {@code KeyAlgorithm} values (the ones
 * ACM's RequestCertificate accepts).
 */
public enum KeyType {
    RSA_2048("RSA_2048"),
    EC_P256("EC_prime256v1"),
    EC_P384("EC_secp384r1");

    private final String acmName;

    KeyType(String acmName) {
        this.acmName = acmName;
    }

    /** ACM's name of this key type ({@code RSA_2048}, {@code EC_prime256v1}, ...). */
    public String acmName() {
        return acmName;
    }

    public static Optional<KeyType> ofAcmName(String name) {
        for (KeyType type : values()) {
            if (type.acmName.equals(name)) {
                return Optional.of(type);
            }
        }
        return Optional.empty();
    }

    /** A new key pair of this type. */
    public KeyPair generate() {
        try {
            KeyPairGenerator generator;
            switch (this) {
                case RSA_2048 -> {
                    generator = KeyPairGenerator.getInstance("RSA");
                    generator.initialize(2048);
                }
                case EC_P256 -> {
                    generator = KeyPairGenerator.getInstance("EC");
                    generator.initialize(new ECGenParameterSpec("secp256r1"));
                }
                case EC_P384 -> {
                    generator = KeyPairGenerator.getInstance("EC");
                    generator.initialize(new ECGenParameterSpec("secp384r1"));
                }
                default -> throw new IllegalStateException("unhandled key type " + this);
            }
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM cannot generate " + acmName + " keys", e);
        }
    }

    /** The signature algorithm a key of this type signs certificates with. */
    String signatureAlgorithm() {
        return switch (this) {
            case RSA_2048 -> "SHA256withRSA";
            case EC_P256 -> "SHA256withECDSA";
            case EC_P384 -> "SHA384withECDSA";
        };
    }
}
