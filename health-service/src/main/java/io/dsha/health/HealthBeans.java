package io.dsha.health;

import io.dsha.client.ControlPlaneClient;
import io.dsha.client.ControlPlaneFollower;
import io.dsha.client.ControlPlaneUrls;
import io.dsha.health.cert.CertificateCheck;
import io.dsha.health.cert.ListenerCheck;
import io.dsha.health.crosscheck.FreshnessMonitor;
import io.dsha.health.ops.HealthMetrics;
import io.dsha.health.probe.VertxProber;
import io.dsha.health.report.ControlPlaneLink;
import io.dsha.health.report.PendingObservations;
import io.dsha.health.report.ReportSender;
import io.dsha.health.report.Reporter;
import io.dsha.health.schedule.ProbeScheduler;
import io.dsha.health.schedule.VertxTimers;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;

/** Checks the configuration at start (every problem in one message), wires the checker, starts and stops it. */
@ApplicationScoped
public class HealthBeans {

    private static final Logger LOG = Logger.getLogger(HealthBeans.class);
    private static final Pattern CHECKER_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}");
    private static final Pattern ADDRESS = Pattern.compile("(\\[[0-9A-Fa-f:.]+\\]|[^:\\[\\]]+):([0-9]{1,5})");

    @Produces
    @Singleton
    ControlPlaneClient client(HealthConfig config, Vertx vertx) {
        return new ControlPlaneClient(vertx, checked(config).urls(), config.agentToken());
    }

    @Produces
    @Singleton
    Checker checker(HealthConfig config) {
        Settings s = checked(config);
        return new Checker(s.checkerId(), config.address(), new ControlPlaneLink(s.urls().toString()),
                new PendingObservations(config.report().maxPending()));
    }

    /** What the configuration means once checked. */
    record Settings(ControlPlaneUrls urls, String checkerId, CertificateCheck certificates) {
    }

    private Settings settings;

    synchronized Settings checked(HealthConfig config) {
        if (settings == null) {
            settings = check(config);
        }
        return settings;
    }

    static Settings check(HealthConfig config) {
        List<String> problems = new ArrayList<>();
        ControlPlaneUrls urls = null;
        try {
            urls = ControlPlaneUrls.parse(config.controlPlaneUrl());
        } catch (IllegalArgumentException e) {
            problems.add(e.getMessage());
        }
        String id = config.checkerId().orElseGet(HealthBeans::hostName);
        if (!CHECKER_ID.matcher(id).matches()) {
            problems.add("dsha.checker-id must be 1 to 128 characters of letters, digits, '.', '_', ':', '@' or '-', got '" + id + "'"
                    + (config.checkerId().isEmpty() ? " (the host name; set dsha.checker-id)" : ""));
        }
        config.agentToken().filter(t -> t.length() < 16).ifPresent(t -> problems.add("dsha.agent-token is shorter than 16 characters"));
        if (config.certificate().warnDays() < 0 || config.certificate().warnDays() > 3650) {
            problems.add("dsha.certificate.warn-days must be between 0 and 3650, got " + config.certificate().warnDays());
        }
        if (config.probe().jitter() < 0 || config.probe().jitter() >= 0.5) {
            problems.add("dsha.probe.jitter must be at least 0 and below 0.5, got " + config.probe().jitter());
        }
        if (config.report().retryPause().toMillis() < 1) {
            problems.add("dsha.report.retry-pause must be at least 1ms, got " + config.report().retryPause());
        }
        if (config.report().maxPending() < 1) {
            problems.add("dsha.report.max-pending must be at least 1, got " + config.report().maxPending());
        }
        for (Map.Entry<String, String> e : config.address().entrySet()) {
            var m = ADDRESS.matcher(e.getValue());
            if (!m.matches() || Integer.parseInt(m.group(2)) < 1 || Integer.parseInt(m.group(2)) > 65535) {
                problems.add("dsha.address.\"" + e.getKey() + "\" must be host:port, got " + e.getValue());
            }
        }
        config.listener().address().filter(a -> !ADDRESS.matcher(a).matches())
                .ifPresent(a -> problems.add("dsha.listener.address must be host:port, got " + a));
        if (config.listener().interval().toMillis() < 100 || config.listener().timeout().toMillis() < 10
                || config.listener().timeout().compareTo(config.listener().interval()) >= 0) {
            problems.add("dsha.listener.timeout (" + config.listener().timeout() + ") must be at least 10ms and below dsha.listener.interval ("
                    + config.listener().interval() + "), which must be at least 100ms");
        }
        CertificateCheck certificates = null;
        try {
            certificates = new CertificateCheck(CertificateCheck.trustedCertificates(config.trustStoreFile().map(Path::of),
                    config.trustStorePassword()), Math.max(0, config.certificate().warnDays()), Clock.systemUTC());
        } catch (IOException e) {
            problems.add("dsha.trust-store-file: " + e.getMessage());
        }
        if (!problems.isEmpty()) {
            String message = "invalid configuration: " + String.join("; ", problems);
            LOG.error("Not starting: " + message);
            throw new IllegalStateException(message);
        }
        if (config.agentToken().isEmpty()) {
            LOG.warn("dsha.agent-token is not set: requests to the control plane carry no token (only a control plane in insecure dev mode accepts them)");
        }
        return new Settings(urls, id, certificates);
    }

    private static String hostName() {
        String env = System.getenv("HOSTNAME");
        if (env != null && !env.isBlank()) {
            return env.trim();
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "checker";
        }
    }

    void start(@Observes StartupEvent event, HealthConfig config, Checker checker, Vertx vertx, MeterRegistry registry,
            ControlPlaneClient client) {
        Settings s = checked(config);
        VertxTimers timers = new VertxTimers(vertx);
        VertxProber prober = new VertxProber(vertx, s.certificates());
        HealthMetrics metrics = new HealthMetrics(registry, checker.pending());
        ProbeScheduler scheduler = new ProbeScheduler(timers, prober, Clock.systemUTC(), () -> ThreadLocalRandom.current().nextDouble(),
                config.probe().jitter(), checker::probed);
        FreshnessMonitor freshness = new FreshnessMonitor(prober, timers, checker::compared);
        ListenerCheck listener = new ListenerCheck(prober, timers, Clock.systemUTC(), config.listener().address(), config.listener().interval(),
                config.listener().timeout());
        Reporter reporter = new Reporter(checker.pending(), new ReportSender(client)::send, s.checkerId(), checker.link(), metrics, config.report().retryPause(),
                config.report().routineInterval(), listener::latest);
        // Called on an event loop: adopting a snapshot only swaps the probe plans (in memory, under short locks).
        ControlPlaneFollower follower = new ControlPlaneFollower(vertx, client, config.report().watchTimeout(), checker::adopt,
                new ControlPlaneFollower.Listener() {
                    @Override
                    public void reachable(String url) {
                        checker.link().reachable();
                    }

                    @Override
                    public void unreachable(String url, Throwable cause) {
                        checker.link().unreachable(cause);
                    }
                });
        checker.wire(scheduler, freshness, reporter, follower, metrics, listener);
        checker.start();
    }

    void stop(@Observes ShutdownEvent event, Checker checker) {
        checker.stop();
    }
}
