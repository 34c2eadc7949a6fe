package io.dsha.health.schedule;

import io.dsha.api.health.Hysteresis;
import io.dsha.health.probe.ProbeResult;
import io.dsha.health.probe.Prober;
import io.dsha.health.probe.ProbeTarget;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;
import org.jboss.logging.Logger;

/**
 * Keeps one probe loop per backend: probe, pass the result through rise/fall hysteresis, schedule
 * the next probe (fast while changing, slow while down, jittered), tell the listener. This is the
 * only place rise/fall is counted: the state it keeps is this checker's vote, reported with every
 * observation and taken as it is by the control plane. A new set of targets adds and removes
 * loops; a backend whose target did not change keeps its loop and its state, and one whose check
 * changed at the same address keeps its state in a new loop. Probes of one backend never overlap: the next is scheduled when the previous completes.
 * Thread-safe; the listener is called outside any lock.
 */
public final class ProbeScheduler {

    private static final Logger LOG = Logger.getLogger(ProbeScheduler.class);

    private final Timers timers;
    private final Prober prober;
    private final Clock clock;
    private final DoubleSupplier random;
    private final double jitter;
    private final Consumer<ProbeOutcome> listener;
    private final Map<String, Loop> loops = new HashMap<>();
    private final Object lock = new Object();

    /** One backend's loop. Mutable, guarded by the scheduler's lock. */
    private static final class Loop {
        final ProbeTarget target;
        Hysteresis state = Hysteresis.INITIAL;
        long timer = -1;
        boolean stopped;

        Loop(ProbeTarget target) {
            this.target = target;
        }
    }

    public ProbeScheduler(Timers timers, Prober prober, Clock clock, DoubleSupplier random, double jitter, Consumer<ProbeOutcome> listener) {
        this.timers = Objects.requireNonNull(timers, "timers");
        this.prober = Objects.requireNonNull(prober, "prober");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.random = Objects.requireNonNull(random, "random");
        if (jitter < 0 || jitter >= 1) {
            throw new IllegalArgumentException("jitter: " + jitter + " (expected: 0 <= jitter < 1)");
        }
        this.jitter = jitter;
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /** Adopts a new set of targets; returns the ids of backends whose loops were removed. */
    public List<String> apply(List<ProbeTarget> targets) {
        synchronized (lock) {
            Map<String, ProbeTarget> wanted = new HashMap<>();
            targets.forEach(t -> wanted.put(t.backendId(), t));
            List<String> removed = loops.keySet().stream().filter(id -> !wanted.containsKey(id) || !wanted.get(id).equals(loops.get(id).target))
                    .sorted().toList();
            Map<String, Hysteresis> kept = new HashMap<>();
            for (String id : removed) {
                Loop old = loops.remove(id);
                stop(old);
                ProbeTarget now = wanted.get(id);
                // This state is the checker's vote: only a new address (a new instance) starts it over, as in the control plane.
                if (now != null && now.host().equalsIgnoreCase(old.target.host()) && now.port() == old.target.port()) {
                    kept.put(id, old.state);
                }
            }
            for (ProbeTarget t : targets) {
                if (!loops.containsKey(t.backendId())) {
                    Loop loop = new Loop(t);
                    loop.state = kept.getOrDefault(t.backendId(), Hysteresis.INITIAL);
                    loops.put(t.backendId(), loop);
                    loop.timer = timers.schedule(Intervals.first(t.check(), random.getAsDouble()), () -> fire(loop));
                    LOG.debugf("Probing %s at %s (%s)", t.backendId(), t.address(), t.check().type());
                }
            }
            return removed.stream().filter(id -> !wanted.containsKey(id)).toList();
        }
    }

    /** This checker's current state of a backend (after hysteresis), or null when it is not probed. */
    public Hysteresis state(String backendId) {
        synchronized (lock) {
            Loop loop = loops.get(backendId);
            return loop == null ? null : loop.state;
        }
    }

    public void stopAll() {
        synchronized (lock) {
            loops.values().forEach(this::stop);
            loops.clear();
        }
    }

    private void stop(Loop loop) {
        loop.stopped = true;
        if (loop.timer >= 0) {
            timers.cancel(loop.timer);
        }
    }

    private void fire(Loop loop) {
        synchronized (lock) {
            if (loop.stopped) {
                return;
            }
            loop.timer = -1;
        }
        prober.probe(loop.target).onComplete(ar -> completed(loop, ar.succeeded() ? ar.result()
                : ProbeResult.down(String.valueOf(ar.cause().getMessage()), 0, null)));
    }

    private void completed(Loop loop, ProbeResult result) {
        ProbeOutcome outcome;
        synchronized (lock) {
            if (loop.stopped) {
                return;
            }
            Hysteresis.Step step = loop.state.observe(result.ok(), loop.target.check().rise(), loop.target.check().fall());
            loop.state = step.next();
            long delay = Intervals.jittered(Intervals.base(loop.target.check(), loop.state), jitter, random.getAsDouble());
            loop.timer = timers.schedule(delay, () -> fire(loop));
            outcome = new ProbeOutcome(loop.target.backendId(), result, loop.state.status(), step.transition(), clock.instant(), delay);
        }
        if (outcome.transition() == Hysteresis.Transition.CHANGED) {
            LOG.infof("%s is %s from here (%s)", outcome.backendId(), outcome.status(), result.ok() ? "probe passed" : result.reason());
        }
        try {
            listener.accept(outcome);
        } catch (RuntimeException e) {
            LOG.warnf(e, "Probe listener failed for %s", outcome.backendId());
        }
    }
}
