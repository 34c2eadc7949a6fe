package io.dsha.proxy.balance;

import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * Looks backend host names up in the background, so that no request waits on DNS: connections go to the
 * last address found ({@link Target#address()}), and a lookup that fails or stalls (a lost datagram costs
 * the resolver's whole timeout, 5 s by default) keeps that address. New names are looked up as soon as a
 * topology brings them, every name again every {@code dsha.dns.refresh} (Envoy's {@code STRICT_DNS} clusters
 * and HAProxy's {@code resolvers} work the same way: resolution off the request path).
 *
 * <p>Lookups go through the system's resolver ({@link InetAddress#getByName}: {@code /etc/hosts}, nsswitch,
 * {@code resolv.conf}; the JVM caches an answer for 30 s unless {@code networkaddress.cache.ttl} says
 * otherwise), which blocks: they run on worker threads, one per name at a time, never on an event loop. Only a
 * backend never resolved yet is looked up on a request's behalf, by the connection's own resolver.
 */
public final class BackendAddresses {

    private static final Logger LOG = Logger.getLogger(BackendAddresses.class);

    /** A blocking lookup of one name. */
    public interface Lookup {
        InetAddress lookup(String host) throws IOException;
    }

    private final Vertx vertx;
    private final Lookup lookup;
    private final Supplier<Collection<Target>> targets;
    private final long refreshMs;
    /** Host names being looked up now: one lookup per name at a time. */
    private final Set<String> looking = ConcurrentHashMap.newKeySet();
    /** Host names whose last lookup failed, with the reason logged (logged once per outage). */
    private final Map<String, String> failing = new ConcurrentHashMap<>();
    private long timer = -1;
    private final java.util.concurrent.atomic.AtomicLong refreshes = new java.util.concurrent.atomic.AtomicLong();

    public BackendAddresses(Vertx vertx, Supplier<Collection<Target>> targets, Duration refresh) {
        this(vertx, targets, refresh, InetAddress::getByName);
    }

    BackendAddresses(Vertx vertx, Supplier<Collection<Target>> targets, Duration refresh, Lookup lookup) {
        this.vertx = vertx;
        this.lookup = lookup;
        this.targets = targets;
        this.refreshMs = Math.max(100, refresh.toMillis());
    }

    public synchronized void start() {
        if (timer < 0) {
            timer = vertx.setPeriodic(refreshMs, id -> refresh(false));
        }
        refresh(false);
    }

    public synchronized void stop() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
            timer = -1;
        }
    }

    /** A new table: looks up the names that have no address yet (the others wait for the next refresh). */
    public void newNames() {
        refresh(true);
    }

    /** Looks up every named backend host (or only those without an address yet), at most once each at a time. */
    void refresh(boolean onlyUnresolved) {
        refreshes.incrementAndGet();
        for (Target t : targets.get()) {
            if (!t.named() || (onlyUnresolved && t.resolved() != null)) {
                continue;
            }
            String host = t.host();
            if (looking.add(host)) {
                vertx.executeBlocking(() -> lookup.lookup(host), false).onComplete(ar -> {
                    looking.remove(host);
                    if (ar.succeeded()) {
                        found(host, ar.result());
                    } else {
                        failed(host, ar.cause());
                    }
                });
            }
        }
    }

    /** How many refreshes ran (periodic and for new names). */
    long refreshes() {
        return refreshes.get();
    }

    /** Whether the last lookup of {@code host} failed. */
    boolean failing(String host) {
        return failing.containsKey(host);
    }

    private void found(String host, InetAddress address) {
        String was = failing.remove(host);
        boolean changed = false;
        InetAddress before = null;
        for (Target t : targets.get()) {
            if (t.named() && t.host().equals(host)) {
                before = t.resolved() != null ? t.resolved().getAddress() : before;
                if (t.resolved() == null || !t.resolved().getAddress().equals(address)) {
                    t.resolved(address);
                    changed = true;
                }
            }
        }
        if (was != null) {
            LOG.infof("Backend host %s resolves again: %s%s", host, address.getHostAddress(),
                    changed && before != null ? " (was " + before.getHostAddress() + ")" : "");
        } else if (changed && before != null) {
            LOG.infof("Backend host %s moved from %s to %s: new connections go there", host, before.getHostAddress(), address.getHostAddress());
        } else if (changed) {
            LOG.infof("Backend host %s is %s", host, address.getHostAddress());
        }
    }

    private void failed(String host, Throwable cause) {
        String reason = cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName();
        if (failing.put(host, reason) == null) {
            String kept = targets.get().stream()
                    .filter(t -> t.host().equals(host) && t.resolved() != null)
                    .map(t -> t.resolved().getAddress().getHostAddress())
                    .findFirst()
                    .map(a -> "connections keep going to " + a)
                    .orElse("it has no address yet: each new connection looks it up itself");
            LOG.warnf("Backend host %s could not be looked up (%s); %s; trying again every %d ms", host, reason, kept, refreshMs);
        }
    }
}
