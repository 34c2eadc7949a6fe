package io.dsha.api.state;

import io.dsha.api.report.ObservedStatus;
import java.time.Instant;

/**
 * One checker's view of one backend: {@code status} is that checker's state after rise/fall
 * hysteresis, {@code lastResult} its latest raw observation. A vote counts only while {@code live}
 * (the checker reported on this backend within its liveness window).
 */
public record Vote(
        String reporterId,
        HealthStatus status,
        boolean live,
        ObservedStatus lastResult,
        String reason,
        Long latencyMs,
        Instant observedAt,
        Instant receivedAt) {
}
