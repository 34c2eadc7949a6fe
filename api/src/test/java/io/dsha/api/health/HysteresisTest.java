package io.dsha.api.health;

import static io.dsha.api.health.Hysteresis.Transition.CHANGED;
import static io.dsha.api.health.Hysteresis.Transition.PENDING;
import static io.dsha.api.health.Hysteresis.Transition.UNCHANGED;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.dsha.api.health.Hysteresis.Step;
import io.dsha.api.health.Hysteresis.Transition;
import io.dsha.api.state.HealthStatus;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Exact rise/fall sequences of {@link Hysteresis}. */
class HysteresisTest {

    private static final boolean OK = true;
    private static final boolean FAIL = false;

    /** Feeds {@code results} in order and records every step. */
    private static final class Run {
        Hysteresis state;
        final List<Transition> transitions = new ArrayList<>();
        final List<HealthStatus> statuses = new ArrayList<>();

        Run(Hysteresis start, int rise, int fall, boolean... results) {
            state = start;
            for (boolean ok : results) {
                Step step = state.observe(ok, rise, fall);
                state = step.next();
                transitions.add(step.transition());
                statuses.add(state.status());
            }
        }
    }

    private static Hysteresis settled(HealthStatus status) {
        return new Hysteresis(status, 0, 0);
    }

    @Test
    void initialIsUnknownWithNoRuns() {
        assertEquals(new Hysteresis(HealthStatus.UNKNOWN, 0, 0), Hysteresis.INITIAL);
    }

    @Test
    void firstSuccessDecidesUpAtOnce() {
        Step step = Hysteresis.INITIAL.observe(OK, 5, 5);
        assertEquals(new Step(settled(HealthStatus.UP), CHANGED), step);
    }

    @Test
    void aNewViewGoesDownOnlyAfterFallFailuresInARow() {
        Run run = new Run(Hysteresis.INITIAL, 5, 3, FAIL, FAIL, FAIL);
        assertEquals(List.of(PENDING, PENDING, CHANGED), run.transitions);
        assertEquals(List.of(HealthStatus.UNKNOWN, HealthStatus.UNKNOWN, HealthStatus.DOWN), run.statuses);
        assertEquals(settled(HealthStatus.DOWN), run.state);
    }

    @Test
    void aFirstFailureIsCountedWhileTheViewStaysUnknown() {
        Step step = Hysteresis.INITIAL.observe(FAIL, 5, 2);
        assertEquals(new Step(new Hysteresis(HealthStatus.UNKNOWN, 0, 1), PENDING), step);
    }

    @Test
    void aSuccessAfterFirstFailuresStillDecidesUpAtOnce() {
        // A slow first probe, then a good one: the backend is UP, and the failure is forgotten.
        Run run = new Run(Hysteresis.INITIAL, 5, 3, FAIL, FAIL, OK);
        assertEquals(List.of(PENDING, PENDING, CHANGED), run.transitions);
        assertEquals(List.of(HealthStatus.UNKNOWN, HealthStatus.UNKNOWN, HealthStatus.UP), run.statuses);
        assertEquals(settled(HealthStatus.UP), run.state);
    }

    @Test
    void fallOneDecidesDownFromUnknownAtOnce() {
        Step step = Hysteresis.INITIAL.observe(FAIL, 2, 1);
        assertEquals(new Step(settled(HealthStatus.DOWN), CHANGED), step);
    }

    @Test
    void upGoesDownOnlyAfterFallFailuresInARow() {
        Run run = new Run(settled(HealthStatus.UP), 2, 3, FAIL, FAIL, FAIL);
        assertEquals(List.of(PENDING, PENDING, CHANGED), run.transitions);
        assertEquals(List.of(HealthStatus.UP, HealthStatus.UP, HealthStatus.DOWN), run.statuses);
        assertEquals(settled(HealthStatus.DOWN), run.state, "the runs start over after a change");
    }

    @Test
    void failureRunIsCountedInTheState() {
        Hysteresis up = settled(HealthStatus.UP);
        Step first = up.observe(FAIL, 2, 3);
        assertEquals(new Step(new Hysteresis(HealthStatus.UP, 0, 1), PENDING), first);
        Step second = first.next().observe(FAIL, 2, 3);
        assertEquals(new Step(new Hysteresis(HealthStatus.UP, 0, 2), PENDING), second);
        Step third = second.next().observe(FAIL, 2, 3);
        assertEquals(new Step(settled(HealthStatus.DOWN), CHANGED), third);
    }

    @Test
    void successWhileUpChangesNothing() {
        Run run = new Run(settled(HealthStatus.UP), 2, 3, OK, OK, OK);
        assertEquals(List.of(UNCHANGED, UNCHANGED, UNCHANGED), run.transitions);
        assertEquals(settled(HealthStatus.UP), run.state);
    }

