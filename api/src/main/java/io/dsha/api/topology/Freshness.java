package io.dsha.api.topology;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;

/**
 * The data cross-check between instances: every checker reads {@code path} on each backend (HTTP,
 * or HTTPS like the backend's health check) every {@code intervalMs}, takes the value at the JSON
 * {@code pointer}, and compares the instances. One that lags the freshest by more than
 * {@code maxLag} (milliseconds for TIMESTAMP, counter units for COUNTER) is DEGRADED.
 *
 * <p>{@code failoverHoldMs}: in ACTIVE_PASSIVE, when the active backend turns DOWN while a live
 * checker still sees it UP (it is down only by a hair) and every backend that could take over is
 * DEGRADED (or, with ingest routes, still being replayed to), traffic stays where it is for up to this long (0: fail
 * over at once); with ingest routes and no freshness section, the control plane holds for
 * {@link #DEFAULT_FAILOVER_HOLD_MS}. Defaults: kind
 * TIMESTAMP, maxLag 30000 (required for COUNTER), every 5000 ms with a 1000 ms timeout, hold 10000 ms.
 */
public record Freshness(
        @NotNull @Pattern(regexp = "/\\S*", message = "must start with '/' and contain no spaces") String path,
        @NotNull @Pattern(regexp = "(/[^/]*)+", message = "must be a JSON pointer such as /ingest/lastRecordTime") String pointer,
        @NotNull FreshnessKind kind,
        @NotNull @Min(value = 0, message = "must be between 0 and 1000000000000")
        @Max(value = 1_000_000_000_000L, message = "must be between 0 and 1000000000000") Long maxLag,
        @NotNull @Min(value = 100, message = "must be between 100 and 3600000")
        @Max(value = 3_600_000, message = "must be between 100 and 3600000") Integer intervalMs,
        @NotNull @Min(value = 10, message = "must be between 10 and 600000")
        @Max(value = 600_000, message = "must be between 10 and 600000") Integer timeoutMs,
        @NotNull @Min(value = 0, message = "must be between 0 and 3600000")
        @Max(value = 3_600_000, message = "must be between 0 and 3600000") Long failoverHoldMs) {

    /** The hold when none is given; also the control plane's hold for ingest backlogs in a topology without freshness. */
    public static final long DEFAULT_FAILOVER_HOLD_MS = 10_000L;

    public Freshness {
        kind = kind == null ? FreshnessKind.TIMESTAMP : kind;
        maxLag = maxLag == null && kind == FreshnessKind.TIMESTAMP ? Long.valueOf(30_000) : maxLag;
        intervalMs = intervalMs == null ? 5000 : intervalMs;
        timeoutMs = timeoutMs == null ? 1000 : timeoutMs;
        failoverHoldMs = failoverHoldMs == null ? DEFAULT_FAILOVER_HOLD_MS : failoverHoldMs;
    }

    /** A lag in the kind's unit, for messages: {@code 1200 ms} or {@code 35 records}. */
    public String describeLag(long lag) {
        return kind == FreshnessKind.TIMESTAMP ? lag + " ms" : lag + " records";
    }
}
