package io.dsha.controlplane.decision;

import io.dsha.api.state.HealthStatus;
import io.dsha.api.state.PassiveObservation;
import io.dsha.api.state.Verdict;
import io.dsha.api.state.VerdictFlag;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The observed state of one backend: its verdict, the votes behind it, the last passive failure a
 * proxy reported, and since when it has been ENABLED (the AUTO failback delay counts from the later
 * of that and {@code since}). {@code degraded}: the reasons behind the DEGRADED flag (empty without it);
 * {@code lag}: the data lag the checkers report, when the topology has a freshness check. Immutable.
 */
public record BackendHealth(
        String backendId,
        HealthStatus status,
        Instant since,
        int liveCheckers,
        int quorum,
        Set<VerdictFlag> flags,
        Map<String, VoteState> votes,
        PassiveObservation lastPassiveFailure,
        Instant enabledSince,
        List<String> degraded,
        Long lag) {

    public BackendHealth {
        flags = flags.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(flags));
        votes = Map.copyOf(votes);
        degraded = degraded == null ? List.of() : List.copyOf(degraded);
    }

    /** A verdict read back from the state file: no checker, vote, passive failure, degradation or lag is persisted. */
    public static BackendHealth restored(String backendId, HealthStatus status, Instant since, Instant enabledSince) {
        return new BackendHealth(backendId, status, since, 0, 0, Set.of(), Map.of(), null, enabledSince, List.of(), null);
    }

    static BackendHealth unknown(String backendId, Instant now) {
        return restored(backendId, HealthStatus.UNKNOWN, now, now);
    }

    /** The same verdict over other votes (the verdict is decided again when the state settles). */
    BackendHealth withVotes(Map<String, VoteState> newVotes) {
        return new BackendHealth(backendId, status, since, liveCheckers, quorum, flags, newVotes, lastPassiveFailure, enabledSince, degraded, lag);
    }

    BackendHealth withLastPassiveFailure(PassiveObservation newFailure) {
        return new BackendHealth(backendId, status, since, liveCheckers, quorum, flags, votes, newFailure, enabledSince, degraded, lag);
    }

    BackendHealth withEnabledSince(Instant newEnabledSince) {
        return new BackendHealth(backendId, status, since, liveCheckers, quorum, flags, votes, lastPassiveFailure, newEnabledSince, degraded, lag);
    }

    public Verdict view() {
        List<io.dsha.api.state.Vote> list = votes.values().stream()
                .sorted(java.util.Comparator.comparing(VoteState::reporterId))
                .map(VoteState::view)
                .toList();
        return new Verdict(backendId, status, since, liveCheckers, quorum, flags, list, lastPassiveFailure, degraded, lag);
    }

    /** Equal in everything a watcher must hear about (timestamps of individual reports and the exact lag aside). */
    boolean sameVerdictAs(BackendHealth other) {
        if (other == null || status != other.status || !Objects.equals(since, other.since)
                || liveCheckers != other.liveCheckers || quorum != other.quorum || !flags.equals(other.flags)
                || !Objects.equals(enabledSince, other.enabledSince) || votes.size() != other.votes.size()
                || !degraded.equals(other.degraded)) {
            return false;
        }
        for (Map.Entry<String, VoteState> e : votes.entrySet()) {
            if (!e.getValue().sameVoteAs(other.votes.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }
}
