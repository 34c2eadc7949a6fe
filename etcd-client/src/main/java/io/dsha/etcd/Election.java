package io.dsha.etcd;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * A leader election through one etcd key held with a lease. {@link #start()} campaigns: a new lease, then a
 * transaction "if the key does not exist (create revision 0), put it with my value and lease, else read it". The
 * winner leads with a {@link Fence} (the key's create revision) that every write of its term must include; the others
 * follow: they know the leader's value, watch the key, and campaign again as soon as it is deleted (the lease expired
 * or the leader resigned).
 *
 * <p><b>A follower holds no lease</b>: each campaign grants a fresh one (about 1 ms) and a lost campaign revokes it. A
 * follower's lease would need its own keep-alives and failure handling, could have expired while the follower was
 * paused (then the winning put fails), and would start a new leader's term with a lease up to a renewal period old.
 *
 * <p><b>The local deadline.</b> etcd expires a lease {@code ttl} after the last renewal it saw, and only then deletes
 * the key and lets another candidate win (a change of etcd leader only extends leases). That renewal reached etcd
 * after this leader sent it, so the leader counts its lease from the moment it <em>sent</em> the grant or keep-alive
 * that succeeded, never from the answer: its deadline {@code sent + ttl - ttl/4} comes before any moment at which etcd
 * could let someone else win, by a quarter of the ttl that covers clock-rate differences, a late timer, and the
 * leader's unfenced work in flight (telling proxies). Keep-alives go every {@code ttl/3}, so two in a row may fail
 * before the deadline. Past it, the leader steps down by itself, without waiting for etcd to answer: {@link
 * #leading()} and {@link #fence()} read the clock, so even a leader whose event loop was frozen past its deadline
 * (GC, SIGSTOP) says no at once on waking, and its late writes fail on the fence. A keep-alive answered with TTL 0
 * (the lease is gone), or a deletion of the key seen by the leader's own watch, ends the term too.
 *
 * <p>Errors (no quorum, endpoints down) are retried with a back-off of 100 ms doubling to 1 s; nothing is thrown out of
 * the timers. Everything runs on one Vert.x context; the accessors are thread-safe.
 */
public final class Election {

    public static final Duration DEFAULT_TTL = Duration.ofSeconds(2);
    private static final Logger LOG = Logger.getLogger(Election.class);

    private final EtcdClient client;
    private final Vertx vertx;
    private final Context context;
    private final Bytes key;
    private final Bytes value;
    private final long ttlSeconds;
    private final long ttlNanos;
    private final long marginNanos;
    private final LongSupplier clock;
    private final Listeners<Role> listeners;

    // Only on the context: the current term or campaign (stale callbacks and timers compare it), its timers and watch.
    private long epoch;
    private boolean started;
    private boolean closed;
    private long keepAliveTimer = -1;
    private long deadlineTimer = -1;
    private long retryTimer = -1;
    private EtcdWatch watch;
    private final Backoff backoff = new Backoff();
    private long renewedSent;
    private final StaleLeases staleLeases;
    private Promise<Void> closing;

    private volatile Role role = Role.candidate("not started");
    private volatile Lead lead;
    private volatile boolean cutOff;

    /** This leader's term and the clock reading at which it ends here unless a keep-alive sent later succeeds. */
    private record Lead(Fence fence, long deadline) {
    }

    /**
     * @param key the election's key, one per elected role
     * @param candidateValue what followers learn of this candidate when it leads (e.g. {"id":..,"url":..})
     * @param ttl the lease's time to live, granted as whole seconds (at least 1; etcd may raise it, never used here)
     * @param nanoClock a monotonic clock in nanoseconds ({@code System::nanoTime})
     */
    public Election(EtcdClient client, Bytes key, Bytes candidateValue, Duration ttl, LongSupplier nanoClock) {
        this.client = Objects.requireNonNull(client, "client");
        this.key = Objects.requireNonNull(key, "key");
        this.value = Objects.requireNonNull(candidateValue, "candidateValue");
        this.clock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.ttlSeconds = Math.max(1, ttl.toSeconds());
        this.ttlNanos = TimeUnit.SECONDS.toNanos(ttlSeconds);
        this.marginNanos = ttlNanos / 4;
        this.vertx = client.vertx();
        this.context = EventLoops.context(vertx);
        this.listeners = new Listeners<>("election " + key);
        this.staleLeases = new StaleLeases(id -> call(() -> client.leaseRevoke(id)));
    }

    public Election(EtcdClient client, Bytes key, Bytes candidateValue) {
        this(client, key, candidateValue, DEFAULT_TTL, System::nanoTime);
    }

    /** Starts campaigning in the background. */
    public void start() {
        context.runOnContext(v -> {
            if (!started && !closed) {
                started = true;
                campaign();
            }
        });
    }

    /** Whether this candidate leads now: it won and its lease's local deadline has not passed by the clock. */
    public boolean leading() {
        return fence().isPresent();
    }

    /** This term's fence while leading ({@link #leading()}), empty otherwise. */
    public Optional<Fence> fence() {
        Lead l = lead;
        return l != null && clock.getAsLong() - l.deadline() < 0 ? Optional.of(l.fence()) : Optional.empty();
    }

    /** The leader's value where known: this candidate's own while it leads, the other's while it follows. */
    public Optional<Bytes> leader() {
        return role().leader();
    }

    /** Where this candidate stands and why. A leader past its deadline whose timer has not yet run reads CANDIDATE. */
    public Role role() {
        Role r = role;
        return r.kind() == Role.Kind.LEADER && !leading() ? Role.candidate("lease lost: local deadline passed") : r;
    }

    /** Hears every change of role or of the leader's value, on the election's context, in order. */
    public void onChange(Consumer<Role> listener) {
        listeners.add(listener);
    }

    /**
     * Stops campaigning; if leading, steps down first (locally, at once), then deletes the key guarded by its create
     * revision and revokes the lease so that another candidate wins at once. Fails where etcd could not be told (the
     * key then goes when the lease expires). Idempotent.
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
            Lead l = lead;
            endTerm();
            setRole(Role.candidate("closed"));
            List<Future<?>> work = new ArrayList<>();
            if (l != null) {
                Fence f = l.fence();
                work.add(call(() -> client.txn(List.of(f.compare()), List.of(Op.delete(key)), List.of()))
                        .eventually(() -> call(() -> client.leaseRevoke(f.leaseId()))));
            }
            work.add(staleLeases.revokeAndForget());
            Future.all(work).<Void>mapEmpty().onComplete(done);
        });
        return done.future();
    }

    /** Test hook: every request of this election fails at once, as if etcd were cut off from it (or no longer). */
    void cutOffForTest(boolean cut) {
        cutOff = cut;
    }

    private <T> Future<T> call(Supplier<Future<T>> request) {
        return cutOff ? Future.failedFuture(new EtcdException("cut off from etcd (test hook)", null)) : request.get();
    }

    /** Ends whatever term or campaign is under way: its callbacks and timers are stale from here on. */
    private void endTerm() {
        epoch++;
        Lead l = lead;
        lead = null;
        if (l != null) {
            staleLeases.add(l.fence().leaseId());
        }
        for (long t : new long[] {keepAliveTimer, deadlineTimer, retryTimer}) {
            if (t >= 0) {
                vertx.cancelTimer(t);
            }
        }
        keepAliveTimer = deadlineTimer = retryTimer = -1;
        if (watch != null) {
            watch.cancel();
            watch = null;
        }
    }

    private void campaign() {
        endTerm();
        long e = epoch;
        long[] lease = {0};
        long[] sent = {0};
        revokeStale().compose(v -> {
            sent[0] = clock.getAsLong();
            return call(() -> client.leaseGrant(ttlSeconds));
        }).compose(g -> {
            lease[0] = g.id();
            return call(() -> client.txn(List.of(Compare.createRevision(key, Compare.Result.EQUAL, 0)), List.of(Op.put(key, value, g.id())),
                    List.of(Op.get(key))));
        }).onComplete(ar -> {
            if (e != epoch || closed) {
                if (lease[0] != 0) {
                    revokeLater(lease[0]);
                }
            } else if (ar.failed()) {
                if (lease[0] != 0) {
                    staleLeases.add(lease[0]); // the put may have been applied with its answer lost
                }
                retryLater("etcd unreachable: " + ar.cause().getMessage());
            } else if (ar.result().succeeded()) {
                backoff.reset();
                lead(new Fence(key, ar.result().revision(), lease[0]), sent[0], ar.result().revision() + 1);
            } else {
                backoff.reset();
                revokeLater(lease[0]);
                Optional<KeyValue> holder = ar.result().range(0).first();
                if (holder.isEmpty()) {
                    retryLater("the key was neither free nor held");
                } else {
                    setRole(new Role(Role.Kind.FOLLOWER, "another candidate leads", Optional.of(holder.get().value())));
                    watchKey(e, ar.result().revision() + 1);
                }
            }
        });
    }

    /** Revokes the leases of terms and campaigns that ended here, so that their keys go now rather than at expiry. */
    private Future<Void> revokeStale() {
        return staleLeases.revoke();
    }

    private void revokeLater(long leaseId) {
        call(() -> client.leaseRevoke(leaseId)).onFailure(t -> context.runOnContext(v -> staleLeases.add(leaseId)));
    }

    private void retryLater(String reason) {
        setRole(Role.candidate(reason));
        long e = epoch;
        long delay = backoff.next();
        LOG.debugf("election %s: campaigning again in %d ms: %s", key, delay, reason);
        retryTimer = vertx.setTimer(delay, t -> {
            if (e == epoch && !closed) {
                retryTimer = -1;
                campaign();
            }
        });
    }

    private void lead(Fence fence, long grantSent, long watchFrom) {
        long e = epoch;
        renewedSent = grantSent;
        lead = new Lead(fence, grantSent + ttlNanos - marginNanos);
        setRole(new Role(Role.Kind.LEADER, "won the election: " + fence, Optional.of(value)));
        keepAliveTimer = vertx.setPeriodic(Math.max(1, TimeUnit.NANOSECONDS.toMillis(ttlNanos / 3)), t -> keepAlive(e, fence));
        checkDeadline(e);
        if (e == epoch) {
            watchKey(e, watchFrom);
        }
    }

    private void keepAlive(long e, Fence fence) {
        if (e != epoch) {
            return;
        }
        long sent = clock.getAsLong();
        call(() -> client.leaseKeepAliveOnce(fence.leaseId())).onComplete(ar -> {
            if (e != epoch) {
                return;
            }
            if (ar.failed()) {
                LOG.debugf("election %s: keep-alive failed: %s", key, ar.cause().getMessage());
            } else if (ar.result() <= 0) {
                stepDown("lease lost: etcd answered the keep-alive with TTL 0");
            } else if (!checkDeadline(e)) {
                return; // answered too late to count: the term ended here meanwhile
            } else if (sent - renewedSent > 0) {
                renewedSent = sent;
                lead = new Lead(fence, sent + ttlNanos - marginNanos);
            }
        });
    }

    /** Steps down where the deadline passed, else sets the timer for it; whether still leading. */
    private boolean checkDeadline(long e) {
        Lead l = lead;
        long now = clock.getAsLong();
        if (e != epoch || l == null) {
            return false;
        }
        if (now - l.deadline() >= 0) {
            stepDown(String.format(Locale.ROOT, "lease lost: no keep-alive for %.1f s", (now - renewedSent) / 1e9));
            return false;
        }
        if (deadlineTimer >= 0) {
            vertx.cancelTimer(deadlineTimer);
        }
        deadlineTimer = vertx.setTimer(Math.max(1, TimeUnit.NANOSECONDS.toMillis(l.deadline() - now) + 1), t -> {
            deadlineTimer = -1;
            checkDeadline(e);
        });
        return true;
    }

    private void stepDown(String reason) {
        endTerm();
        setRole(Role.candidate(reason));
        campaign();
    }

    private void watchKey(long e, long from) {
        watch = client.watch(key, from, ev -> onKeyEvent(e, ev), (cause, next) -> {
            if (e != epoch) {
                return;
            }
            watch = null;
            LOG.debugf("election %s: the watch of the key ended: %s", key, cause.getMessage());
            if (lead == null) {
                retryLater("watch ended: " + cause.getMessage()); // a campaign reads the key anew
            } else {
                long again = cause instanceof EtcdCompactedException ? 0 : next;
                retryTimer = vertx.setTimer(backoff.peek(), t -> {
                    retryTimer = -1;
                    if (e == epoch) {
                        watchKey(e, again);
                    }
                });
            }
        });
    }

    private void onKeyEvent(long e, WatchEvent ev) {
        if (e != epoch || !ev.kv().key().equals(key)) {
            return; // the watch is of a prefix: a longer key is not ours
        }
        Lead l = lead;
        if (ev.type() == WatchEvent.Type.DELETE) {
            if (l != null) {
                stepDown("the leader key was deleted in etcd");
            } else {
                setRole(Role.candidate("the leader's key was deleted"));
                campaign();
            }
        } else if (l != null && ev.kv().createRevision() != l.fence().createRevision()) {
            stepDown("the leader key was created anew by another candidate");
        } else if (l == null && !role.leader().equals(Optional.of(ev.kv().value()))) {
            setRole(new Role(Role.Kind.FOLLOWER, "the leader's value changed", Optional.of(ev.kv().value())));
        }
    }

    private void setRole(Role next) {
        Role prev = role;
        role = next;
        if (prev.kind() != next.kind()) {
            LOG.infof("election %s: %s -> %s", key, prev.kind(), next);
        } else {
            LOG.debugf("election %s: %s", key, next);
        }
        if (prev.kind() != next.kind() || !prev.leader().equals(next.leader())) {
            listeners.tell(next);
        }
    }
}
