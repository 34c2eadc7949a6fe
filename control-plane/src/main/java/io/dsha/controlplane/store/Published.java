package io.dsha.controlplane.store;

import io.dsha.api.event.Event;
import io.dsha.api.state.StateSnapshot;
import io.dsha.controlplane.decision.ControlState;
import io.dsha.controlplane.decision.Outcome;
import java.util.List;

/**
 * What the store has published: the state at a revision, the revision at which the topology last
 * changed, and the bounded event history (newest first). Immutable; swapped in one step.
 *
 * <p>{@code written}: on a replica that mirrors another's writes (etcd), the snapshot as the writer published it at
 * this revision; {@link #snapshot()} serves it, so every replica answers the same at the same revision. {@code state}
 * is then the state restored to decide with, should this replica lead: its verdicts re-settled without the writer's
 * votes (flagged STALE until checkers report to it). Null where this replica computed the state itself.
 */
public record Published(long revision, long topologyRevision, ControlState state, List<Event> events, long lastEventSeq,
        StateSnapshot written) {

    public Published {
        events = List.copyOf(events);
    }

    public Published(long revision, long topologyRevision, ControlState state, List<Event> events, long lastEventSeq) {
        this(revision, topologyRevision, state, events, lastEventSeq, null);
    }

    /** The same, serving {@code snapshot} as written by the replica that computed it (null: this one's own view). */
    Published asWritten(StateSnapshot snapshot) {
        return new Published(revision, topologyRevision, state, events, lastEventSeq, snapshot);
    }

    /**
     * What follows {@code before} after a change that a watcher hears about: the next revision (and the topology's,
     * when it changed), the outcome's events numbered in order and put first (newest first), at most {@code maxEvents}.
     */
    static Published next(Published before, Outcome outcome, int maxEvents) {
        long revision = before.revision() + 1;
        ControlState state = outcome.state();
        boolean topologyChanged = !java.util.Objects.equals(state.topology(), before.state().topology());
        long topologyRevision = topologyChanged ? revision : before.topologyRevision();
        long seq = before.lastEventSeq();
        List<Event> events = new java.util.ArrayList<>(outcome.events().size() + before.events().size());
        for (Event e : outcome.events()) {
            events.add(0, e.withSequence(++seq, revision));
        }
        events.addAll(before.events());
        return new Published(revision, topologyRevision, state, events.size() > maxEvents ? events.subList(0, maxEvents) : events, seq);
    }

    public StateSnapshot snapshot() {
        return written != null ? written : state.snapshot(revision, topologyRevision);
    }
}
