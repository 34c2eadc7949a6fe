package io.dsha.controlplane.store;

import io.dsha.api.event.Event;
import io.dsha.api.json.DshaJson;
import io.dsha.controlplane.decision.ControlState;
import io.dsha.controlplane.decision.Outcome;
import io.dsha.controlplane.topology.TopologyValidator;
import io.dsha.etcd.Bytes;
import io.dsha.etcd.Compare;
import io.dsha.etcd.EtcdClient;
import io.dsha.etcd.EtcdException;
import io.dsha.etcd.EtcdWatch;
import io.dsha.etcd.KeyValue;
import io.dsha.etcd.Op;
import io.dsha.etcd.RangeResult;
import io.dsha.etcd.TxnResult;
import io.dsha.etcd.WatchEvent;
import io.vertx.core.Future;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.jboss.logging.Logger;

/**
 * The published state in etcd ({@code dsha.store=etcd}), under a prefix: {@code state} holds the
 * state document (as {@code state.json} does, without the events), {@code events/<seq>} one key per
 * event, the newest {@code maxEvents} kept. A change is one transaction that compares the state
 * key's modification revision with the one it was computed from (and, for a leader, its fence), so
 * two replicas can never both apply a change to the same revision: the loser reads the state again
 * and recomputes, or gets {@link RevisionMismatch} when the caller named a topology revision that
 * moved. Every replica mirrors the prefix through an etcd watch, so every replica publishes the same
 * revisions in the same order; a replica's own change is published when its transaction succeeds.
 *
 * <p>Calls block the calling thread (a REST worker, the decision tick), never a Vert.x event loop.
 */
public final class EtcdStore extends StoreBase {

    private static final Logger LOG = Logger.getLogger(EtcdStore.class);
    /** Transactions that lost to another replica's change before this one gives up (each recomputes first). */
    static final int MAX_CONFLICTS = 16;
    private static final long RESUME_DELAY_MS = 200;
    /** The longest pause between two tries to resume the watch while etcd does not answer. */
    private static final long MAX_RESUME_DELAY_MS = 2000;
    /** A watch that ends this long after the previous end is a new outage: said at WARN again. */
    private static final long NEW_OUTAGE_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final EtcdClient client;
    private final String prefix;
    private final Bytes stateKey;
    private final Bytes eventsPrefix;
    private final TopologyValidator validator;
    private final UnaryOperator<ControlState> settle;
    private final int maxEvents;
    private final Duration timeout;
    /** The compare that fences this replica's writes (its leadership), or empty when writes are not fenced. */
    private final Supplier<Optional<Compare>> fence;
    /** Held by one change at a time, across its transaction. */
    private final Object writeLock = new Object();
    /** Held briefly to move the mirror; never across I/O (etcd's answers arrive on the thread the watch reads on). */
    private final Object mirrorLock = new Object();
    /** What is published, and the state key's modification revision it was read or written at. */
    private volatile Mirror mirror;
    // The watch's ends, for the back-off and the log: only touched by the watch's end handler, one at a time.
    private volatile int watchEnds;
    private volatile long lastWatchEnd = System.nanoTime() - NEW_OUTAGE_NANOS - 1;
    /** Events of the revision the watch is reading, before its state key arrives. */
    private final List<Event> arriving = new ArrayList<>();
    private volatile EtcdWatch watch;
    private volatile boolean closed;

    private record Mirror(Published published, long modRevision) {
    }

    private EtcdStore(EtcdClient client, String prefix, TopologyValidator validator, UnaryOperator<ControlState> settle, int maxEvents,
            Duration timeout, Supplier<Optional<Compare>> fence) {
        this.client = client;
        this.prefix = prefix;
        this.stateKey = Bytes.of(prefix + "state");
        this.eventsPrefix = Bytes.of(prefix + "events/");
        this.validator = validator;
        this.settle = settle;
        this.maxEvents = maxEvents;
        this.timeout = timeout;
        this.fence = fence;
    }

