package io.dsha.health.crosscheck;

import io.dsha.api.topology.Freshness;
import io.dsha.health.probe.ProbeTarget;
import io.dsha.health.probe.VertxProber;
import io.dsha.health.schedule.Timers;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * The data cross-check: every {@code intervalMs} reads each instance's freshness value, all
 * instances at once, and compares them. The latest comparison is kept for the reports; lag that
 * starts or stops is logged (the control plane records the events). An instance whose value cannot
 * be read has no lag (its probes say whether it is up). Thread-safe.
 */
public final class FreshnessMonitor {

    private static final Logger LOG = Logger.getLogger(FreshnessMonitor.class);

    private final VertxProber http;
    private final Timers timers;
    private final Consumer<Map<String, FreshnessLag>> listener;
    private final AtomicReference<Map<String, FreshnessLag>> latest = new AtomicReference<>(Map.of());
    private final Object lock = new Object();
    private Freshness freshness;
    private List<ProbeTarget> targets = List.of();
    private long timer = -1;
    private long generation;

    public FreshnessMonitor(VertxProber http, Timers timers, Consumer<Map<String, FreshnessLag>> listener) {
        this.http = Objects.requireNonNull(http, "http");
        this.timers = Objects.requireNonNull(timers, "timers");
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /** The latest comparison, by backend id; empty without a freshness check. */
    public Map<String, FreshnessLag> latest() {
        return latest.get();
    }

    /** Adopts the topology's freshness check (null: none) and the backends to compare. */
    public void apply(Freshness next, List<ProbeTarget> nextTargets) {
        synchronized (lock) {
            if (Objects.equals(next, freshness) && nextTargets.equals(targets)) {
                return;
            }
            freshness = next;
            targets = List.copyOf(nextTargets);
            generation++;
            if (timer >= 0) {
                timers.cancel(timer);
                timer = -1;
            }
            if (next == null) {
                latest.set(Map.of());
                return;
            }
            long g = generation;
            timer = timers.schedule(1, () -> round(g));
        }
    }

    public void stop() {
        apply(null, List.of());
    }

    private void round(long g) {
        Freshness f;
        List<ProbeTarget> list;
        synchronized (lock) {
            if (g != generation) {
                return;
            }
            f = freshness;
            list = targets;
        }
        List<Future<Long>> reads = new ArrayList<>();
        for (ProbeTarget t : list) {
            reads.add(http.get(t, f.path(), f.timeoutMs()).map(body -> FreshnessComparison.read(f, body.getBytes()))
                    .onFailure(e -> LOG.debugf("Freshness of %s unreadable: %s", t.backendId(), e.getMessage())));
        }
        Future.join(reads).onComplete(ignored -> {
            Map<String, Long> values = new HashMap<>();
            for (int i = 0; i < list.size(); i++) {
                if (reads.get(i).succeeded()) {
                    values.put(list.get(i).backendId(), reads.get(i).result());
                }
            }
            Map<String, FreshnessLag> lags = FreshnessComparison.compare(f, values);
            Map<String, FreshnessLag> before;
            synchronized (lock) {
                if (g != generation) {
                    return;
                }
                before = latest.getAndSet(Map.copyOf(lags));
                timer = timers.schedule(f.intervalMs(), () -> round(g));
            }
            logChanges(f, before, lags);
            listener.accept(lags);
        });
    }

    private static void logChanges(Freshness f, Map<String, FreshnessLag> before, Map<String, FreshnessLag> after) {
        after.values().forEach(l -> {
            FreshnessLag b = before.get(l.backendId());
            boolean was = b != null && b.lagging();
            if (l.lagging() && !was) {
                LOG.warnf("%s lags %s by %s (allowed: %s)", l.backendId(), l.freshest(), f.describeLag(l.lag()), f.describeLag(f.maxLag()));
            } else if (!l.lagging() && was) {
                LOG.infof("%s has caught up (lag %s)", l.backendId(), f.describeLag(l.lag()));
            }
        });
    }
}
