package io.dsha.proxy;

import io.dsha.api.traffic.ProxyInfo;
import io.dsha.proxy.balance.BackendAddresses;
import io.dsha.proxy.config.ProxyConfig;
import io.dsha.client.ControlPlaneClient;
import io.dsha.client.ControlPlaneUrls;
import io.dsha.proxy.follow.RoutingFollower;
import io.dsha.proxy.follow.RoutingState;
import io.dsha.proxy.http.DataPath;
import io.dsha.proxy.ingest.Ingest;
import io.dsha.proxy.listener.TlsMaterial;
import io.dsha.proxy.ops.AccessLog;
import io.dsha.proxy.ops.ProxyMetrics;
import io.dsha.proxy.report.PassiveReporter;
import io.dsha.proxy.report.TrafficReporter;
import io.dsha.proxy.transport.Transports;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/** Wires the proxy, checks its configuration at start, and shuts it down gracefully. */
@ApplicationScoped
public class ProxyBeans {

    private static final Logger LOG = Logger.getLogger(ProxyBeans.class);

    /** The running proxy's parts. */
    public record Proxy(RoutingState routing, RoutingFollower follower, DataPath path, FrontServer front, PassiveReporter reporter,
            TrafficReporter traffic, BackendAddresses addresses, Ingest ingest) {
    }

    @Produces
    @Singleton
    Proxy proxy(ProxyConfig config, Vertx vertx, RoutingState routing, MeterRegistry registry) {
        Optional<TlsMaterial> tls;
        ControlPlaneUrls urls;
        try {
            urls = ControlPlaneUrls.parse(config.controlPlaneUrl());
            LOG.info(Transports.check(vertx, config.transport().name()));
            if (config.listener().reusePort()) {
                Transports.reusePortAdvice().ifPresent(LOG::info);
            }
            tls = TlsMaterial.from(config);
            if (tls.isPresent()) {
                tls.get().load(vertx);
            }
        } catch (IOException e) {
            LOG.error("Not starting: " + e.getMessage());
            throw new IllegalStateException(e.getMessage(), e);
        } catch (IllegalStateException | IllegalArgumentException e) {
            LOG.error("Not starting: " + e.getMessage());
            throw e;
        }
        if (config.agentToken().isEmpty()) {
            LOG.warn("dsha.agent-token is not set: requests to the control plane carry no token (only a control plane in insecure dev mode accepts them)");
        }
        ControlPlaneClient client = new ControlPlaneClient(vertx, urls, config.agentToken());
        ProxyMetrics metrics = new ProxyMetrics(registry);
        metrics.transport(Transports.inUse(vertx));
        String host = localHostName();
        String proxyId = config.proxyId().orElse(reporterId(host));
        LOG.infof("Reporting to the control plane as %s%s", proxyId, config.proxyId().isPresent() ? "" : " (the host's name; dsha.proxy-id sets another)");
        PassiveReporter reporter = new PassiveReporter(client, proxyId);
        DataPath path = new DataPath(config, routing, metrics, reporter);
        path.accessLog(accessLog(config, registry));
        FrontServer front = new FrontServer(vertx, path, config, tls);
        RoutingFollower follower = new RoutingFollower(vertx, routing, client, Path.of(config.stateDir()));
        TrafficReporter traffic = new TrafficReporter(client, proxyId, metrics::servedTotals, System::nanoTime,
                () -> new ProxyInfo(host, front.listening() ? front.scheme() + "://" + front.host() + ":" + front.port() : null,
                        ProxyReadiness.ready(routing, front, path), path.shuttingDown()));
        BackendAddresses addresses = new BackendAddresses(vertx, routing::targets, config.dnsRefresh());
        Ingest ingest;
        Path ingestDir = Path.of(config.stateDir()).resolve("ingest");
        try {
            ingest = Ingest.open(vertx, ingestDir, config.ingestWindow(), routing::targets, registry);
        } catch (IOException | RuntimeException e) {
            LOG.errorf("Not starting: cannot open the ingest journal in %s: %s", ingestDir, e.getMessage());
            throw new IllegalStateException("cannot open the ingest journal in " + ingestDir + ": " + e.getMessage(), e);
        }
        path.ingest(ingest);
        traffic.backlogs(ingest::backlogs);
        return new Proxy(routing, follower, path, front, reporter, traffic, addresses, ingest);
    }

