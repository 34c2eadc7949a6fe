package io.dsha.api.state;

import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * What the control plane believes about one backend, since when, and the votes behind it.
 * {@code quorum} is the number of agreeing live checkers a change needs (a majority of
 * {@code liveCheckers}). {@code degraded}: the reasons behind the DEGRADED flag (absent without
 * it). {@code lag}: how far the backend's data is behind the freshest instance, when the topology
 * has a freshness check; refreshed with every new revision, not with every report.
 */
public record Verdict(
        String backendId,
        HealthStatus status,
        Instant since,
        int liveCheckers,
        int quorum,
        Set<VerdictFlag> flags,
        List<Vote> votes,
        PassiveObservation lastPassiveFailure,
        List<String> degraded,
        Long lag) {

    public Verdict {
        flags = Set.copyOf(flags);
        votes = List.copyOf(votes);
        degraded = degraded == null || degraded.isEmpty() ? null : List.copyOf(degraded);
    }

    /** A verdict without degradation or lag. */
    public Verdict(String backendId, HealthStatus status, Instant since, int liveCheckers, int quorum, Set<VerdictFlag> flags,
            List<Vote> votes, PassiveObservation lastPassiveFailure) {
        this(backendId, status, since, liveCheckers, quorum, flags, votes, lastPassiveFailure, null, null);
    }
}
