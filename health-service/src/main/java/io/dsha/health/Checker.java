package io.dsha.health;

import io.dsha.api.state.StateSnapshot;
import io.dsha.api.topology.Backend;
import io.dsha.api.topology.HealthCheckType;
import io.dsha.api.topology.Topology;
import io.dsha.client.ControlPlaneFollower;
import io.dsha.health.cert.ListenerCheck;
import io.dsha.health.crosscheck.FreshnessLag;
import io.dsha.health.crosscheck.FreshnessMonitor;
import io.dsha.health.ops.HealthMetrics;
import io.dsha.health.probe.ProbeTarget;
import io.dsha.health.report.ControlPlaneLink;
import io.dsha.health.report.Observations;
import io.dsha.health.report.PendingObservations;
import io.dsha.health.report.Reporter;
import io.dsha.health.schedule.ProbeOutcome;
import io.dsha.health.schedule.ProbeScheduler;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * One running checker: follows the topology, probes every backend, cross-checks their data, and
 * reports. The parts are built by {@link HealthBeans}; this class only routes between them.
 */
public final class Checker {

    private static final Logger LOG = Logger.getLogger(Checker.class);

    private final String checkerId;
    private final Map<String, String> overrides;
    private final ControlPlaneLink link;
    private final PendingObservations pending;
    private volatile ProbeScheduler scheduler;
    private volatile FreshnessMonitor freshness;
    private volatile Reporter reporter;
    private volatile ControlPlaneFollower follower;
    private volatile HealthMetrics metrics;
    private volatile ListenerCheck listenerCheck;

    public Checker(String checkerId, Map<String, String> overrides, ControlPlaneLink link, PendingObservations pending) {
        this.checkerId = checkerId;
        this.overrides = Map.copyOf(overrides);
        this.link = link;
        this.pending = pending;
    }

    void wire(ProbeScheduler s, FreshnessMonitor f, Reporter r, ControlPlaneFollower t, HealthMetrics m, ListenerCheck l) {
        this.listenerCheck = l;
        this.scheduler = s;
        this.freshness = f;
        this.reporter = r;
        this.follower = t;
        this.metrics = m;
    }

    public String checkerId() {
        return checkerId;
    }

    public ControlPlaneLink link() {
        return link;
    }

    public PendingObservations pending() {
        return pending;
    }

    void start() {
        reporter.start();
        follower.start();
        LOG.infof("Checker %s following the control plane at %s", checkerId, link.url());
    }

    void stop() {
        follower.stop();
        scheduler.stopAll();
        freshness.stop();
        listenerCheck.stop();
        reporter.stop();
    }

    /** A new state from the control plane: probe what its topology lists, nothing else. */
    void adopt(StateSnapshot s) {
        Topology t = s.topology();
        link.topologyReceived();
        List<ProbeTarget> targets = t == null ? List.of() : targets(t, overrides);
        List<String> removed = scheduler.apply(targets);
        freshness.apply(t == null ? null : t.freshness(), targets);
        listenerCheck.apply(t);
        Set<String> ids = targets.stream().map(ProbeTarget::backendId).collect(Collectors.toSet());
        pending.retain(ids);
        if (!removed.isEmpty()) {
            metrics.forget(new HashSet<>(removed));
            LOG.infof("Stopped probing %s (removed from the topology)", String.join(", ", removed));
        }
    }

    void probed(ProbeOutcome o) {
        metrics.probe(o);
        FreshnessLag lag = freshness.latest().get(o.backendId());
        pending.offer(Observations.of(o, lag));
    }

    void compared(Map<String, FreshnessLag> lags) {
        metrics.lags(lags.values());
    }

    /**
     * How this checker probes each backend: at the override address if it has one; TLS for a TLS
     * check, and for an HTTP check that speaks HTTPS; the certificate must name the topology's FQDN
     * (what clients ask for), or the backend's host when there is none.
     */
    static List<ProbeTarget> targets(Topology t, Map<String, String> overrides) {
        return t.backends().stream().map(b -> target(t, b, overrides.get(b.id()))).toList();
    }

    private static ProbeTarget target(Topology t, Backend b, String override) {
        String host = b.host();
        int port = b.port();
        if (override != null) {
            int colon = override.lastIndexOf(':');
            host = override.substring(0, colon).replace("[", "").replace("]", "");
            port = Integer.parseInt(override.substring(colon + 1));
        }
        boolean tls = b.healthCheck().type() == HealthCheckType.TLS || b.healthCheck().https(t.tlsMode());
        String name = t.fqdn() != null ? t.fqdn() : b.host();
        return new ProbeTarget(b.id(), host, port, b.healthCheck(), tls, name);
    }
}
