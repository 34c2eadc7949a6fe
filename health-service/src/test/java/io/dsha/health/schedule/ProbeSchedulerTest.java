package io.dsha.health.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dsha.api.health.Hysteresis.Transition;
import io.dsha.api.report.Observation;
import io.dsha.api.report.ObservedStatus;
import io.dsha.api.state.HealthStatus;
import io.dsha.api.topology.HealthCheck;
import io.dsha.api.topology.HealthCheckType;
import io.dsha.health.probe.ProbeResult;
import io.dsha.health.probe.ProbeTarget;
import io.dsha.health.report.Observations;
import io.dsha.health.report.PendingObservations;
import io.vertx.core.Future;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The probe loop driven by hand: exact transitions and exact intervals, no sleeping. */
class ProbeSchedulerTest {

    // interval 1000, fast 250, down 2000, rise 2, fall 3
    private static final HealthCheck CHECK = new HealthCheck(HealthCheckType.TCP, null, null, 1000, 200, 2, 3, null, null, 250, 2000, null);

    private final ManualTimers timers = new ManualTimers();
    private final Deque<Boolean> script = new ArrayDeque<>();
    private final List<ProbeTarget> probed = new ArrayList<>();
    private final List<ProbeOutcome> outcomes = new ArrayList<>();
    // No jitter unless a test asks for it: random 0.5 is the middle of the range.
    private final ProbeScheduler scheduler = new ProbeScheduler(timers, this::probe, timers, () -> 0.5, 0.0, outcomes::add);

    private Future<ProbeResult> probe(ProbeTarget t) {
        probed.add(t);
        boolean ok = script.isEmpty() || script.removeFirst();
        return Future.succeededFuture(ok ? ProbeResult.up(1, null) : ProbeResult.down("connection refused", 1, null));
    }

    private static ProbeTarget target(String id, HealthCheck check) {
        return new ProbeTarget(id, "127.0.0.1", 9000 + id.charAt(0), check, false, "127.0.0.1");
    }

    /** Runs the next probe and returns its outcome. */
    private ProbeOutcome step(boolean ok) {
        script.add(ok);
        int before = outcomes.size();
        timers.advance(timers.nextDue().orElseThrow());
        assertEquals(before + 1, outcomes.size(), "one probe ran");
        return outcomes.get(outcomes.size() - 1);
    }

    @Test
    void firstProbeDecidesThenFallNeedsThreeFailuresProbedFastAndDownIsProbedSlowly() {
        scheduler.apply(List.of(target("a", CHECK)));
        assertEquals(125L, timers.nextDue().orElseThrow(), "the first probe comes within the fast interval");

        ProbeOutcome first = step(true);
        assertEquals(HealthStatus.UP, first.status());
        assertEquals(Transition.CHANGED, first.transition());
        assertEquals(1000, first.nextDelayMs(), "UP and steady: the normal interval");

        assertEquals(List.of(Transition.PENDING, Transition.PENDING), List.of(step(false).transition(), step(false).transition()));
        assertEquals(250, outcomes.get(outcomes.size() - 1).nextDelayMs(), "a change building up is probed at the fast interval");
        assertEquals(HealthStatus.UP, outcomes.get(outcomes.size() - 1).status());

        ProbeOutcome down = step(false);
        assertEquals(Transition.CHANGED, down.transition());
        assertEquals(HealthStatus.DOWN, down.status());
        assertEquals(2000, down.nextDelayMs(), "DOWN: the slow interval");

        ProbeOutcome rising = step(true);
        assertEquals(Transition.PENDING, rising.transition());
        assertEquals(250, rising.nextDelayMs());
        ProbeOutcome up = step(true);
        assertEquals(Transition.CHANGED, up.transition());
        assertEquals(HealthStatus.UP, up.status());
        assertEquals(1000, up.nextDelayMs());
    }

    @Test
    void aResultThatAgreesBreaksARunBuildingUpAgainstTheState() {
        scheduler.apply(List.of(target("a", CHECK)));
        step(true);
        step(false);
        step(false);
        ProbeOutcome back = step(true);
        assertEquals(Transition.UNCHANGED, back.transition());
        assertEquals(1000, back.nextDelayMs());
        assertEquals(Transition.PENDING, step(false).transition(), "the run starts again from one");
        assertEquals(HealthStatus.UP, step(false).status());
    }

    @Test
    void timeBetweenProbesIsTheIntervalsInOrder() {
        scheduler.apply(List.of(target("a", CHECK)));
        for (boolean ok : new boolean[] {true, false, false, false, false, true, true, true}) {
            step(ok);
        }
        // first at 125; then UP 1000, fast 250, fast 250, DOWN 2000, DOWN 2000, fast 250, UP 1000
        assertEquals(125 + 1000 + 250 + 250 + 2000 + 2000 + 250 + 1000, timers.millis());
    }

