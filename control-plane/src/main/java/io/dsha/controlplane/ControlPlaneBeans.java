package io.dsha.controlplane;

import io.dsha.controlplane.decision.DecisionEngine;
import io.dsha.controlplane.topology.TopologyValidator;
import io.dsha.controlplane.traffic.IngestWatch;
import io.dsha.controlplane.traffic.TrafficBoard;
import io.quarkus.arc.DefaultBean;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import io.quarkus.vertx.http.HttpServer;
import io.quarkus.vertx.http.HttpServerStart;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.ObservesAsync;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import jakarta.validation.Validator;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.ConfigProvider;
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

    /** One control plane, or a replica of several on etcd (then elected, once the API listens). */
    @Produces
    @Singleton
    Replication replication(ControlPlaneConfig config, Vertx vertx) {
        try {
            Replication replication = StoreChoice.replication(config, vertx, self(config));
            int port = ConfigProvider.getConfig().getOptionalValue("quarkus.http.port", Integer.class).orElse(8080);
            if (replication.replicated() && port == 0 && config.advertiseUrl().isEmpty()) {
                replication.close();
                throw new IllegalArgumentException("dsha.store=etcd with quarkus.http.port=0 needs dsha.advertise-url: the other control "
                        + "planes forward changes to the leader's URL, and a port picked at start cannot be told to them");
            }
            return replication;
        } catch (RuntimeException e) {
            throw refuse(e);
        }
    }

    @Produces
    @Singleton
    ControlPlane controlPlane(ControlPlaneConfig config, Clock clock, TopologyValidator validator, Replication replication,
            TrafficBoard board) {
        ControlPlane cp;
        try {
            cp = new ControlPlane(StoreChoice.opener(config, validator, replication),
                    new DecisionEngine(clock, config.checkerLivenessIntervals(), board::backlogRecords), validator);
        } catch (RuntimeException e) {
            throw refuse(e);
        }
        if (!replication.replicated()) {
            // Several control planes: the first to lead seeds an empty state (every write is its leader's).
            try {
                config.topologyFile().map(Path::of).ifPresent(cp::seedIfEmpty);
            } catch (RuntimeException e) {
                cp.close();
                throw refuse(e);
            }
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

    /** The ingest backlogs' events, from the board: checked on each traffic report and on each tick (a proxy falls silent). */
    @Produces
    @Singleton
    IngestWatch ingestWatch(TrafficBoard board, Clock clock) {
        return new IngestWatch(board, clock);
    }

    /**
     * This control plane before it listens: its id ({@code dsha.replica-id}, or the host's name and the process id), when
     * the process started, and the build's version ({@code quarkus.application.version}, the Maven project's by default).
     */
    private static Replication.Member self(ControlPlaneConfig config) {
        String id = config.replicaId().map(String::trim).orElseGet(() -> hostName() + "-" + ProcessHandle.current().pid());
        if (id.isEmpty() || id.contains("/")) {
            throw new IllegalArgumentException("dsha.replica-id: '" + id + "' (expected: a name without '/', e.g. cp-1)");
        }
        Instant started = ProcessHandle.current().info().startInstant().orElseGet(Instant::now).truncatedTo(ChronoUnit.MILLIS);
        String version = ConfigProvider.getConfig().getOptionalValue("quarkus.application.version", String.class)
                .or(() -> Optional.ofNullable(ControlPlaneBeans.class.getPackage().getImplementationVersion())).orElse("unknown");
        return new Replication.Member(id, null, started.toString(), version);
    }

    /** Says why the service will not start in one plain line, ahead of Quarkus's own report and stack trace. */
    static RuntimeException refuse(RuntimeException e) {
        LOG.error("Not starting: " + e.getMessage());
        return e;
    }

    void close(@Disposes ControlPlane cp, Replication replication) {
        cp.close();
        replication.close();
    }

    /**
     * Once the API listens (its port is known): this control plane knows its URL and, when it is one of several, registers
     * among the members and becomes a candidate to lead.
     */
    void listening(@ObservesAsync HttpServerStart started, HttpServer server, Replication replication, ControlPlane cp, ControlPlaneConfig config) {
        int port = server.getPort() > 0 ? server.getPort() : started.options().getPort(); // the first knows a port picked at start
        String host = started.options().getHost();
        if (host == null || host.equals("0.0.0.0") || host.equals("::")) {
            host = hostName();
        }
        String url = config.advertiseUrl().orElse("http://" + host + ":" + port);
        replication.start(url, role -> {
            if (role.kind() == io.dsha.etcd.Role.Kind.LEADER && config.topologyFile().isPresent()) {
                seeder.execute(() -> {
                    try {
                        cp.seedIfEmpty(Path.of(config.topologyFile().get()));
                    } catch (RuntimeException e) {
                        LOG.errorf("The topology file %s could not seed the state: %s", config.topologyFile().get(), e.getMessage());
                    }
                });
            }
        });
    }

    /** Seeds off the election's event loop (a write waits for etcd). */
    private final java.util.concurrent.ExecutorService seeder = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "dsha-seed");
        t.setDaemon(true);
        return t;
    });

    private static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            return "localhost";
        }
    }

    void start(@Observes StartupEvent event, AccessPolicy access, ControlPlane cp, ControlPlaneConfig config, Replication replication,
            IngestWatch ingest) {
        long period = Math.max(10, config.tickInterval().toMillis());
        ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "dsha-decision-tick");
            t.setDaemon(true);
            return t;
        });
        ticker.scheduleWithFixedDelay(() -> {
            try {
                if (replication.decides()) {
                    ingest.observe(cp::tick);
                    cp.tick();
                }
            } catch (io.dsha.controlplane.store.NotLeader e) {
                LOG.debugf("Time-driven re-evaluation not written: %s", e.getMessage()); // the lead ended: the election's log says why
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
