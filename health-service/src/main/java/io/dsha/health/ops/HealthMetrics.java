package io.dsha.health.ops;

import io.dsha.health.crosscheck.FreshnessLag;
import io.dsha.health.report.PendingObservations;
import io.dsha.health.report.Reporter;
import io.dsha.health.schedule.ProbeOutcome;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.dsha.api.state.HealthStatus;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The checker's metrics: {@code dsha_health_probes_total{backend,result}},
 * {@code dsha_health_probe_seconds{backend}}, {@code dsha_health_backend_up{backend}} (this
 * checker's view after hysteresis), {@code dsha_health_certificate_days_to_expiry{backend}},
 * {@code dsha_health_freshness_lag{backend}}, {@code dsha_health_reports_total{result}},
 * {@code dsha_health_pending_observations}, {@code dsha_health_observations_dropped_total} (observations
 * refused because the pending buffer was full while the control plane was away).
 */
public final class HealthMetrics implements Reporter.Listener {

    private final MeterRegistry registry;
    private final Map<String, AtomicLong> up = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> certDays = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> lag = new ConcurrentHashMap<>();
    private final Counter sent;
    private final Counter failed;

    public HealthMetrics(MeterRegistry registry, PendingObservations pending) {
        this.registry = registry;
        this.sent = Counter.builder("dsha_health_reports_total").tag("result", "sent").register(registry);
        this.failed = Counter.builder("dsha_health_reports_total").tag("result", "failed").register(registry);
        Gauge.builder("dsha_health_pending_observations", pending, PendingObservations::size).register(registry);
        FunctionCounter.builder("dsha_health_observations_dropped_total", pending, PendingObservations::dropped)
                .description("Observations refused because the pending buffer (dsha.report.max-pending) was full").register(registry);
    }

    public void probe(ProbeOutcome o) {
        String b = o.backendId();
        registry.counter("dsha_health_probes_total", "backend", b, "result", o.result().ok() ? "up" : "down").increment();
        Timer.builder("dsha_health_probe_seconds").tag("backend", b).register(registry).record(o.result().latencyMs(), TimeUnit.MILLISECONDS);
        gauge("dsha_health_backend_up", up, b).set(o.status() == HealthStatus.UP ? 1 : 0);
        if (o.result().certificate() != null && o.result().certificate().notAfter() != null) {
            gauge("dsha_health_certificate_days_to_expiry", certDays, b).set(o.result().certificate().daysToExpiry());
        }
    }

    public void lags(Collection<FreshnessLag> lags) {
        lags.forEach(l -> gauge("dsha_health_freshness_lag", lag, l.backendId()).set(l.lag()));
    }

    /** Drops the meters of backends no longer in the topology. */
    public void forget(Set<String> backendIds) {
        for (String id : backendIds) {
            up.remove(id);
            certDays.remove(id);
            lag.remove(id);
            for (Meter m : registry.find("dsha_health_probes_total").tag("backend", id).meters()) {
                registry.remove(m);
            }
            for (String name : new String[] {"dsha_health_probe_seconds", "dsha_health_backend_up", "dsha_health_certificate_days_to_expiry",
                    "dsha_health_freshness_lag"}) {
                registry.find(name).tag("backend", id).meters().forEach(registry::remove);
            }
        }
    }

    private AtomicLong gauge(String name, Map<String, AtomicLong> values, String backend) {
        return values.computeIfAbsent(backend, id -> {
            AtomicLong v = new AtomicLong();
            Gauge.builder(name, v, AtomicLong::get).tag("backend", id).register(registry);
            return v;
        });
    }

    @Override
    public void sent(int observations) {
        sent.increment();
    }

    @Override
    public void failed(Throwable cause) {
        failed.increment();
    }
}