    void start(@Observes StartupEvent event, Proxy proxy, Vertx vertx) {
        proxy.routing().addListener(table -> proxy.addresses().newNames());
        proxy.addresses().start();
        proxy.routing().addListener(proxy.front()::onTable);
        proxy.routing().addListener(proxy.ingest()::onTable);
        proxy.routing().addListener(proxy.path().metrics()::routing);
        proxy.reporter().start(vertx, 500);
        proxy.traffic().start(vertx, 2_000);
        proxy.follower().start();
    }

    /**
     * SIGTERM: readiness goes down and every response says {@code Connection: close} (idle keep-alive connections
     * are closed, HTTP/2 ones sent a GOAWAY); after {@code dsha.shutdown.delay} the listener stops accepting (a
     * proxy bound beside this one takes the new connections); in-flight requests and passthrough sessions get up
     * to {@code dsha.shutdown.grace} to finish; what is left then is closed.
     */
    void stop(@Observes ShutdownEvent event, Proxy proxy, ProxyConfig config, Vertx vertx) {
        proxy.path().beginShutdown();
        long delay = config.shutdownDelay().toMillis();
        LOG.infof("Shutting down: not ready any more; %s, then up to %s for %d requests or sessions in flight",
                delay > 0 ? "accepting for " + config.shutdownDelay().toMillis() + " ms more" : "not accepting",
                config.shutdownGrace(), proxy.path().inFlight());
        if (delay > 0) {
            pause(delay);
        }
        proxy.path().turnAway();
        proxy.front().stopAccepting().toCompletionStage().toCompletableFuture().orTimeout(5, TimeUnit.SECONDS).exceptionally(e -> null).join();
        long deadline = System.nanoTime() + config.shutdownGrace().toNanos();
        while (proxy.path().inFlight() > 0 && System.nanoTime() < deadline && pause(20)) {
            // in-flight requests and passthrough sessions finish
        }
        if (proxy.path().inFlight() > 0) {
            LOG.warnf("Shutting down with %d requests or sessions still in flight after %s", proxy.path().inFlight(), config.shutdownGrace());
        }
        proxy.follower().stop();
        proxy.reporter().stop(vertx);
        proxy.traffic().stop(vertx);
        proxy.addresses().stop();
        proxy.ingest().close();
        if (proxy.path().accessLog() != null) {
            proxy.path().accessLog().close();
        }
        proxy.front().stop().toCompletionStage().toCompletableFuture().orTimeout(5, TimeUnit.SECONDS).exceptionally(e -> null).join();
    }

    /** The access log the configuration asks for, or null when it is off; a file that cannot be opened stops the start. */
    private static AccessLog accessLog(ProxyConfig config, MeterRegistry registry) {
        ProxyConfig.AccessLogConfig settings = config.accessLog();
        if (!settings.enabled()) {
            return null;
        }
        Path file = settings.file().map(Path::of).orElse(null);
        try {
            AccessLog log = new AccessLog(settings.format(), file, settings.bufferBytes());
            log.register(registry);
            LOG.infof("Access log: %s, to %s", settings.format().name().toLowerCase(java.util.Locale.ROOT), log.destination());
            return log;
        } catch (IOException e) {
            LOG.errorf("Not starting: cannot open the access log dsha.access-log.file=%s: %s", file, e.getMessage());
            throw new IllegalStateException("cannot open the access log " + file + ": " + e.getMessage(), e);
        }
    }

    /** This host's name, as the control plane's list of proxies shows it (looked up once, at start). */
    private static String localHostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            String env = System.getenv("HOSTNAME");
            return env == null || env.isBlank() ? "unknown" : env;
        }
    }

    /** A host name as a reporter id: letters, digits, '.', '_', ':', '@' and '-', at most 128, starting with a letter or digit. */
    static String reporterId(String host) {
        String id = host.replaceAll("[^A-Za-z0-9._:@-]", "-").replaceFirst("^[^A-Za-z0-9]+", "");
        id = id.length() > 128 ? id.substring(0, 128) : id;
        return id.isEmpty() ? "proxy" : id;
    }

    /** Waits (on the shutdown thread); false when interrupted. */
    private static boolean pause(long millis) {
        try {
            TimeUnit.MILLISECONDS.sleep(millis);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
