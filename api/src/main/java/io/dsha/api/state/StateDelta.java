package io.dsha.api.state;

import io.dsha.api.topology.Topology;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A watch answer to a client that asked for changes only ({@code GET /api/v1/watch?since=N&delta=true}): the state at
 * {@code revision} told as what changed since the client's revision {@code base}. It carries the verdicts that changed
 * since {@code base} (in the topology's order), the routing decision and the listener's finding whole, and no topology
 * (the topology has not changed since {@code base}; when it has, the answer is a whole snapshot).
 *
 * <p>With {@code base} null it is a whole snapshot: the same JSON as {@link StateSnapshot}, which is what the control
 * plane sends when it no longer holds the base revision, when the topology changed since it, or when it does not know
 * deltas (an older version ignores the parameter). A client reads every answer of such a watch as a {@code StateDelta}
 * and {@linkplain #applyTo applies it} to the snapshot it holds.
 */
public record StateDelta(
        long revision,
        long topologyRevision,
        Long base,
        Topology topology,
        List<Verdict> verdicts,
        RoutingDecision routing,
        ListenerVerdict listener) {

    public StateDelta {
        verdicts = verdicts == null ? List.of() : List.copyOf(verdicts);
    }

    /** Whether this is a whole snapshot rather than changes. */
    public boolean whole() {
        return base == null;
    }

    /**
     * The snapshot at {@link #revision()}: this one when {@linkplain #whole() whole}, else {@code held} (the snapshot at
     * {@code base}) with the changed verdicts put in place and the routing decision and listener's finding replaced.
     *
     * @throws IllegalStateException when {@code held} is not the snapshot at {@code base}, or a changed verdict names a
     *         backend it does not have (the client must then read the whole state)
     */
    public StateSnapshot applyTo(StateSnapshot held) {
        if (whole()) {
            return new StateSnapshot(revision, topologyRevision, topology, verdicts, routing, listener);
        }
        if (held == null || held.revision() != base) {
            throw new IllegalStateException("a delta from revision " + base + " cannot apply to "
                    + (held == null ? "no state" : "revision " + held.revision()));
        }
        Map<String, Verdict> changed = new HashMap<>();
        for (Verdict v : verdicts) {
            changed.put(v.backendId(), v);
        }
        List<Verdict> merged = held.verdicts().stream().map(v -> Objects.requireNonNullElse(changed.remove(v.backendId()), v)).toList();
        if (!changed.isEmpty()) {
            throw new IllegalStateException("a delta from revision " + base + " has verdicts of backends the state does not list: "
                    + changed.keySet());
        }
        return new StateSnapshot(revision, topologyRevision, held.topology(), merged, routing, listener);
    }
}
