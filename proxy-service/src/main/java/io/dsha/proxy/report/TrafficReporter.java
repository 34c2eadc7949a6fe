package io.dsha.proxy.report;

import io.dsha.api.traffic.BackendTraffic;
import io.dsha.api.traffic.IngestBacklog;
import io.dsha.api.traffic.ProxyInfo;
import io.dsha.api.traffic.TrafficReport;
import io.dsha.client.ControlPlaneClient;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * Tells the control plane how much each backend serves through this proxy: every period, the
 * requests (or relayed connections) per second since the previous report, and what the proxy says of
 * itself (host, listener, readiness), for the operators' status page and {@code GET /api/v1/proxies}. Best effort and never on the data path: a report that does not arrive is dropped,
 * the next one carries the rate of its own window.
 */
public final class TrafficReporter {

    private static final Logger LOG = Logger.getLogger(TrafficReporter.class);

    private final ControlPlaneClient client;
    private final String reporterId;
    private final Supplier<Map<String, Double>> totals;
    private final LongSupplier nanoTime;
    private final Supplier<ProxyInfo> self;
    private volatile Supplier<Map<String, IngestBacklog>> backlogs = Map::of;
    private Map<String, Double> last = Map.of();
    private long lastAt;
    private long timer = -1;

    /**
     * @param totals what each backend served since start (it only grows)
     * @param self what the proxy says of itself in each report (host, listener, readiness)
     */
    public TrafficReporter(ControlPlaneClient client, String reporterId, Supplier<Map<String, Double>> totals, LongSupplier nanoTime,
            Supplier<ProxyInfo> self) {
        this.client = client;
        this.reporterId = reporterId;
        this.totals = totals;
        this.nanoTime = nanoTime;
        this.self = self;
    }

    /** Each backend's ingest backlog, sent with its traffic (proxies with ingest routes). */
    public void backlogs(Supplier<Map<String, IngestBacklog>> backlogs) {
        this.backlogs = backlogs;
    }

    public void start(Vertx vertx, long periodMs) {
        last = Map.copyOf(totals.get());
        lastAt = nanoTime.getAsLong();
        timer = vertx.setPeriodic(periodMs, id -> send());
    }

    public void stop(Vertx vertx) {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }

    /** The rates since the previous call, per backend; the window restarts. Called on one thread (the timer's). */
    TrafficReport next() {
        Map<String, Double> now = Map.copyOf(totals.get());
        long at = nanoTime.getAsLong();
        double seconds = Math.max(1e-3, (at - lastAt) / 1e9);
        List<BackendTraffic> backends = new ArrayList<>();
        Map<String, IngestBacklog> ingest = backlogs.get();
        java.util.SortedSet<String> ids = new java.util.TreeSet<>(now.keySet());
        ids.addAll(ingest.keySet());
        for (String id : ids) {
            double served = Math.max(0, now.getOrDefault(id, 0.0) - last.getOrDefault(id, 0.0));
            backends.add(new BackendTraffic(id, Math.round(served / seconds * 10) / 10.0, ingest.get(id)));
        }
        last = now;
        lastAt = at;
        return new TrafficReport(reporterId, backends, self.get());
    }

    private void send() {
        client.post("/api/v1/traffic", next(), 5_000)
                .onSuccess(r -> {
                    if (r.status() != 204) {
                        LOG.debugf("The control plane did not take the traffic report (%d): %s", r.status(), r.body());
                    }
                })
                .onFailure(e -> LOG.debugf("Traffic report not delivered: %s", e.getMessage()));
    }
}
