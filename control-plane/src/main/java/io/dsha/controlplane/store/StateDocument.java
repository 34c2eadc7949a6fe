package io.dsha.controlplane.store;

import io.dsha.api.event.Event;
import io.dsha.api.state.HealthStatus;
import io.dsha.api.state.ListenerVerdict;
import io.dsha.api.state.RoutingDecision;
import io.dsha.api.state.Verdict;
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
 * <p>{@code checksum} ({@code crc32c:} and 8 hex digits) is only in {@code state.json}: the CRC-32C of the
 * document without it, in compact JSON with its fields in file order (see {@link StateFile}). Journal
 * records carry their own per line.
 *
 * <p>{@code published} and {@code listener}: in etcd only, the verdicts and the listener's verdict as the leader
 * published them at this revision (votes, flags, lag and all), so that every replica serves the same snapshot at the
 * same revision. Restoring the state to decide with (a restart, a new leader) ignores them and re-settles as above.
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
        List<Verdict> published,
        ListenerVerdict listener,
        Instant savedAt,
        String checksum) {

    static final int FORMAT = 1;

    record SavedVerdict(String backendId, HealthStatus status, Instant since, Instant enabledSince) {
    }
}
