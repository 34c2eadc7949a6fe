package io.dsha.proxy.report;

import io.dsha.api.report.Observation;
import io.dsha.api.report.ObservedStatus;
import io.dsha.api.report.Report;
import io.dsha.api.report.ReportSource;
import io.dsha.client.ControlPlaneClient;
import io.vertx.core.Vertx;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * Tells the control plane what real traffic saw: failures are collected (the latest per backend)
 * and sent as one PROXY report at most every {@code flushMs}. Best effort: when the control plane
 * is away, observations are dropped rather than queued without bound.
 */
public final class PassiveReporter {

    private static final Logger LOG = Logger.getLogger(PassiveReporter.class);

    private record Seen(String reason, Instant at) {
    }

    private final ControlPlaneClient client;
    private final String reporterId;
    private final Map<String, Seen> pending = new ConcurrentHashMap<>();
    private long timer = -1;

    public PassiveReporter(ControlPlaneClient client, String reporterId) {
        this.client = client;
        this.reporterId = reporterId;
    }

    public void start(Vertx vertx, long flushMs) {
        timer = vertx.setPeriodic(flushMs, id -> flush());
    }

    public void stop(Vertx vertx) {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }

    /** Records a failure of {@code backendId}; thread-safe, never blocks. */
    public void observe(String backendId, String reason) {
        pending.put(backendId, new Seen(reason, Instant.now()));
    }

    void flush() {
        if (pending.isEmpty()) {
            return;
        }
        List<Observation> batch = new ArrayList<>();
        for (String id : List.copyOf(pending.keySet())) {
            Seen s = pending.remove(id);
            if (s != null) {
                batch.add(Observation.of(id, ObservedStatus.DOWN, truncate(s.reason()), null, s.at()));
            }
        }
        client.post("/api/v1/reports", new Report(ReportSource.PROXY, reporterId, batch), 5_000)
                .onSuccess(r -> {
                    if (r.status() != 202) {
                        LOG.warnf("The control plane refused a passive report (%d): %s", r.status(), r.body());
                    }
                })
                .onFailure(e -> LOG.debugf("Passive report not delivered: %s", e.getMessage()));
    }

    private static String truncate(String s) {
        return s.length() <= 500 ? s : s.substring(0, 500);
    }
}
