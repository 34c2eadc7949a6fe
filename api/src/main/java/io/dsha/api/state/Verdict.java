package io.dsha.api.state;

import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * What the control plane believes about one backend, since when, and the votes behind it.
 * {@code quorum} is the number of agreeing live checkers a change needs (a majority of
 * {@code liveCheckers}).
 */
public record Verdict(
        String backendId,
        HealthStatus status,
        Instant since,
        int liveCheckers,
        int quorum,
        Set<VerdictFlag> flags,
        List<Vote> votes,
        PassiveObservation lastPassiveFailure) {

    public Verdict {
        flags = Set.copyOf(flags);
        votes = List.copyOf(votes);
    }
}
