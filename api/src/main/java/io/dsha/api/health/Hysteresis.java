package io.dsha.api.health;

import io.dsha.api.state.HealthStatus;

/**
 * Rise/fall hysteresis over a stream of probe results, as an immutable value. A known state
 * changes only after {@code fall} failures or {@code rise} successes in a row. From {@code UNKNOWN}
 * (a new backend, a checker that just started) a first success decides UP at once, so a healthy
 * backend is usable within one interval; DOWN takes {@code fall} failures in a row, as from UP. One
 * slow first probe of a fresh view (a checker starting on a busy host) is no evidence of an outage,
 * and must not outvote checkers that have been watching: until it is settled, the view is
 * {@code UNKNOWN} and casts no vote.
 */
public record Hysteresis(HealthStatus status, int successes, int failures) {

    public static final Hysteresis INITIAL = new Hysteresis(HealthStatus.UNKNOWN, 0, 0);

    /** The outcome of one observation. */
    public enum Transition {
        /** Nothing moved. */
        UNCHANGED,
        /** A change is building up (fewer than rise/fall results in a row so far). */
        PENDING,
        /** The state changed. */
        CHANGED
    }

    /** The next value and what happened. */
    public record Step(Hysteresis next, Transition transition) {
    }

    public Step observe(boolean ok, int rise, int fall) {
        if (status == HealthStatus.UNKNOWN) {
            if (ok) {
                return new Step(new Hysteresis(HealthStatus.UP, 0, 0), Transition.CHANGED);
            }
            int run = failures + 1;
            return run >= fall
                    ? new Step(new Hysteresis(HealthStatus.DOWN, 0, 0), Transition.CHANGED)
                    : new Step(new Hysteresis(HealthStatus.UNKNOWN, 0, run), Transition.PENDING);
        }
        boolean up = status == HealthStatus.UP || status == HealthStatus.DEGRADED;
        if (ok == up) {
            // A result that agrees with the state breaks any run building up against it.
            return new Step(new Hysteresis(status, 0, 0), Transition.UNCHANGED);
        }
        int run = (ok ? successes : failures) + 1;
        int needed = ok ? rise : fall;
        if (run >= needed) {
            return new Step(new Hysteresis(ok ? HealthStatus.UP : HealthStatus.DOWN, 0, 0), Transition.CHANGED);
        }
        return new Step(ok ? new Hysteresis(status, run, 0) : new Hysteresis(status, 0, run), Transition.PENDING);
    }
}
