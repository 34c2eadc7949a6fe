package io.dsha.controlplane.decision;

import io.dsha.api.report.Observation;
import io.dsha.api.report.ObservedStatus;
import io.dsha.api.state.HealthStatus;
import io.dsha.api.state.Vote;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One checker's view of one backend, as the engine keeps it: {@code status} is the checker's own
 * state after its rise/fall (the engine counts no runs), {@code lastResult} its latest raw probe.
 * {@code degraded} is never null.
 */
record VoteState(
        String reporterId,
        HealthStatus status,
        boolean live,
        ObservedStatus lastResult,
        String reason,
        Long latencyMs,
        Instant observedAt,
        Instant receivedAt,
        boolean isolated,
        List<String> degraded,
        Long lag,
        Long daysToExpiry) {

    VoteState {
        degraded = degraded == null ? List.of() : List.copyOf(degraded);
    }

    /** {@code reporterId}'s latest observation {@code o}, received at {@code now}, with the checker's view {@code status}; live. */
    static VoteState observed(String reporterId, HealthStatus status, Observation o, Instant now, boolean isolated) {
        return new VoteState(reporterId, status, true, o.status(), o.reason(), o.latencyMs(), o.at() == null ? now : o.at(), now,
                isolated, o.degraded(), o.lag(), o.daysToExpiry());
    }

    /** Whether this vote counts: live and not set aside as isolated. */
    boolean counts() {
        return live && !isolated;
    }

    VoteState withLive(boolean newLive) {
        return newLive == live ? this : new VoteState(reporterId, status, newLive, lastResult, reason, latencyMs, observedAt, receivedAt,
                isolated, degraded, lag, daysToExpiry);
    }

    VoteState withIsolated(boolean newIsolated) {
        return newIsolated == isolated ? this : new VoteState(reporterId, status, live, lastResult, reason, latencyMs, observedAt,
                receivedAt, newIsolated, degraded, lag, daysToExpiry);
    }

    Vote view() {
        return new Vote(reporterId, status, live, lastResult, reason, latencyMs, observedAt, receivedAt, isolated ? Boolean.TRUE : null,
                degraded.isEmpty() ? null : degraded, lag, daysToExpiry);
    }

    /** What a revision bump cares about: the counted state and its reasons, not the timestamps, the exact lag nor the days to expiry. */
    boolean sameVoteAs(VoteState other) {
        return other != null && reporterId.equals(other.reporterId) && status == other.status && live == other.live
                && isolated == other.isolated && degraded.equals(other.degraded) && Objects.equals(lag == null, other.lag == null);
    }
}
