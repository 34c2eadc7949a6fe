package io.dsha.proxy.http;

import io.dsha.proxy.ProxyConfig;
import io.dsha.proxy.balance.Target;
import io.dsha.proxy.follow.RoutingState;
import io.dsha.proxy.ops.ProxyMetrics;
import io.dsha.proxy.report.PassiveReporter;
import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;
import org.jboss.logging.Logger;

/**
 * What every event loop of the data path shares: the settings (read once), the routing state,
 * metrics, the passive reporter and the in-flight count. Thread-safe.
 */
public final class DataPath {

    private static final Logger LOG = Logger.getLogger(DataPath.class);
    private static final Logger ACCESS = Logger.getLogger("dsha.access");

    final RoutingState routing;
    final ProxyMetrics metrics;

    public ProxyMetrics metrics() {
        return metrics;
    }
    final PassiveReporter reporter;
    final ProxyConfig.BalancePolicy policy;
    final int maxAttempts;
    final boolean retryOnTimeout;
    final long connectTimeoutMs;
    final long firstByteTimeoutMs;
    final long idleTimeoutMs;
    final long requestTimeoutMs;
    final long maxBodyBytes;
    final int retryBufferBytes;
    final int maxHeaderBytes;
    final int poolSize;
    final Duration ejectionBase;
    final Duration ejectionMax;
    final boolean accessLog;
    final LongAdder inFlight = new LongAdder();
    volatile boolean shuttingDown;

    public DataPath(ProxyConfig config, RoutingState routing, ProxyMetrics metrics, PassiveReporter reporter) {
        this.routing = routing;
        this.metrics = metrics;
        this.reporter = reporter;
        this.policy = config.balance().policy();
        this.maxAttempts = config.balance().maxAttempts();
        this.retryOnTimeout = config.balance().retryOnTimeout();
        this.poolSize = config.balance().poolSize();
        this.connectTimeoutMs = config.timeouts().connect().toMillis();
        this.firstByteTimeoutMs = config.timeouts().firstByte().toMillis();
        this.idleTimeoutMs = config.timeouts().idle().toMillis();
        this.requestTimeoutMs = config.timeouts().request().toMillis();
        this.maxBodyBytes = config.limits().maxBodyBytes();
        this.retryBufferBytes = config.limits().retryBufferBytes();
        this.maxHeaderBytes = config.limits().maxHeaderBytes();
        this.ejectionBase = config.ejection().base();
        this.ejectionMax = config.ejection().max();
        this.accessLog = config.accessLog();
    }

    public RoutingState routing() {
        return routing;
    }

    public ProxyConfig.BalancePolicy policy() {
        return policy;
    }

    public int maxAttempts() {
        return maxAttempts;
    }

    public long connectTimeoutMs() {
        return connectTimeoutMs;
    }

    /** A connection or request is now in flight; graceful shutdown waits for it. */
    public void begin() {
        inFlight.increment();
    }

    public void end() {
        inFlight.decrement();
    }

    public long inFlight() {
        return inFlight.sum();
    }

    public boolean shuttingDown() {
        return shuttingDown;
    }

    public void beginShutdown() {
        shuttingDown = true;
    }

    /** A backend failed on real traffic: set it aside locally, count it, tell the control plane. */
    public void failed(Target target, String reason) {
        Duration backoff = target.eject(System.nanoTime(), ejectionBase, ejectionMax);
        if (backoff.isZero()) {
            reporter.observe(target.id(), reason + " (already ejected locally)");
            return;
        }
        metrics.ejected(target.id());
        // Once per ejection, not per failed request: the requests in flight when it failed add nothing.
        LOG.infof("Backend %s (%s:%d) failed on traffic (%s): set aside locally for %d ms", target.id(), target.host(), target.port(),
                reason, backoff.toMillis());
        reporter.observe(target.id(), reason + " (ejected locally for " + backoff.toMillis() + " ms)");
    }

    /** One access log line; {@code path} may carry its query, which is not logged. */
    void access(String client, String method, String path, int status, String backend, long startNanos, int retries) {
        if (accessLog) {
            int query = path.indexOf('?');
            if (query >= 0) {
                path = path.substring(0, query);
            }
            ACCESS.infof("%s %s %s %d %s %dms retries=%d", client, method, path, status, backend == null ? "-" : backend,
                    (System.nanoTime() - startNanos) / 1_000_000, retries);
        }
    }
}
