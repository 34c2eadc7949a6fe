package io.dsha.controlplane.store;

import io.dsha.api.event.Event;
import io.dsha.api.problem.Violation;
import io.dsha.api.state.RoutingDecision;
import io.dsha.controlplane.decision.BackendHealth;
import io.dsha.controlplane.decision.ControlState;
import io.dsha.controlplane.decision.Outcome;
import io.dsha.controlplane.decision.RoutingMemory;
import io.dsha.controlplane.topology.TopologyValidator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

/**
 * The single owner of the published state. Changes are applied one at a time under a lock: the
 * change function computes the next state, and if anything a watcher cares about moved, the
 * revision goes up, the events get their numbers, the file is written (fsync) and only then is the
 * new state swapped in. A change that throws, or whose write fails, leaves everything as it was.
 * Watchers and listeners are told after the swap, outside the lock.
 */
public final class StateStore implements AutoCloseable {

    private final StateFile file;
    private final int maxEvents;
    private final Object lock = new Object();
    private final Set<Waiter> waiters = ConcurrentHashMap.newKeySet();
    private final List<Consumer<Published>> listeners = new CopyOnWriteArrayList<>();
    private volatile Published current;

    private record Waiter(long since, CompletableFuture<Published> future) {
    }

    private StateStore(StateFile file, Published initial, int maxEvents) {
        this.file = file;
        this.current = initial;
        this.maxEvents = maxEvents;
    }

