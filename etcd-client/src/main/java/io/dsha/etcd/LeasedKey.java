package io.dsha.etcd;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.jboss.logging.Logger;

/**
 * One key held in etcd with a lease of its own while this process lives: a presence ("this control plane is up"), not a
 * lock. {@link #start()} grants a lease and creates the key with it; a keep-alive goes every {@code ttl/3}. Where a
 * keep-alive says the lease is gone (TTL 0: it expired or was revoked behind this holder's back), or none was answered
 * for a whole {@code ttl} (etcd let it expire, or will), the holder revokes that lease (its key goes with it, if still
 * there) and registers anew with a fresh lease. So the key is there while the process runs and etcd has a quorum, and
 * gone about {@code ttl} after the process dies or loses etcd.
 *
 * <p><b>Create-only.</b> The key is put in a transaction "if it does not exist (create revision 0)": where it exists
 * under another lease, another process holds it (the same name given twice, or this process's previous life whose
 * lease has not expired yet) and this holder does <em>not</em> overwrite it: it reports {@link State#TAKEN} with the
 * holder's value and tries again (every second at most), so it takes over once the other's lease ends.
 *
 * <p>Errors are retried with the {@link Backoff} of 100 ms doubling to 1 s; nothing is thrown out of the timers. Everything
 * runs on one Vert.x context; the accessors are thread-safe.
 */
public final class LeasedKey {

    private static final Logger LOG = Logger.getLogger(LeasedKey.class);

    /** Where the holder stands. */
    public enum State {
        /** Getting a lease and creating the key: not held yet, or held no more (etcd unreachable, the lease lost). */
        REGISTERING,
        /** The key exists with this holder's lease, renewed in time. */
        HELD,
        /** The key exists under another lease: another process holds it. Tried again, never overwritten. */
        TAKEN,
        /** {@link #close()} was called. */
        CLOSED
    }

    /** {@code state}, why (for logs and readiness), and the other holder's key where {@link State#TAKEN}. */
    public record Status(State state, String reason, Optional<KeyValue> holder) {

        public Status {
            Objects.requireNonNull(state, "state");
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(holder, "holder");
        }

        @Override
        public String toString() {
            return state + " (" + reason + ")";
        }
    }

    private final EtcdClient client;
    private final Vertx vertx;
    private final Context context;
    private final Bytes key;
    private final Bytes value;
    private final long ttlSeconds;
    private final long ttlNanos;
    private final LongSupplier clock;
    private final Listeners<Status> listeners;

    // Only on the context: the current registration (stale callbacks and timers compare it), its lease and timers.
    private long epoch;
    private boolean started;
    private boolean closed;
    private long lease;
    private long renewedSent;
    private boolean keepAliveInFlight;
    private long keepAliveTimer = -1;
    private long retryTimer = -1;
    private final Backoff backoff = new Backoff();
    private final StaleLeases staleLeases;
    private Promise<Void> closing;

    private volatile Status status = new Status(State.REGISTERING, "not started", Optional.empty());

    /**
     * @param key the key to hold
     * @param value its value
     * @param ttl the lease's time to live: whole seconds, at least 1 (etcd may raise it; this holder renews as if not)
     * @param nanoClock a monotonic clock in nanoseconds ({@code System::nanoTime})
     */
    public LeasedKey(EtcdClient client, Bytes key, Bytes value, Duration ttl, LongSupplier nanoClock) {
        this.client = Objects.requireNonNull(client, "client");
        this.key = Objects.requireNonNull(key, "key");
        this.value = Objects.requireNonNull(value, "value");
        this.clock = Objects.requireNonNull(nanoClock, "nanoClock");
        Objects.requireNonNull(ttl, "ttl");
        if (ttl.toMillis() < 1000 || ttl.toMillis() % 1000 != 0) {
            throw new IllegalArgumentException("ttl: " + ttl + " (expected: whole seconds, at least 1 s: etcd's leases count seconds)");
        }
        this.ttlSeconds = ttl.toSeconds();
        this.ttlNanos = TimeUnit.SECONDS.toNanos(ttlSeconds);
        this.vertx = client.vertx();
        this.context = EventLoops.context(vertx);
        this.listeners = new Listeners<>("leased key " + key);
        this.staleLeases = new StaleLeases(client::leaseRevoke);
    }

    public LeasedKey(EtcdClient client, Bytes key, Bytes value, Duration ttl) {
        this(client, key, value, ttl, System::nanoTime);
    }

    public Bytes key() {
        return key;
    }

    /** Starts registering in the background; idempotent. */
    public void start() {
        context.runOnContext(v -> {
            if (!started && !closed) {
                started = true;
                register();
            }
        });
    }

    public Status status() {
        return status;
    }

    /** Whether the key exists with this holder's lease, as last seen. */
    public boolean held() {
        return status.state() == State.HELD;
    }

    /** Hears every change of {@link State}, on the holder's context, in order. */
    public void onChange(Consumer<Status> listener) {
        listeners.add(listener);
    }

