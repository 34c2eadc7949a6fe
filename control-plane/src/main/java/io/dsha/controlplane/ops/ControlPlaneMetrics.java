package io.dsha.controlplane.ops;

import io.dsha.api.event.Event;
import io.dsha.api.event.EventType;
import io.dsha.api.report.Report;
import io.dsha.api.state.HealthStatus;
import io.dsha.api.state.Verdict;
import io.dsha.api.state.VerdictFlag;
import io.dsha.controlplane.ControlPlane;
import io.dsha.controlplane.store.Published;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Prometheus metrics: {@code dsha_revision}, {@code dsha_backend_verdict{backend,status}} (1 for the
 * current verdict, 0 for the others), {@code dsha_failovers_total}, {@code dsha_failbacks_total},
 * {@code dsha_events_total{type}}, {@code dsha_reports_received_total{source}}, {@code dsha_watchers},
 * {@code dsha_backend_degraded{backend}} (1 while the verdict is flagged DEGRADED),
 * {@code dsha_backend_lag{backend}} (the data lag in the verdict, for a topology with a freshness
 * check; refreshed with each revision), {@code dsha_controlplane_store_write_failures_total} (writes of
 * the state directory that failed: the change was refused, or a journal could not be started over).
 */
@Singleton
public class ControlPlaneMetrics {

    private final MeterRegistry registry;
    private final ControlPlane controlPlane;
    private final MultiGauge verdicts;
    private final MultiGauge degraded;
    private final MultiGauge lags;
    private final Map<EventType, Counter> events = new EnumMap<>(EventType.class);
    private final Counter failovers;
    private final Counter failbacks;
    private final Counter writeFailures;
    private long lastSeq;
    /** What the verdict gauges show now, to leave them alone when a change did not move it. */
    private Map<String, GaugedVerdict> gauged = Map.of();

    private record GaugedVerdict(HealthStatus status, boolean degraded, Long lag) {
    }

    ControlPlaneMetrics(MeterRegistry registry, ControlPlane controlPlane) {
        this.registry = registry;
        this.controlPlane = controlPlane;
        this.verdicts = MultiGauge.builder("dsha.backend.verdict")
                .description("1 for the backend's current verdict, 0 for the other statuses")
                .register(registry);
        this.degraded = MultiGauge.builder("dsha.backend.degraded").description("1 while the backend's verdict is flagged DEGRADED")
                .register(registry);
        this.lags = MultiGauge.builder("dsha.backend.lag").description("How far the backend's data is behind the freshest instance")
                .register(registry);
        this.failovers = Counter.builder("dsha.failovers").description("Traffic moved away from a backend that stopped serving").register(registry);
        this.failbacks = Counter.builder("dsha.failbacks").description("Traffic moved back to a preferred backend").register(registry);
        for (EventType type : EventType.values()) {
            events.put(type, Counter.builder("dsha.events").tag("type", type.name()).description("Events recorded, by type").register(registry));
        }
        Gauge.builder("dsha.revision", controlPlane, cp -> cp.current().revision()).description("Current state revision").register(registry);
        Gauge.builder("dsha.topology.revision", controlPlane, cp -> cp.current().topologyRevision())
                .description("Revision at which the topology last changed").register(registry);
        Gauge.builder("dsha.watchers", controlPlane, cp -> cp.store().watchers()).description("Watch requests waiting for a change").register(registry);
        this.writeFailures = Counter.builder("dsha.controlplane.store.write.failures")
                .description("Writes of the state directory that failed (full disk, I/O error); readiness is DOWN until one succeeds")
                .register(registry);
    }

    void start(@Observes StartupEvent event) {
        Published p = controlPlane.current();
        lastSeq = p.lastEventSeq();
        updateVerdicts(p);
        controlPlane.store().addListener(this::published);
        controlPlane.store().addWriteFailureListener(f -> writeFailures.increment());
    }

    public void reportReceived(Report report) {
        registry.counter("dsha.reports.received", "source", report.source().name()).increment();
        registry.counter("dsha.observations.received", "source", report.source().name()).increment(report.observations().size());
    }

    private synchronized void published(Published p) {
        List<Event> fresh = new ArrayList<>();
        for (Event e : p.events()) {
            if (e.seq() <= lastSeq) {
                break;
            }
            fresh.add(e);
        }
        lastSeq = Math.max(lastSeq, p.lastEventSeq());
        for (Event e : fresh) {
            events.get(e.type()).increment();
            if (e.type() == EventType.FAILOVER) {
                failovers.increment();
            } else if (e.type() == EventType.FAILBACK) {
                failbacks.increment();
            }
        }
        updateVerdicts(p);
    }

    private void updateVerdicts(Published p) {
        // The snapshot's verdicts: on a replica that follows another's writes, those the writer published.
        List<Verdict> verdictsNow = p.snapshot().verdicts();
        Map<String, GaugedVerdict> now = new java.util.HashMap<>();
        for (Verdict h : verdictsNow) {
            now.put(h.backendId(), new GaugedVerdict(h.status(), h.flags().contains(VerdictFlag.DEGRADED), h.lag()));
        }
        if (now.equals(gauged)) {
            // Most changes (an admin state, a mode) leave the verdicts as they were: re-registering every row is wasted work.
            return;
        }
        gauged = now;
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        for (Verdict h : verdictsNow) {
            for (HealthStatus s : HealthStatus.values()) {
                rows.add(MultiGauge.Row.of(Tags.of("backend", h.backendId(), "status", s.name()), h.status() == s ? 1 : 0));
            }
        }
        verdicts.register(rows, true);
        List<MultiGauge.Row<?>> flagged = new ArrayList<>();
        List<MultiGauge.Row<?>> lagRows = new ArrayList<>();
        for (Verdict h : verdictsNow) {
            flagged.add(MultiGauge.Row.of(Tags.of("backend", h.backendId()), h.flags().contains(VerdictFlag.DEGRADED) ? 1 : 0));
            if (h.lag() != null) {
                lagRows.add(MultiGauge.Row.of(Tags.of("backend", h.backendId()), h.lag()));
            }
        }
        degraded.register(flagged, true);
        lags.register(lagRows, true);
    }
}