    /**
     * Reads the state under {@code prefix} (an empty state at revision 0 when there is none) and starts mirroring it.
     * Refuses, naming the key, a state document that does not validate.
     */
    public static EtcdStore open(EtcdClient client, String prefix, TopologyValidator validator, UnaryOperator<ControlState> settle,
            int maxEvents, Duration timeout, Supplier<Optional<Compare>> fence) {
        EtcdStore store = new EtcdStore(client, prefix, validator, settle, maxEvents, timeout, fence);
        long revision = store.load();
        store.follow(revision + 1);
        return store;
    }

    /**
     * Writes {@code p} (its state and events) under an empty {@code prefix}: one transaction that succeeds only when the
     * state key does not exist; refused, changing nothing, when anything is under the prefix.
     */
    static void importState(EtcdClient client, String prefix, Published p, Duration timeout) {
        EtcdStore store = new EtcdStore(client, prefix, null, s -> s, Integer.MAX_VALUE, timeout, java.util.Optional::empty);
        RangeResult there = store.await(client.rangePrefix(Bytes.of(prefix)), "read " + prefix);
        if (!there.kvs().isEmpty()) {
            throw new IllegalStateException("etcd already holds " + there.kvs().size() + " keys under " + prefix
                    + " (e.g. " + there.kvs().get(0).key().utf8() + "): refusing to overwrite them; choose another --prefix");
        }
        List<Op> ops = new ArrayList<>();
        List<Event> events = p.events();
        for (int i = events.size() - 1; i >= 0; i--) {
            ops.add(Op.put(store.eventKey(events.get(i).seq()), json(events.get(i))));
        }
        ops.add(Op.put(store.stateKey, json(StateDocuments.withPublished(StateDocuments.document(p, List.of()), p))));
        TxnResult result = store.await(client.txn(List.of(Compare.createRevision(store.stateKey, Compare.Result.EQUAL, 0)), ops, List.of()),
                "write the state");
        if (!result.succeeded()) {
            throw new IllegalStateException("another writer put a state under " + prefix + " meanwhile: nothing was written");
        }
    }

    /** Reads the state and its events; returns etcd's revision they were read at. */
    private long load() {
        TxnResult read = await(client.txn(List.of(), List.of(Op.get(stateKey), Op.getPrefix(eventsPrefix)), List.of()), "read the state");
        RangeResult state = (RangeResult) read.responses().get(0);
        RangeResult events = (RangeResult) read.responses().get(1);
        List<Event> history = new ArrayList<>();
        for (KeyValue kv : events.kvs()) {
            history.add(0, decodeEvent(kv));
        }
        mirror = state.kvs().isEmpty() ? new Mirror(new Published(0, 0, ControlState.EMPTY, List.of(), 0), 0)
                : new Mirror(decode(state.kvs().get(0), history), state.kvs().get(0).modRevision());
        return read.revision();
    }

    private void follow(long fromRevision) {
        if (closed) {
            return;
        }
        watch = client.watch(Bytes.of(prefix), fromRevision, this::observed, (cause, next) -> {
            if (closed) {
                return;
            }
            long now = System.nanoTime();
            int failures = now - lastWatchEnd > NEW_OUTAGE_NANOS ? 0 : watchEnds;
            watchEnds = failures + 1;
            lastWatchEnd = now;
            long delay = Math.min(MAX_RESUME_DELAY_MS, RESUME_DELAY_MS << Math.min(failures, 4));
            // Once per outage at WARN; the tries that follow (200 ms doubling to 2 s) at DEBUG, not a line each 200 ms.
            if (failures == 0) {
                LOG.warnf("etcd watch on %s ended (%s); resuming from revision %d, trying again every %d ms up to every %d ms",
                        prefix, cause == null ? "closed" : cause.getMessage(), next, RESUME_DELAY_MS, MAX_RESUME_DELAY_MS);
            } else {
                LOG.debugf("etcd watch on %s ended again (%s); resuming from revision %d in %d ms", prefix,
                        cause == null ? "closed" : cause.getMessage(), next, delay);
            }
            synchronized (mirrorLock) {
                arriving.clear();
            }
            // Off the watch's thread, a moment later (etcd may be down: no busy loop).
            CompletableFuture.runAsync(() -> {
                try {
                    // Changes compacted away before they were read: read the whole state again, then follow from there.
                    follow(cause instanceof io.dsha.etcd.EtcdCompactedException ? load() + 1 : next);
                } catch (RuntimeException e) {
                    LOG.warnf("etcd: the state under %s could not be read again (%s); retrying", prefix, e.getMessage());
                    follow(next);
                }
            }, CompletableFuture.delayedExecutor(delay, TimeUnit.MILLISECONDS));
        });
    }

