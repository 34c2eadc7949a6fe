package io.dsha.api.state;

import io.dsha.api.report.ObservedStatus;
import java.time.Instant;
import java.util.List;

/**
 * One checker's view of one backend: {@code status} is that checker's state after rise/fall
 * hysteresis, {@code lastResult} its latest raw observation. A vote counts only while {@code live}
 * (the checker reported on this backend within its liveness window) and not {@code isolated} (the
 * checker sees every backend fail while the other checkers see them up: it is cut off, not right).
 * {@code degraded} and {@code lag}: what the checker's latest observation said about certificate and
 * data freshness; {@code daysToExpiry}: the days left on the certificate the backend presented to
 * this checker (absent when its check does not speak TLS).
 */
public record Vote(
        String reporterId,
        HealthStatus status,
        boolean live,
        ObservedStatus lastResult,
        String reason,
        Long latencyMs,
        Instant observedAt,
        Instant receivedAt,
        Boolean isolated,
        List<String> degraded,
        Long lag,
        Long daysToExpiry) {
}
