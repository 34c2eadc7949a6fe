package io.dsha.controlplane.store;

import io.dsha.api.event.Event;
import io.dsha.api.state.HealthStatus;
import io.dsha.api.state.RoutingDecision;
import io.dsha.api.topology.Topology;
import io.dsha.controlplane.decision.RoutingMemory;
import io.quarkus.runtime.annotations.RegisterForReflection;
import java.time.Instant;
import java.util.List;

/**
 * The persisted form of the state ({@code state.json}). Individual checker votes are not kept:
 * after a restart they would be stale anyway; the verdicts are, so routing resumes where it was
 * (flagged STALE) until checkers report again.
 *
 * <p>Registered for reflection because Jackson binds it outside Quarkus's REST layer (the api types
 * it holds are registered by {@code src-native/config}).
 */
@RegisterForReflection(targets = {StateDocument.class, StateDocument.SavedVerdict.class, RoutingMemory.class})
record StateDocument(
        Integer format,
        Long revision,
        Long topologyRevision,
        Topology topology,
        List<SavedVerdict> verdicts,
        RoutingDecision routing,
        RoutingMemory memory,
        Long lastEventSeq,
        List<Event> events,
        Instant savedAt) {

    static final int FORMAT = 1;

    record SavedVerdict(String backendId, HealthStatus status, Instant since, Instant enabledSince) {
    }
}
