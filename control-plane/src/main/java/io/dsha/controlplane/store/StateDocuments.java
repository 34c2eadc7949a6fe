package io.dsha.controlplane.store;

import io.dsha.api.event.Event;
import io.dsha.api.problem.Violation;
import io.dsha.api.state.RoutingDecision;
import io.dsha.api.state.StateSnapshot;
import io.dsha.controlplane.decision.BackendHealth;
import io.dsha.controlplane.decision.ControlState;
import io.dsha.controlplane.decision.ListenerHealth;
import io.dsha.controlplane.decision.RoutingMemory;
import io.dsha.controlplane.topology.TopologyValidator;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

/** The persisted form of a published state, both ways: what every {@link Store} writes, and what it reads back. */
final class StateDocuments {

    private StateDocuments() {
    }

    /**
     * The published state {@code doc} holds, checked: {@code corrupt} makes the error (naming where it was read)
     * for a document that is incomplete, or whose topology does not validate or does not match its verdicts.
     * {@code settle} re-evaluates the restored state (votes are not persisted).
     */
    static Published restore(StateDocument doc, TopologyValidator validator, UnaryOperator<ControlState> settle,
            Function<String, RuntimeException> corrupt) {
        if (doc.revision() == null || doc.revision() < 0 || doc.topologyRevision() == null || doc.topologyRevision() > doc.revision()
                || doc.lastEventSeq() == null || doc.events() == null || doc.verdicts() == null || doc.routing() == null
                || doc.memory() == null) {
            throw corrupt.apply("is incomplete (revision, topologyRevision, verdicts, routing, memory, lastEventSeq and events are required)");
        }
        ControlState state = ControlState.EMPTY;
        if (doc.topology() != null) {
            List<Violation> violations = validator.validate(doc.topology());
            if (!violations.isEmpty()) {
                throw corrupt.apply("holds a topology that does not validate: "
                        + violations.stream().map(Violation::toString).collect(Collectors.joining("; ")));
            }
            Map<String, BackendHealth> health = new HashMap<>();
            for (StateDocument.SavedVerdict v : doc.verdicts()) {
                if (v == null || v.backendId() == null || v.status() == null || v.since() == null || v.enabledSince() == null
                        || doc.topology().backend(v.backendId()).isEmpty()) {
                    throw corrupt.apply("holds a verdict that does not match the topology: " + v);
                }
                health.put(v.backendId(), BackendHealth.restored(v.backendId(), v.status(), v.since(), v.enabledSince()));
            }
            for (var b : doc.topology().backends()) {
                if (!health.containsKey(b.id())) {
                    throw corrupt.apply("has no verdict for backend " + b.id());
                }
            }
            // Re-settle so flags (STALE) reflect that no checker has reported since the restart.
            // The checkers' findings about the proxy's certificate are not persisted: they come back with the next reports.
            state = settle.apply(new ControlState(doc.topology(), health, doc.routing(), doc.memory(), ListenerHealth.NONE));
        }
        return new Published(doc.revision(), doc.topologyRevision(), state, doc.events(), doc.lastEventSeq());
    }

    static StateDocument document(Published p, List<Event> events) {
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
                p.lastEventSeq(), events, null, null, java.time.Instant.now(), null);
    }

    /** {@code doc} with the verdicts and the listener's verdict as {@code p} publishes them (what etcd keeps for followers). */
    static StateDocument withPublished(StateDocument doc, Published p) {
        StateSnapshot s = p.snapshot();
        return new StateDocument(doc.format(), doc.revision(), doc.topologyRevision(), doc.topology(), doc.verdicts(), doc.routing(),
                doc.memory(), doc.lastEventSeq(), doc.events(), s.verdicts(), s.listener(), doc.savedAt(), doc.checksum());
    }

    /**
     * The snapshot the writer published at {@code doc}'s revision, where the document holds it (written to etcd by this
     * version); null for an older document.
     */
    static StateSnapshot asPublished(StateDocument doc) {
        return doc.published() == null ? null
                : new StateSnapshot(doc.revision(), doc.topologyRevision(), doc.topology(), doc.published(), doc.routing(), doc.listener());
    }

}