    /** A change under the prefix, from any replica (this one's included). */
    private void observed(WatchEvent e) {
        synchronized (mirrorLock) {
            Bytes key = e.kv().key();
            if (e.type() != WatchEvent.Type.PUT) {
                return; // events trimmed, or a key deleted by hand: the state key's next change says what counts
            }
            if (key.startsWith(eventsPrefix)) {
                arriving.add(0, decodeEvent(e.kv()));
                return;
            }
            if (!key.equals(stateKey)) {
                return;
            }
            Mirror before = mirror;
            List<Event> fresh = List.copyOf(arriving);
            arriving.clear();
            if (e.kv().modRevision() <= before.modRevision()) {
                return; // this replica's own change, published when its transaction succeeded
            }
            List<Event> history = new ArrayList<>(fresh);
            history.addAll(before.published().events());
            Published next = decode(e.kv(), history.size() > maxEvents ? history.subList(0, maxEvents) : history);
            mirror = new Mirror(next, e.kv().modRevision());
            watchers.publish(next);
        }
    }

    @Override
    public Published current() {
        return mirror.published();
    }

    @Override
    public Published update(Long expectedTopologyRevision, Function<ControlState, Outcome> change) {
        synchronized (writeLock) {
            for (int conflicts = 0;; conflicts++) {
                Mirror m = mirror;
                Published before = m.published();
                Outcome outcome = apply(before, expectedTopologyRevision, change);
                if (!heard(before, outcome)) {
                    Published quiet = quiet(before, outcome);
                    if (quiet != before) {
                        advance(new Mirror(quiet, m.modRevision()), true);
                    }
                    return mirror.published();
                }
                Published next = Published.next(before, outcome, maxEvents);
                TxnResult result = write(m, next, next.events().subList(0, Math.min(outcome.events().size(), next.events().size())));
                if (result.succeeded()) {
                    writeSucceeded();
                    if (advance(new Mirror(next, result.revision()), false)) {
                        watchers.publish(next);
                    }
                    return next;
                }
                if (conflicts + 1 >= MAX_CONFLICTS) {
                    throw failed("the state in etcd under " + prefix + " changed " + MAX_CONFLICTS + " times while this change was computed",
                            null);
                }
                refresh((RangeResult) result.responses().get(0));
            }
        }
    }

    /**
     * Makes {@code next} the mirror unless the mirror is already past it; the state this replica computed (with its
     * checkers' votes) replaces one the watch decoded at the same revision. True when the revision moved.
     */
    private boolean advance(Mirror next, boolean sameRevision) {
        synchronized (mirrorLock) {
            Mirror before = mirror;
            if (next.modRevision() < before.modRevision() || sameRevision && next.modRevision() != before.modRevision()) {
                return false;
            }
            mirror = next;
            return next.published().revision() > before.published().revision();
        }
    }

