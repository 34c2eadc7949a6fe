package io.dsha.api.health;

import io.dsha.api.state.HealthStatus;

/**
 * Rise/fall hysteresis over a stream of probe results, as an immutable value. A known state
 * changes only after {@code fall} failures or {@code rise} successes in a row; the very first
 * result decides from {@code UNKNOWN} at once, so a new backend is judged within one interval.
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
            return new Step(new Hysteresis(ok ? HealthStatus.UP : HealthStatus.DOWN, 0, 0), Transition.CHANGED);
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
