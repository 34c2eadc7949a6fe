package io.dsha.api.report;

import io.dsha.api.state.HealthStatus;
import io.dsha.api.topology.Backend;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.time.Instant;
import java.util.List;

/**
 * One observation of one backend: the result, why, how long it took, and when (reporter's clock).
 * A checker may add {@code degraded}: why the backend, although it answers, is not fit to be
 * preferred (an untrusted or expiring certificate, a name mismatch, lagging data), and
 * {@code lag}: how far its data is behind the freshest instance (milliseconds, or counter units
 * for a COUNTER freshness check). Both are absent when there is nothing to say.
 * {@code daysToExpiry}: whole days left on the certificate the backend presented (negative once
 * expired), when the check spoke TLS.
 *
 * <p>{@code status} is the raw result of this one probe; {@code health} is the checker's view of the
 * backend after its own rise/fall hysteresis over every probe it ran (UP, DOWN, or UNKNOWN while a
 * fresh view is still settling). Rise/fall lives in the checker alone, as in Envoy's HDS, because
 * only the checker sees every probe: reports are coalesced (newest per backend), so a receiver
 * counting results in a row would count a different stream. The control plane takes {@code health}
 * as it is. Absent (a proxy's passive observation, or a reporter that applies no rise/fall), the
 * raw {@code status} is the view.
 */
public record Observation(
        @NotNull @Pattern(regexp = Backend.ID_PATTERN, message = Backend.ID_MESSAGE) String backendId,
        @NotNull ObservedStatus status,
        @Size(max = 512, message = "must be at most 512 characters") String reason,
        @Min(value = 0, message = "must be between 0 and 3600000")
        @Max(value = 3_600_000, message = "must be between 0 and 3600000") Long latencyMs,
        Instant at,
        @Size(max = 16, message = "must hold at most 16 reasons")
        List<@NotNull @Size(min = 1, max = 512, message = "must be 1 to 512 characters") String> degraded,
        @Min(value = 0, message = "must not be negative") Long lag,
        Long daysToExpiry,
        HealthStatus health) {

    public Observation {
        degraded = degraded == null || degraded.isEmpty() ? null : java.util.Collections.unmodifiableList(new java.util.ArrayList<>(degraded));
    }

    /** A plain result: the backend, the raw status, why, how long it took and when; nothing else to say yet. */
    public static Observation of(String backendId, ObservedStatus status, String reason, Long latencyMs, Instant at) {
        return new Observation(backendId, status, reason, latencyMs, at, null, null, null, null);
    }

    /** The same observation with why the backend, although it answers, is not fit to be preferred. */
    public Observation withDegraded(List<String> degraded) {
        return new Observation(backendId, status, reason, latencyMs, at, degraded, lag, daysToExpiry, health);
    }

    /** The same observation with how far the backend's data is behind the freshest instance. */
    public Observation withLag(Long lag) {
        return new Observation(backendId, status, reason, latencyMs, at, degraded, lag, daysToExpiry, health);
    }

    /** The same observation with the days left on the certificate the backend presented. */
    public Observation withDaysToExpiry(Long daysToExpiry) {
        return new Observation(backendId, status, reason, latencyMs, at, degraded, lag, daysToExpiry, health);
    }

    /** The same observation with the checker's view after its rise/fall. */
    public Observation withHealth(HealthStatus health) {
        return new Observation(backendId, status, reason, latencyMs, at, degraded, lag, daysToExpiry, health);
    }
}