    @Test
    void interruptedFailureRunStartsOver() {
        Run run = new Run(settled(HealthStatus.UP), 2, 3, FAIL, OK, FAIL, FAIL);
        assertEquals(List.of(PENDING, UNCHANGED, PENDING, PENDING), run.transitions);
        assertEquals(List.of(HealthStatus.UP, HealthStatus.UP, HealthStatus.UP, HealthStatus.UP), run.statuses);
        assertEquals(new Hysteresis(HealthStatus.UP, 0, 2), run.state);
        // The third failure of the new run brings it down.
        Step step = run.state.observe(FAIL, 2, 3);
        assertEquals(new Step(settled(HealthStatus.DOWN), CHANGED), step);
    }

    @Test
    void downComesUpOnlyAfterRiseSuccessesInARow() {
        Run run = new Run(settled(HealthStatus.DOWN), 2, 3, OK, OK);
        assertEquals(List.of(PENDING, CHANGED), run.transitions);
        assertEquals(List.of(HealthStatus.DOWN, HealthStatus.UP), run.statuses);
        assertEquals(settled(HealthStatus.UP), run.state);
    }

    @Test
    void successRunIsCountedInTheState() {
        Step step = settled(HealthStatus.DOWN).observe(OK, 3, 2);
        assertEquals(new Step(new Hysteresis(HealthStatus.DOWN, 1, 0), PENDING), step);
    }

    @Test
    void interruptedSuccessRunStartsOver() {
        Run run = new Run(settled(HealthStatus.DOWN), 3, 2, OK, OK, FAIL, OK, OK, OK);
        assertEquals(List.of(PENDING, PENDING, UNCHANGED, PENDING, PENDING, CHANGED), run.transitions);
        assertEquals(List.of(HealthStatus.DOWN, HealthStatus.DOWN, HealthStatus.DOWN, HealthStatus.DOWN, HealthStatus.DOWN,
                HealthStatus.UP), run.statuses);
    }

    @Test
    void failureWhileDownChangesNothing() {
        Run run = new Run(settled(HealthStatus.DOWN), 2, 3, FAIL, FAIL);
        assertEquals(List.of(UNCHANGED, UNCHANGED), run.transitions);
        assertEquals(settled(HealthStatus.DOWN), run.state);
    }

    @Test
    void riseOneFallOneFlipsOnEveryChange() {
        Run run = new Run(settled(HealthStatus.UP), 1, 1, FAIL, OK, FAIL, FAIL, OK, OK);
        assertEquals(List.of(CHANGED, CHANGED, CHANGED, UNCHANGED, CHANGED, UNCHANGED), run.transitions);
        assertEquals(List.of(HealthStatus.DOWN, HealthStatus.UP, HealthStatus.DOWN, HealthStatus.DOWN, HealthStatus.UP,
                HealthStatus.UP), run.statuses);
    }

    @Test
    void fullLifecycleFromUnknown() {
        // rise 2, fall 2: two failures decide DOWN from UNKNOWN, then hysteresis both ways.
        Run run = new Run(Hysteresis.INITIAL, 2, 2, FAIL, FAIL, OK, OK, FAIL, OK, FAIL, FAIL);
        assertEquals(List.of(PENDING, CHANGED, PENDING, CHANGED, PENDING, UNCHANGED, PENDING, CHANGED), run.transitions);
        assertEquals(List.of(HealthStatus.UNKNOWN, HealthStatus.DOWN, HealthStatus.DOWN, HealthStatus.UP, HealthStatus.UP,
                HealthStatus.UP, HealthStatus.UP, HealthStatus.DOWN), run.statuses);
    }

    @Test
    void degradedCountsAsUpForHysteresis() {
        Run stays = new Run(settled(HealthStatus.DEGRADED), 2, 2, OK, FAIL, OK);
        assertEquals(List.of(UNCHANGED, PENDING, UNCHANGED), stays.transitions);
        assertEquals(settled(HealthStatus.DEGRADED), stays.state);

        Run falls = new Run(settled(HealthStatus.DEGRADED), 2, 2, FAIL, FAIL);
        assertEquals(List.of(PENDING, CHANGED), falls.transitions);
        assertEquals(List.of(HealthStatus.DEGRADED, HealthStatus.DOWN), falls.statuses);
    }

    @Test
    void observeNeverMutatesTheReceiver() {
        Hysteresis up = settled(HealthStatus.UP);
        up.observe(FAIL, 1, 1);
        up.observe(FAIL, 2, 2);
        assertEquals(settled(HealthStatus.UP), up);
    }
}
