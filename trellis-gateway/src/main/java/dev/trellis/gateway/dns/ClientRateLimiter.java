package dev.trellis.gateway.dns;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;

/**
 * A token bucket per client address for UDP queries: a client over its rate has its packets dropped before they are
 * parsed, so a flood from one address costs the server a map look-up per packet and leaves the others' queries
 * answered. Route 53 Resolver does the same for VPC clients (1024 packets per second per network interface, then
 * drops), which is where the default comes from.
 *
 * <p>Not thread-safe: owned by the UDP channel's handler and used on its event loop only. Memory is bounded: when
 * more than {@link #MAX_CLIENTS} addresses are tracked (a spoofed-source flood), the table starts over.
 */
final class ClientRateLimiter {

    static final int MAX_CLIENTS = 65536;

    private final double perSecond;
    private final double burst;
    private final Map<InetAddress, Bucket> buckets = new HashMap<>();

    private static final class Bucket {
        double tokens;
        long lastNanos;
    }

    /** @param perSecond queries per second per address (also the burst a quiet client may send at once) */
    ClientRateLimiter(int perSecond) {
        this.perSecond = perSecond;
        this.burst = perSecond;
    }

    /** Whether a query from {@code client} at {@code nowNanos} (System.nanoTime) may be answered. */
    boolean allow(InetAddress client, long nowNanos) {
        Bucket bucket = buckets.get(client);
        if (bucket == null) {
            if (buckets.size() >= MAX_CLIENTS) {
                buckets.clear();
            }
            bucket = new Bucket();
            bucket.tokens = burst;
            bucket.lastNanos = nowNanos;
            buckets.put(client, bucket);
        } else {
            double refill = (nowNanos - bucket.lastNanos) * perSecond / 1e9;
            bucket.tokens = Math.min(burst, bucket.tokens + refill);
            bucket.lastNanos = nowNanos;
        }
        if (bucket.tokens < 1) {
            return false;
        }
        bucket.tokens -= 1;
        return true;
    }
}
