package io.dsha.controlplane.decision;

import io.dsha.api.state.RoutingDecision;
import io.dsha.api.state.StateDelta;
import io.dsha.api.state.StateSnapshot;
import io.dsha.api.state.Verdict;
import io.dsha.api.topology.Backend;
import io.dsha.api.topology.Topology;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Declared topology plus everything observed about it, at one moment. Immutable: the engine
 * returns a new one for each change.
 */
public record ControlState(Topology topology, Map<String, BackendHealth> health, RoutingDecision routing, RoutingMemory memory,
        ListenerHealth listener) {

    public static final ControlState EMPTY = new ControlState(null, Map.of(), RoutingDecision.NONE, RoutingMemory.EMPTY, ListenerHealth.NONE);

    public ControlState {
        health = Map.copyOf(health);
        listener = listener == null ? ListenerHealth.NONE : listener;
    }

    /** A new topology with the health that goes with it; routing, memory and the listener's findings carry over. */
    public ControlState withTopology(Topology newTopology, Map<String, BackendHealth> newHealth) {
        return new ControlState(newTopology, newHealth, routing, memory, listener);
    }

    public ControlState withHealth(Map<String, BackendHealth> newHealth) {
        return new ControlState(topology, newHealth, routing, memory, listener);
    }

    public ControlState withListener(ListenerHealth newListener) {
        return new ControlState(topology, health, routing, memory, newListener);
    }

    /** A routing decision with the memory it was made with. */
    public ControlState withRouting(RoutingDecision newRouting, RoutingMemory newMemory) {
        return new ControlState(topology, health, newRouting, newMemory, listener);
    }

    /** Verdicts in the topology's order. */
    public List<Verdict> verdicts() {
        if (topology == null) {
            return List.of();
        }
        return topology.backends().stream().map(Backend::id).map(health::get).filter(Objects::nonNull).map(BackendHealth::view).toList();
    }

    public StateSnapshot snapshot(long revision, long topologyRevision) {
        return new StateSnapshot(revision, topologyRevision, topology, verdicts(), routing, listener.view());
    }

    /**
     * This state at {@code revision} told as what changed since {@code before}, a state of the same topology at
     * {@code baseRevision}: see {@link StateDelta}.
     */
    public StateDelta deltaSince(ControlState before, long baseRevision, long revision, long topologyRevision) {
        return new StateDelta(revision, topologyRevision, baseRevision, null, verdictsChangedSince(before), routing, listener.view());
    }

    /**
     * The verdicts, in the topology's order, that differ from {@code before}'s in anything a watcher must hear about
     * (the judgement behind {@link #differsFrom}; a vote's timestamps moving is not such a difference).
     */
    List<Verdict> verdictsChangedSince(ControlState before) {
        if (topology == null) {
            return List.of();
        }
        return topology.backends().stream().map(Backend::id).map(id -> {
            BackendHealth h = health.get(id);
            return h == null || h.sameVerdictAs(before.health.get(id)) ? null : h.view();
        }).filter(Objects::nonNull).toList();
    }

    /** Whether {@code other} differs in anything a watcher must hear about. */
    public boolean differsFrom(ControlState other) {
        if (!Objects.equals(topology, other.topology) || !routing.equals(other.routing) || !memory.equals(other.memory)
                || !health.keySet().equals(other.health.keySet()) || !listener.sameAs(other.listener)) {
            return true;
        }
        for (Map.Entry<String, BackendHealth> e : health.entrySet()) {
            if (!e.getValue().sameVerdictAs(other.health.get(e.getKey()))) {
                return true;
            }
        }
        return false;
    }
}