    @Test
    void jitterSpreadsEachIntervalWithinItsBounds() {
        assertEquals(900, Intervals.jittered(1000, 0.1, 0.0));
        assertEquals(1100, Intervals.jittered(1000, 0.1, 1.0));
        assertEquals(1000, Intervals.jittered(1000, 0.1, 0.5));
        assertEquals(1, Intervals.jittered(1, 0.4, 0.0), "never below 1 ms");

        double[] randoms = {0.0, 0.99};
        int[] i = {0};
        ProbeScheduler jittered = new ProbeScheduler(timers, this::probe, timers, () -> randoms[i[0]++ % 2], 0.2, outcomes::add);
        jittered.apply(List.of(target("j", CHECK)));
        timers.advance(timers.nextDue().orElseThrow());
        long delay = outcomes.get(0).nextDelayMs();
        assertTrue(delay >= 800 && delay <= 1200, "jittered interval " + delay);
        assertEquals(1196, delay);
    }

    @Test
    void aNewTopologyKeepsUnchangedBackendsAndTheirStateAddsNewOnesAndStopsRemovedOnes() {
        scheduler.apply(List.of(target("a", CHECK), target("b", CHECK)));
        timers.advance(125);
        assertEquals(2, outcomes.size());
        timers.advance(1000);
        assertEquals(4, outcomes.size());

        List<String> removed = scheduler.apply(List.of(target("a", CHECK), target("c", CHECK)));

        assertEquals(List.of("b"), removed);
        assertNull(scheduler.state("b"));
        assertEquals(HealthStatus.UP, scheduler.state("a").status(), "a kept its state");
        assertEquals(HealthStatus.UNKNOWN, scheduler.state("c").status());
        probed.clear();
        timers.advance(5000);
        assertTrue(probed.stream().noneMatch(t -> t.backendId().equals("b")), "b is no longer probed");
        assertTrue(probed.stream().anyMatch(t -> t.backendId().equals("c")));
    }

    @Test
    void aBackendWhoseCheckChangedAtTheSameAddressKeepsItsStateInANewLoop() {
        scheduler.apply(List.of(target("a", CHECK)));
        step(true);
        step(false);
        HealthCheck slower = new HealthCheck(HealthCheckType.TCP, null, null, 5000, 200, 2, 3, null, null, 1000, 10000, null);

        scheduler.apply(List.of(target("a", slower)));

        // The state is this checker's vote: an edited interval must not throw away a run of failures nor the UP it saw.
        assertEquals(new io.dsha.api.health.Hysteresis(HealthStatus.UP, 0, 1), scheduler.state("a"));
        assertEquals(1, timers.pending(), "the old loop's timer is gone, the new one is scheduled");
        assertEquals(500L, timers.nextDue().orElseThrow());
        step(false);
        ProbeOutcome third = step(false);
        assertEquals(HealthStatus.DOWN, third.status(), "the third failure in a row, counted across the change, brings it down");
        assertEquals(Transition.CHANGED, third.transition());
    }

    @Test
    void aBackendAtANewAddressStartsAfresh() {
        scheduler.apply(List.of(target("a", CHECK)));
        step(true);

        scheduler.apply(List.of(new ProbeTarget("a", "127.0.0.2", 9000 + 'a', CHECK, false, "127.0.0.2")));

        assertEquals(HealthStatus.UNKNOWN, scheduler.state("a").status(), "a new address is a new instance");
        assertEquals(1, timers.pending());
    }

    @Test
    void probesOfOneBackendNeverOverlap() {
        List<io.vertx.core.Promise<ProbeResult>> open = new ArrayList<>();
        ProbeScheduler slow = new ProbeScheduler(timers, t -> {
            io.vertx.core.Promise<ProbeResult> p = io.vertx.core.Promise.promise();
            open.add(p);
            return p.future();
        }, timers, () -> 0.5, 0.0, outcomes::add);
        slow.apply(List.of(target("a", CHECK)));
        timers.advance(10_000);
        assertEquals(1, open.size(), "no second probe while the first has not completed");
        open.get(0).complete(ProbeResult.up(9000, null));
        assertEquals(1, timers.pending(), "the next probe is scheduled when the previous completes");
    }

    @Test
    void aCoalescedReportCarriesTheCheckersViewAfterRiseAndFall() throws Exception {
        // The reporter is away for three probes: only the newest observation waits. It must carry the change the
        // checker made, since the control plane counts no rise/fall of its own and never sees the earlier failures.
        PendingObservations pending = new PendingObservations(16);
        ProbeScheduler reporting = new ProbeScheduler(timers, this::probe, timers, () -> 0.5, 0.0,
                o -> pending.offer(Observations.of(o, null)));
        reporting.apply(List.of(target("a", CHECK)));
        script.add(true);
        timers.advance(timers.nextDue().orElseThrow());
        pending.acknowledge(pending.await(0));

        for (int i = 0; i < 3; i++) {
            script.add(false);
            timers.advance(timers.nextDue().orElseThrow());
        }

        List<Observation> batch = pending.await(0);
        assertEquals(1, batch.size(), "coalesced: the newest per backend");
        assertEquals(ObservedStatus.DOWN, batch.get(0).status());
        assertEquals(HealthStatus.DOWN, batch.get(0).health(), "fall (3) was met here, and the report says so");

        script.add(false);
        timers.advance(timers.nextDue().orElseThrow());
        script.add(true);
        timers.advance(timers.nextDue().orElseThrow());
        Observation pendingRise = pending.await(0).get(0);
        assertEquals(ObservedStatus.UP, pendingRise.status());
        assertEquals(HealthStatus.DOWN, pendingRise.health(), "one pass of rise 2: still DOWN from here");
    }
}
