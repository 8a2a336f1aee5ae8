package dev.trellis.gateway.dns;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.SimpleResolver;

/**
 * Sends what the VPC's zones do not answer to the upstream resolver, asynchronously: dnsjava's {@link SimpleResolver}
 * (non-blocking NIO on its own selector thread, a random source port and id per query, TCP retry when the upstream
 * truncates, a timeout), its completion handed back to the caller's event loop.
 *
 * <p>Bounded: at most {@code maxForwardsInFlight} queries wait for the upstream, and at most
 * {@code maxForwardsPerClient} per client address; beyond that the client gets SERVFAIL at once. A client flooding
 * the server with names to forward uses up its own share, not the others'.
 */
final class DnsForwarder {

    private static final Logger log = LoggerFactory.getLogger(DnsForwarder.class);

    private final SimpleResolver resolver;
    private final int maxInFlight;
    private final int maxPerClient;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final ConcurrentHashMap<InetAddress, AtomicInteger> perClient = new ConcurrentHashMap<>();

    DnsForwarder(DnsServerConfig config) {
        this.resolver = new SimpleResolver(config.upstream());
        this.resolver.setTimeout(config.upstreamTimeout());
        this.maxInFlight = config.maxForwardsInFlight();
        this.maxPerClient = config.maxForwardsPerClient();
    }

    /**
     * Asks the upstream for ({@code name}, {@code type}); {@code done} runs on {@code loop} with the upstream's
     * response, or with null when it failed, timed out, or the limits refused the query.
     */
    void forward(Name name, int type, InetAddress client, Executor loop, Consumer<Message> done) {
        if (inFlight.incrementAndGet() > maxInFlight) {
            inFlight.decrementAndGet();
            done.accept(null);
            return;
        }
        AtomicInteger mine = perClient.computeIfAbsent(client, c -> new AtomicInteger());
        if (mine.incrementAndGet() > maxPerClient) {
            release(client, mine);
            done.accept(null);
            return;
        }
        Message query = Message.newQuery(Record.newRecord(name, type, DClass.IN));
        try {
            resolver.sendAsync(query, loop).whenCompleteAsync((response, failure) -> {
                release(client, mine);
                if (failure != null) {
                    log.debug("upstream failed for {} {}: {}", name, type, failure.toString());
                }
                done.accept(failure == null ? response : null);
            }, loop);
        } catch (RuntimeException e) {
            release(client, mine);
            log.debug("cannot forward {} {}: {}", name, type, e.toString());
            done.accept(null);
        }
    }

    /** Queries waiting for the upstream now. */
    int inFlight() {
        return inFlight.get();
    }

    private void release(InetAddress client, AtomicInteger mine) {
        inFlight.decrementAndGet();
        if (mine.decrementAndGet() == 0) {
            // Idle clients leave no entry. A racing increment may land on the removed counter: the limit is then
            // briefly a little loose for that client, never wrong for the others.
            perClient.remove(client, mine);
        }
    }
}