    /**
     * Stops holding: revokes the lease, so that the key goes now rather than a ttl later. Waits at most one ttl for etcd;
     * fails where etcd could not be told (the key then goes when the lease expires). Idempotent.
     */
    public Future<Void> close() {
        Promise<Void> done = Promise.promise();
        context.runOnContext(v -> {
            if (closing != null) {
                closing.future().onComplete(done);
                return;
            }
            closing = done;
            closed = true;
            endRegistration();
            setStatus(new Status(State.CLOSED, "closed", Optional.empty()));
            long bound = vertx.setTimer(TimeUnit.NANOSECONDS.toMillis(ttlNanos),
                    t -> done.tryFail(new EtcdException("the lease of " + key + " was not revoked within " + ttlSeconds + " s", null)));
            staleLeases.revokeAndForget().onComplete(ar -> {
                vertx.cancelTimer(bound);
                if (ar.failed()) {
                    done.tryFail(ar.cause());
                } else {
                    done.tryComplete();
                }
            });
        });
        return done.future();
    }

    /** Ends the current registration: its callbacks and timers are stale from here on; its lease is to be revoked. */
    private void endRegistration() {
        epoch++;
        if (lease != 0) {
            staleLeases.add(lease);
            lease = 0;
        }
        keepAliveInFlight = false;
        for (long t : new long[] {keepAliveTimer, retryTimer}) {
            if (t >= 0) {
                vertx.cancelTimer(t);
            }
        }
        keepAliveTimer = retryTimer = -1;
    }

    /** Revokes the leases this holder let go (their keys go with them), then a new lease and the create-only put. */
    private void register() {
        endRegistration();
        long e = epoch;
        long[] granted = {0};
        long[] sent = {0};
        staleLeases.revoke().compose(v -> {
            sent[0] = clock.getAsLong();
            return client.leaseGrant(ttlSeconds);
        }).compose(g -> {
            granted[0] = g.id();
            return client.txn(List.of(Compare.createRevision(key, Compare.Result.EQUAL, 0)), List.of(Op.put(key, value, g.id())),
                    List.of(Op.get(key)));
        }).onComplete(ar -> {
            if (granted[0] != 0 && (e != epoch || closed || ar.failed() || !ar.result().succeeded())) {
                // not ours to keep; where the put was applied with its answer lost, revoking takes the key with it
                staleLeases.add(granted[0]);
            }
            if (e != epoch || closed) {
                return;
            }
            if (ar.failed()) {
                retryLater(new Status(State.REGISTERING, "etcd unreachable: " + ar.cause().getMessage(), Optional.empty()));
            } else if (ar.result().succeeded()) {
                backoff.reset();
                held(e, granted[0], sent[0]);
            } else {
                Optional<KeyValue> holder = ar.result().range(0).first();
                retryLater(holder.isEmpty() ? new Status(State.REGISTERING, "the key was neither free nor held", Optional.empty())
                        : new Status(State.TAKEN, "held by another lease (" + Long.toHexString(holder.get().lease()) + "): "
                                + holder.get().value().utf8(), holder));
            }
        });
    }

    private void retryLater(Status why) {
        setStatus(why);
        long e = epoch;
        long delay = backoff.next();
        LOG.debugf("leased key %s: registering again in %d ms: %s", key, delay, why.reason());
        retryTimer = vertx.setTimer(delay, t -> {
            if (e == epoch && !closed) {
                retryTimer = -1;
                register();
            }
        });
    }

    private void held(long e, long leaseId, long grantSent) {
        lease = leaseId;
        renewedSent = grantSent;
        setStatus(new Status(State.HELD, "held with lease " + Long.toHexString(leaseId), Optional.empty()));
        keepAliveTimer = vertx.setPeriodic(Math.max(1, TimeUnit.NANOSECONDS.toMillis(ttlNanos / 3)), t -> keepAlive(e));
    }

    private void keepAlive(long e) {
        if (e != epoch) {
            return;
        }
        long now = clock.getAsLong();
        if (now - renewedSent >= ttlNanos) {
            // etcd let the lease expire by now, or will once it hears from the others: a fresh lease, and the key anew
            lost(String.format(Locale.ROOT, "no keep-alive answered for %.1f s", (now - renewedSent) / 1e9));
            return;
        }
        if (keepAliveInFlight) {
            return; // a slow etcd: one keep-alive at a time
        }
        keepAliveInFlight = true;
        long leaseId = lease;
        client.leaseKeepAliveOnce(leaseId).onComplete(ar -> {
            if (e != epoch) {
                return;
            }
            keepAliveInFlight = false;
            if (ar.failed()) {
                LOG.debugf("leased key %s: keep-alive failed: %s", key, ar.cause().getMessage());
            } else if (ar.result() <= 0) {
                lost("the lease is gone: etcd answered the keep-alive with TTL 0");
            } else if (now - renewedSent > 0) {
                renewedSent = now;
            }
        });
    }

    private void lost(String reason) {
        setStatus(new Status(State.REGISTERING, reason, Optional.empty()));
        register();
    }

    private void setStatus(Status next) {
        Status prev = status;
        status = next;
        if (prev.state() == next.state()) {
            return;
        }
        LOG.debugf("leased key %s: %s -> %s", key, prev.state(), next);
        listeners.tell(next);
    }
}
