package io.dsha.controlplane.store;

import io.dsha.controlplane.decision.ControlState;
import io.dsha.controlplane.decision.Outcome;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;

/** What every {@link Store} does alike: who hears of published states, and the record of failed writes. */
abstract class StoreBase implements Store {

    protected final Watchers watchers = new Watchers();
    private final List<Consumer<WriteFailure>> failureListeners = new CopyOnWriteArrayList<>();
    private final AtomicLong writeFailures = new AtomicLong();
    private volatile WriteFailure writeFailure;

    /** {@code change} applied to {@code before}, once the topology revision the caller expects (if any) is checked. */
    protected static Outcome apply(Published before, Long expectedTopologyRevision, Function<ControlState, Outcome> change) {
        if (expectedTopologyRevision != null && expectedTopologyRevision != before.topologyRevision()) {
            throw new RevisionMismatch(expectedTopologyRevision, before.topologyRevision());
        }
        return change.apply(before.state());
    }

    /**
     * Whether a watcher hears about {@code outcome}: events, or anything it is shown changed. Else no new revision. Where
     * {@code before} was written by another replica (this one has just come to lead), "shown" is that replica's view: an
     * outcome whose snapshot differs from it in anything (its votes gone, flags, lag) is published at a revision of
     * this replica's own, so that one revision never shows two views; one that shows the same stays quiet.
     */
    protected static boolean heard(Published before, Outcome outcome) {
        if (!outcome.events().isEmpty()) {
            return true;
        }
        if (before.written() != null) {
            return !outcome.state().snapshot(before.revision(), before.topologyRevision()).equals(before.written());
        }
        return outcome.state().differsFrom(before.state());
    }

    /** What is current after an outcome nobody hears about: the same revision, with the votes' timestamps moved (if they did). */
    protected static Published quiet(Published before, Outcome outcome) {
        ControlState state = outcome.state();
        return state == before.state() ? before
                : new Published(before.revision(), before.topologyRevision(), state, before.events(), before.lastEventSeq());
    }

    /** Records a failed write and tells the listeners (on the writing thread). */
    protected final WriteFailure recordFailure(String where, String error) {
        WriteFailure failure = new WriteFailure(where, error);
        writeFailure = failure;
        writeFailures.incrementAndGet();
        for (Consumer<WriteFailure> l : failureListeners) {
            l.accept(failure);
        }
        return failure;
    }

    /** A change was written: the last failure is over. */
    protected final void writeSucceeded() {
        writeFailure = null;
    }

    @Override
    public CompletableFuture<Published> awaitAfter(long since) {
        return watchers.awaitAfter(since, this::current);
    }

    @Override
    public int watchers() {
        return watchers.waiting();
    }

    /** Called with each newly published state, once it is current, on the thread that made or read the change. */
    @Override
    public void addListener(Consumer<Published> listener) {
        watchers.addListener(listener);
    }

    /** Called with each write that fails, on the thread that made the change (under its lock): keep it short. */
    @Override
    public void addWriteFailureListener(Consumer<WriteFailure> listener) {
        failureListeners.add(listener);
    }

    @Override
    public Optional<WriteFailure> writeFailure() {
        return Optional.ofNullable(writeFailure);
    }

    @Override
    public long writeFailures() {
        return writeFailures.get();
    }
}