    /** One transaction: the events, then the state (so a watcher has the events when the state arrives), trimmed history. */
    private TxnResult write(Mirror m, Published next, List<Event> fresh) {
        List<Compare> compares = new ArrayList<>(2);
        compares.add(Compare.modRevision(stateKey, Compare.Result.EQUAL, m.modRevision()));
        Optional<Compare> fenced = fence.get();
        fenced.ifPresent(compares::add);
        List<Op> ops = new ArrayList<>(fresh.size() + 2);
        for (int i = fresh.size() - 1; i >= 0; i--) {
            Event e = fresh.get(i);
            ops.add(Op.put(eventKey(e.seq()), json(e)));
        }
        ops.add(Op.put(stateKey, json(StateDocuments.withPublished(StateDocuments.document(next, List.of()), next))));
        long oldest = next.lastEventSeq() - maxEvents;
        if (oldest > 0) {
            ops.add(new Op.Delete(eventsPrefix, eventKey(oldest + 1)));
        }
        // Failed: the state key as it is now says which compare failed.
        TxnResult result = await(client.txn(compares, ops, List.of(Op.get(stateKey))), "write revision " + next.revision());
        if (!result.succeeded() && fenced.isPresent() && modRevision((RangeResult) result.responses().get(0)) == m.modRevision()) {
            throw new NotLeader("this control plane no longer holds the lead (its term ended in etcd)");
        }
        return result;
    }

    private static long modRevision(RangeResult r) {
        return r.kvs().isEmpty() ? 0 : r.kvs().get(0).modRevision();
    }

    /** Takes the state key as a transaction that lost to another replica's change read it. */
    private void refresh(RangeResult r) {
        if (r.kvs().isEmpty()) {
            return;
        }
        KeyValue kv = r.kvs().get(0);
        if (kv.modRevision() > mirror.modRevision() && advance(new Mirror(decode(kv, mirror.published().events()), kv.modRevision()), false)) {
            watchers.publish(mirror.published());
        }
    }

    private static Bytes json(Object value) {
        try {
            return Bytes.of(DshaJson.mapper().writeValueAsBytes(value));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("not writable as JSON: " + e.getMessage(), e);
        }
    }

    private Bytes eventKey(long seq) {
        return Bytes.of(prefix + "events/" + String.format("%020d", seq));
    }

    private Published decode(KeyValue kv, List<Event> history) {
        DshaJson.Binding<StateDocument> binding = DshaJson.bind(kv.value().utf8(), StateDocument.class);
        if (!binding.ok()) {
            throw corrupt("is not a valid state document: " + binding.violations());
        }
        StateDocument doc = binding.value();
        StateDocument withEvents = new StateDocument(doc.format(), doc.revision(), doc.topologyRevision(), doc.topology(), doc.verdicts(),
                doc.routing(), doc.memory(), doc.lastEventSeq(), history, doc.published(), doc.listener(), doc.savedAt(), null);
        return StateDocuments.restore(withEvents, validator, settle, this::corrupt).asWritten(StateDocuments.asPublished(withEvents));
    }

    private Event decodeEvent(KeyValue kv) {
        DshaJson.Binding<Event> binding = DshaJson.bind(kv.value().utf8(), Event.class);
        if (!binding.ok()) {
            throw new StateFileException("etcd key " + kv.key().utf8() + " is not a valid event: " + binding.violations());
        }
        return binding.value();
    }

    private StateFileException corrupt(String problem) {
        return new StateFileException("etcd key " + stateKey.utf8() + " " + problem);
    }

    private <T> T await(Future<T> f, String what) {
        try {
            return f.toCompletionStage().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof NotLeader n) {
                throw n;
            }
            throw failed("etcd could not " + what + ": " + (cause instanceof EtcdException ? cause.getMessage() : String.valueOf(cause)), cause);
        } catch (TimeoutException e) {
            throw failed("etcd did not " + what + " within " + timeout.toMillis() + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw failed("interrupted while etcd was to " + what, e);
        }
    }

    private UncheckedIOException failed(String what, Throwable cause) {
        recordFailure(client.options().endpoints().toString(), what);
        return new UncheckedIOException(what + "; the change was not applied",
                new java.io.IOException(cause == null ? what : cause.toString(), cause));
    }

    @Override
    public String location() {
        return "etcd " + client.options().endpoints() + " prefix " + prefix;
    }

    @Override
    public boolean writable() {
        return writeFailure().isEmpty();
    }

    @Override
    public void close() {
        closed = true;
        EtcdWatch w = watch;
        if (w != null) {
            w.cancel();
        }
        watchers.cancelAll();
    }
}
