package io.dsha.controlplane.store;

import io.dsha.api.event.Event;
import io.dsha.api.state.StateSnapshot;
import io.dsha.controlplane.decision.ControlState;
import java.util.List;

/**
 * What the store has published: the state at a revision, the revision at which the topology last
 * changed, and the bounded event history (newest first). Immutable; swapped in one step.
 */
public record Published(long revision, long topologyRevision, ControlState state, List<Event> events, long lastEventSeq) {

    public Published {
        events = List.copyOf(events);
    }

    public StateSnapshot snapshot() {
        return state.snapshot(revision, topologyRevision);
    }
}
