package io.dsha.controlplane.decision;

import io.dsha.api.state.RoutingDecision;
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

    public static final ControlState EMPTY = new ControlState(null, Map.of(), RoutingDecision.NONE, RoutingMemory.EMPTY);

    public ControlState {
        health = Map.copyOf(health);
        listener = listener == null ? ListenerHealth.NONE : listener;
    }

    /** Without findings about the proxy's certificate (a restored state: they are not persisted). */
    public ControlState(Topology topology, Map<String, BackendHealth> health, RoutingDecision routing, RoutingMemory memory) {
        this(topology, health, routing, memory, ListenerHealth.NONE);
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
