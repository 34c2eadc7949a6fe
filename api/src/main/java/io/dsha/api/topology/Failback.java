package io.dsha.api.topology;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;

/**
 * How traffic returns to a preferred backend after a failover (ACTIVE_PASSIVE). {@code AUTO}
 * moves it back once the preferred backend has been up and enabled for {@code delayMs} without a
 * break; {@code MANUAL} waits for {@code POST /api/v1/failback}. Defaults: AUTO after 30 s.
 */
public record Failback(
        @NotNull FailbackPolicy policy,
        @NotNull @Min(value = 0, message = "must be between 0 and 86400000")
        @Max(value = 86_400_000, message = "must be between 0 and 86400000") Long delayMs) {

    public static final Failback DEFAULT = new Failback(null, null);

    public Failback {
        policy = policy == null ? FailbackPolicy.AUTO : policy;
        delayMs = delayMs == null ? 30_000L : delayMs;
    }
}