    /**
     * Opens the state directory and loads {@code state.json} (an empty state at revision 0 when
     * there is none). Refuses, with a message naming the file, a state file that cannot be read or
     * does not validate. {@code settle} re-evaluates a restored state (votes are not persisted).
     */
    public static StateStore open(Path dir, TopologyValidator validator, UnaryOperator<ControlState> settle, int maxEvents) {
        StateFile file = new StateFile(dir);
        try {
            java.util.Optional<StateDocument> doc = file.read();
            StateStore store;
            if (doc.isPresent()) {
                store = new StateStore(file, restore(file, doc.get(), validator, settle), maxEvents);
            } else {
                store = new StateStore(file, new Published(0, 0, ControlState.EMPTY, List.of(), 0), maxEvents);
            }
            return store;
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    private static Published restore(StateFile file, StateDocument doc, TopologyValidator validator, UnaryOperator<ControlState> settle) {
        if (doc.revision() == null || doc.revision() < 0 || doc.topologyRevision() == null || doc.topologyRevision() > doc.revision()
                || doc.lastEventSeq() == null || doc.events() == null || doc.verdicts() == null || doc.routing() == null
                || doc.memory() == null) {
            throw file.corrupt("is incomplete (revision, topologyRevision, verdicts, routing, memory, lastEventSeq and events are required)");
        }
        ControlState state = ControlState.EMPTY;
        if (doc.topology() != null) {
            List<Violation> violations = validator.validate(doc.topology());
            if (!violations.isEmpty()) {
                throw file.corrupt("holds a topology that does not validate: "
                        + violations.stream().map(Violation::toString).collect(Collectors.joining("; ")));
            }
            Map<String, BackendHealth> health = new HashMap<>();
            for (StateDocument.SavedVerdict v : doc.verdicts()) {
                if (v == null || v.backendId() == null || v.status() == null || v.since() == null || v.enabledSince() == null
                        || doc.topology().backend(v.backendId()).isEmpty()) {
                    throw file.corrupt("holds a verdict that does not match the topology: " + v);
                }
                health.put(v.backendId(), new BackendHealth(v.backendId(), v.status(), v.since(), 0, 0, Set.of(), Map.of(), null, v.enabledSince()));
            }
            for (var b : doc.topology().backends()) {
                if (!health.containsKey(b.id())) {
                    throw file.corrupt("has no verdict for backend " + b.id());
                }
            }
            // Re-settle so flags (STALE) reflect that no checker has reported since the restart.
            state = settle.apply(new ControlState(doc.topology(), health, doc.routing(), doc.memory()));
        }
        return new Published(doc.revision(), doc.topologyRevision(), state, doc.events(), doc.lastEventSeq());
    }

    public Published current() {
        return current;
    }

    public Path stateFile() {
        return file.path();
    }

    public boolean writable() {
        return file.writable();
    }

    /** Called with each newly published state, after the swap, on the thread that made the change. */
    public void addListener(Consumer<Published> listener) {
        listeners.add(listener);
    }

    /**
     * Applies one change. {@code expectedTopologyRevision}, when not null, must equal the
     * topology's current revision (optimistic concurrency), else {@link RevisionMismatch}.
     * Returns what is published afterwards (the same object when nothing changed).
     */
    public Published update(Long expectedTopologyRevision, Function<ControlState, Outcome> change) {
        Published next;
        synchronized (lock) {
            Published before = current;
            if (expectedTopologyRevision != null && expectedTopologyRevision != before.topologyRevision()) {
                throw new RevisionMismatch(expectedTopologyRevision, before.topologyRevision());
            }
            Outcome outcome = change.apply(before.state());
            ControlState state = outcome.state();
            if (outcome.events().isEmpty() && !state.differsFrom(before.state())) {
                if (state != before.state()) {
                    // Timestamps of votes moved; nothing a watcher must hear about.
                    current = new Published(before.revision(), before.topologyRevision(), state, before.events(), before.lastEventSeq());
                }
                return current;
            }
            long revision = before.revision() + 1;
            boolean topologyChanged = !java.util.Objects.equals(state.topology(), before.state().topology());
            long topologyRevision = topologyChanged ? revision : before.topologyRevision();
            long seq = before.lastEventSeq();
            List<Event> events = new ArrayList<>(outcome.events().size() + before.events().size());
            List<Event> fresh = new ArrayList<>();
            for (Event e : outcome.events()) {
                fresh.add(0, e.withSequence(++seq, revision));
            }
            events.addAll(fresh);
            events.addAll(before.events());
            if (events.size() > maxEvents) {
                events = events.subList(0, maxEvents);
            }
            next = new Published(revision, topologyRevision, state, events, seq);
            try {
                file.write(document(next));
            } catch (IOException e) {
                throw new UncheckedIOException("state file " + file.path() + " could not be written; the change was not applied: " + e, e);
            }
            current = next;
        }
        publish(next);
        return next;
    }

    /** Completes when the revision passes {@code since} (at once if it already has). */
    public CompletableFuture<Published> awaitAfter(long since) {
        Published now = current;
        if (now.revision() > since) {
            return CompletableFuture.completedFuture(now);
        }
        Waiter w = new Waiter(since, new CompletableFuture<>());
        waiters.add(w);
        w.future().whenComplete((p, e) -> waiters.remove(w));
        // A change may have been published between the check and the add.
        Published again = current;
        if (again.revision() > since) {
            w.future().complete(again);
        }
        return w.future();
    }

    public int watchers() {
        return waiters.size();
    }

    private void publish(Published p) {
        for (Waiter w : waiters) {
            if (p.revision() > w.since()) {
                w.future().complete(p);
            }
        }
        for (Consumer<Published> l : listeners) {
            l.accept(p);
        }
    }

    private static StateDocument document(Published p) {
        ControlState s = p.state();
        List<StateDocument.SavedVerdict> verdicts = new ArrayList<>();
        if (s.topology() != null) {
            for (var b : s.topology().backends()) {
                BackendHealth h = s.health().get(b.id());
                verdicts.add(new StateDocument.SavedVerdict(b.id(), h.status(), h.since(), h.enabledSince()));
            }
        }
        RoutingDecision routing = s.routing();
        RoutingMemory memory = s.memory();
        return new StateDocument(StateDocument.FORMAT, p.revision(), p.topologyRevision(), s.topology(), verdicts, routing, memory,
                p.lastEventSeq(), p.events(), java.time.Instant.now());
    }

    @Override
    public void close() {
        file.close();
        for (Waiter w : waiters) {
            w.future().cancel(false);
        }
    }
}
