package io.dsha.health.cert;

import io.dsha.api.report.ListenerObservation;
import io.dsha.api.report.ObservedStatus;
import io.dsha.api.topology.HealthCheck;
import io.dsha.api.topology.HealthCheckType;
import io.dsha.api.topology.TlsMode;
import io.dsha.api.topology.Topology;
import io.dsha.health.probe.ProbeResult;
import io.dsha.health.probe.ProbeTarget;
import io.dsha.health.probe.Prober;
import io.dsha.health.schedule.Timers;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.jboss.logging.Logger;

/**
 * Checks the proxy's own certificate when it terminates TLS (KB376: clients on systems-on-chip
 * refuse self-signed certificates): a TLS handshake with the listener every {@code interval}, the
 * certificate judged like a backend's against the topology's FQDN. The latest finding rides along
 * with every report. The listener is reached at {@code dsha.listener.address}, else at the FQDN
 * and the listener's port, else at the listener's own address unless it is a wildcard.
 */
public final class ListenerCheck {

    private static final Logger LOG = Logger.getLogger(ListenerCheck.class);
    private static final String ID = "listener";
    private static final java.util.Set<String> WILDCARDS = java.util.Set.of("0.0.0.0", "::", "[::]");

    private final Prober prober;
    private final Timers timers;
    private final Clock clock;
    private final Optional<String> address;
    private final Duration interval;
    private final Duration timeout;
    private final AtomicReference<ListenerObservation> latest = new AtomicReference<>();
    private final Object lock = new Object();
    private ProbeTarget target;
    private long timer = -1;
    private long generation;

    public ListenerCheck(Prober prober, Timers timers, Clock clock, Optional<String> address, Duration interval, Duration timeout) {
        this.prober = Objects.requireNonNull(prober, "prober");
        this.timers = Objects.requireNonNull(timers, "timers");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.address = Objects.requireNonNull(address, "address");
        this.interval = Objects.requireNonNull(interval, "interval");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
    }

    /** The latest finding, or null (not TERMINATE, no address to reach, nothing checked yet). */
    public ListenerObservation latest() {
        return latest.get();
    }

    /** Adopts a topology: checks the listener while it terminates TLS, stops otherwise. */
    public void apply(Topology t) {
        ProbeTarget next = t == null ? null : target(t, address, timeout);
        synchronized (lock) {
            if (Objects.equals(next, target)) {
                return;
            }
            target = next;
            generation++;
            if (timer >= 0) {
                timers.cancel(timer);
                timer = -1;
            }
            latest.set(null);
            if (next != null) {
                long g = generation;
                timer = timers.schedule(1, () -> check(g));
                LOG.infof("Checking the proxy's certificate at %s (name %s)", next.address(), next.expectedName());
            }
        }
    }

    public void stop() {
        apply(null);
    }

    static ProbeTarget target(Topology t, Optional<String> address, Duration timeout) {
        if (t.tlsMode() != TlsMode.TERMINATE) {
            return null;
        }
        String host;
        int port;
        if (address.isPresent()) {
            int colon = address.get().lastIndexOf(':');
            host = address.get().substring(0, colon).replace("[", "").replace("]", "");
            port = Integer.parseInt(address.get().substring(colon + 1));
        } else if (t.fqdn() != null) {
            host = t.fqdn();
            port = t.listener().port();
        } else if (!WILDCARDS.contains(t.listener().host())) {
            host = t.listener().host();
            port = t.listener().port();
        } else {
            return null;
        }
        int ms = (int) Math.max(10, Math.min(600_000, timeout.toMillis()));
        HealthCheck check = new HealthCheck(HealthCheckType.TLS, null, null, Math.max(100, ms + 1), ms, 1, 1);
        return new ProbeTarget(ID, host, port, check, true, t.fqdn() != null ? t.fqdn() : host);
    }

    private void check(long g) {
        ProbeTarget t;
        synchronized (lock) {
            if (g != generation) {
                return;
            }
            t = target;
        }
        prober.probe(t).onComplete(ar -> {
            ProbeResult r = ar.succeeded() ? ar.result() : ProbeResult.down(String.valueOf(ar.cause().getMessage()), 0, null);
            var cert = r.certificate();
            ListenerObservation o = new ListenerObservation(r.ok() ? ObservedStatus.UP : ObservedStatus.DOWN, r.reason(),
                    cert == null ? null : cert.problems(), cert == null || cert.notAfter() == null ? null : cert.daysToExpiry(), clock.instant());
            synchronized (lock) {
                if (g != generation) {
                    return;
                }
                ListenerObservation before = latest.getAndSet(o);
                if (before == null || !Objects.equals(before.degraded(), o.degraded())) {
                    if (o.degraded() != null) {
                        LOG.warnf("The proxy's certificate at %s: %s", t.address(), String.join("; ", o.degraded()));
                    } else if (r.ok()) {
                        LOG.infof("The proxy's certificate at %s is fine (%d days to expiry)", t.address(), o.daysToExpiry());
                    }
                }
                timer = timers.schedule(interval.toMillis(), () -> check(g));
            }
        });
    }
}
