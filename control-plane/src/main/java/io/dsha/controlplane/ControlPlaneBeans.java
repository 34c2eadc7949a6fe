package io.dsha.controlplane;

import io.dsha.controlplane.decision.DecisionEngine;
import io.dsha.controlplane.topology.TopologyValidator;
import io.dsha.controlplane.traffic.TrafficBoard;
import io.quarkus.arc.DefaultBean;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import jakarta.validation.Validator;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/** Wires the plain-Java control plane into Quarkus, opens the state at start, and ticks the clock-driven decisions. */
@ApplicationScoped
public class ControlPlaneBeans {

    private static final Logger LOG = Logger.getLogger(ControlPlaneBeans.class);

    private ScheduledExecutorService ticker;

    @Produces
    @Singleton
    @DefaultBean
    Clock clock() {
        return Clock.systemUTC();
    }

    @Produces
    @Singleton
    TopologyValidator topologyValidator(Validator validator) {
        return new TopologyValidator(validator);
    }

    @Produces
    @Singleton
    ControlPlane controlPlane(ControlPlaneConfig config, Clock clock, TopologyValidator validator, Vertx vertx) {
        ControlPlane cp;
        try {
            cp = new ControlPlane(StoreChoice.opener(config, validator, vertx), new DecisionEngine(clock, config.checkerLivenessIntervals()),
                    validator);
        } catch (RuntimeException e) {
            throw refuse(e);
        }
        try {
            config.topologyFile().map(Path::of).ifPresent(cp::seedIfEmpty);
        } catch (RuntimeException e) {
            cp.close();
            throw refuse(e);
        }
        LOG.infof("State %s at revision %d", cp.store().location(), cp.current().revision());
        return cp;
    }

    /** The proxies' request rates: a proxy reports every 2 s; one silent for 10 s no longer counts. */
    @Produces
    @Singleton
    TrafficBoard trafficBoard(Clock clock) {
        return new TrafficBoard(clock, Duration.ofSeconds(10));
    }

    /** Says why the service will not start in one plain line, ahead of Quarkus's own report and stack trace. */
    static RuntimeException refuse(RuntimeException e) {
        LOG.error("Not starting: " + e.getMessage());
        return e;
    }

    void close(@Disposes ControlPlane cp) {
        cp.close();
    }

    void start(@Observes StartupEvent event, AccessPolicy access, ControlPlane cp, ControlPlaneConfig config) {
        long period = Math.max(10, config.tickInterval().toMillis());
        ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "dsha-decision-tick");
            t.setDaemon(true);
            return t;
        });
        ticker.scheduleWithFixedDelay(() -> {
            try {
                cp.tick();
            } catch (RuntimeException e) {
                LOG.warnf("Time-driven re-evaluation failed (will retry): %s", e.getMessage());
            }
        }, period, period, TimeUnit.MILLISECONDS);
    }

    void stop(@Observes ShutdownEvent event) {
        if (ticker != null) {
            ticker.shutdownNow();
        }
    }
}
