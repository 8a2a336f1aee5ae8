package dev.trellis.auth.sigv4;

import java.security.MessageDigest;
import java.security.interfaces.ECPublicKey;
import java.util.Iterator;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A bounded cache of key material derived from secrets: SigV4 signing keys per (access key id, date, region,
 * service) and SigV4A public keys per access key id.
 *
 * <p>Deriving a SigV4 key costs four HMACs; a SigV4A public key costs an ECDH agreement and two signature
 * operations, so verifiers backed by secrets keep them here. Each entry remembers a fingerprint (SHA-256) of the
 * secret it came from and is used only for a credential with the same secret. When the cache is full, an
 * arbitrary eighth of the entries is dropped: a simple bound, not LRU, which is enough for keys that change daily.
 * Several verifiers (one per API) may share one cache. Thread-safe, lock-free reads.
 */
public final class SigV4KeyCache {

    /** The default bound: ample for thousands of active keys over a few days and regions. */
    public static final int DEFAULT_MAX_ENTRIES = 10_000;

    private record SigningScope(String accessKeyId, String date, String region, String service) {
    }

    private record Entry(byte[] secretFingerprint, Object material) {
    }

    private final int maxEntries;
    private final ConcurrentHashMap<Object, Entry> entries = new ConcurrentHashMap<>();

    public SigV4KeyCache(int maxEntries) {
        if (maxEntries < 1) {
            throw new IllegalArgumentException("maxEntries must be positive");
        }
        this.maxEntries = maxEntries;
    }

    public SigV4KeyCache() {
        this(DEFAULT_MAX_ENTRIES);
    }

    public int size() {
        return entries.size();
    }

    public int maxEntries() {
        return maxEntries;
    }

    /** The SigV4 signing key of a secret-backed credential for one scope, derived on first use. */
    byte[] signingKey(SigningCredential credential, String date, String region, String service) {
        String secret = Objects.requireNonNull(credential.secretAccessKeyOrNull(), "credential has no secret");
        SigningScope scope = new SigningScope(credential.accessKeyId(), date, region, service);
        Entry entry = entries.get(scope);
        if (entry != null && MessageDigest.isEqual(entry.secretFingerprint, credential.secretFingerprintOrNull())) {
            return (byte[]) entry.material;
        }
        byte[] key = SigV4KeyDerivation.deriveSigningKey(secret, date, region, service).keyBytes();
        put(scope, new Entry(credential.secretFingerprintOrNull(), key));
        return key;
    }

    /** The SigV4A public key of a secret-backed credential, derived on first use. */
    ECPublicKey sigV4aPublicKey(SigningCredential credential) {
        String secret = Objects.requireNonNull(credential.secretAccessKeyOrNull(), "credential has no secret");
        String cacheKey = "sigv4a:" + credential.accessKeyId();
        Entry entry = entries.get(cacheKey);
        if (entry != null && MessageDigest.isEqual(entry.secretFingerprint, credential.secretFingerprintOrNull())) {
            return (ECPublicKey) entry.material;
        }
        ECPublicKey key = SigV4KeyDerivation.deriveSigV4aPublicKey(credential.accessKeyId(), secret);
        put(cacheKey, new Entry(credential.secretFingerprintOrNull(), key));
        return key;
    }

    private void put(Object key, Entry entry) {
        if (entries.size() >= maxEntries) {
            int toDrop = Math.max(1, maxEntries / 8);
            Iterator<Object> it = entries.keySet().iterator();
            while (toDrop-- > 0 && it.hasNext()) {
                it.next();
                it.remove();
            }
        }
        entries.put(key, entry);
    }

    @Override
    public String toString() {
        return "SigV4KeyCache[" + entries.size() + "/" + maxEntries + " entries]";
    }
}
