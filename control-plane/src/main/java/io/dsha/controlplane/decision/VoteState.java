package io.dsha.controlplane.decision;

import io.dsha.api.health.Hysteresis;
import io.dsha.api.report.ObservedStatus;
import io.dsha.api.state.HealthStatus;
import io.dsha.api.state.Vote;
import java.time.Instant;

/** One checker's running view of one backend, as the engine keeps it. */
record VoteState(
        String reporterId,
        Hysteresis hysteresis,
        boolean live,
        ObservedStatus lastResult,
        String reason,
        Long latencyMs,
        Instant observedAt,
        Instant receivedAt) {

    HealthStatus status() {
        return hysteresis.status();
    }

    VoteState withLive(boolean newLive) {
        return newLive == live ? this : new VoteState(reporterId, hysteresis, newLive, lastResult, reason, latencyMs, observedAt, receivedAt);
    }

    Vote view() {
        return new Vote(reporterId, status(), live, lastResult, reason, latencyMs, observedAt, receivedAt);
    }

    /** What a revision bump cares about: the counted state, not the timestamps. */
    boolean sameVoteAs(VoteState other) {
        return other != null && reporterId.equals(other.reporterId) && status() == other.status() && live == other.live;
    }
}
