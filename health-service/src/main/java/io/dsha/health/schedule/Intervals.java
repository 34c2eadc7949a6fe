package io.dsha.health.schedule;

import io.dsha.api.health.Hysteresis;
import io.dsha.api.state.HealthStatus;
import io.dsha.api.topology.HealthCheck;

/**
 * When to probe next: the fast interval while a change is building up (a run of results against
 * the current state, like HAProxy's {@code fastinter}), the down interval while the backend is
 * down, the normal interval otherwise; each spread by a jitter so that many checks do not fire in
 * step. Pure.
 */
public final class Intervals {

    private Intervals() {
    }

    /** The interval before jitter. */
    public static long base(HealthCheck check, Hysteresis state) {
        if (state.successes() > 0 || state.failures() > 0) {
            return check.fastIntervalMs();
        }
        return state.status() == HealthStatus.DOWN ? check.downIntervalMs() : check.intervalMs();
    }

    /**
     * {@code base} moved by up to {@code jitter} (a fraction, 0.1 = ±10 %) according to
     * {@code random} in [0, 1); never below 1 ms.
     */
    public static long jittered(long base, double jitter, double random) {
        return Math.max(1, Math.round(base * (1 + jitter * (2 * random - 1))));
    }

    /** The first probe of a new backend: soon (within its fast interval), spread at random. */
    public static long first(HealthCheck check, double random) {
        return Math.max(1, Math.round(check.fastIntervalMs() * random));
    }
}
