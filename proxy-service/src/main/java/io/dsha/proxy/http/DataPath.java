package io.dsha.proxy.http;

import io.dsha.proxy.config.ProxyConfig;
import io.dsha.proxy.listener.DataPlane;
import io.dsha.proxy.balance.Target;
import io.dsha.proxy.follow.RoutingState;
import io.dsha.proxy.ops.ProxyMetrics;
import io.dsha.proxy.report.PassiveReporter;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.jboss.logging.Logger;

/**
 * What every event loop of the data path shares: the settings (read once), the routing state,
 * metrics, the passive reporter and the in-flight count. Thread-safe.
 */
public final class DataPath implements DataPlane, RequestBody.Budget {

    private static final Logger LOG = Logger.getLogger(DataPath.class);

    final RoutingState routing;
    final ProxyMetrics metrics;

    @Override
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
    final long requestBodyTimeoutMs;
    final long requestHeaderTimeoutMs;
    final long clientIdleTimeoutMs;
    final long maxBodyBytes;
    final int retryBufferBytes;
    /** The most bytes of request bodies held at once, all requests together; beyond, bodies are streamed. */
    final long maxHeldBytes;
    private final AtomicLong heldBytes = new AtomicLong();
    final int maxHeaderBytes;
    final int poolSize;
    final Duration ejectionBase;
    final Duration ejectionMax;
    /** The access log, or null when it is off. */
    private volatile io.dsha.proxy.ops.AccessLog accessLog;
    final LongAdder inFlight = new LongAdder();
    /** The most client connections open at once on the data listener (all its event loops); beyond, new ones are closed. */
    final int maxConnections;
    private final AtomicInteger clientConnections = new AtomicInteger();
    private final AtomicLong refusedSinceLog = new AtomicLong();
    private final AtomicLong lastExhaustionLog = new AtomicLong(System.nanoTime() - REFUSAL_LOG_EVERY_NANOS);
    private final AtomicLong lastRefusalLog = new AtomicLong(System.nanoTime() - REFUSAL_LOG_EVERY_NANOS);
    private static final long REFUSAL_LOG_EVERY_NANOS = 10_000_000_000L;
    volatile boolean shuttingDown;
    /** Delivers records on ingest routes to every instance; null until set (and in tests without one). */
    private volatile io.dsha.proxy.ingest.Ingest ingest;
    private volatile boolean turningAway;

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
        this.requestBodyTimeoutMs = config.timeouts().requestBody().toMillis();
        this.requestHeaderTimeoutMs = config.timeouts().requestHeader().toMillis();
        this.clientIdleTimeoutMs = config.timeouts().clientIdle().toMillis();
        this.maxBodyBytes = config.limits().maxBodyBytes();
        this.retryBufferBytes = config.limits().retryBufferBytes();
        this.maxHeldBytes = config.limits().heldBodyBytes().orElseGet(() -> defaultHeldBodyBytes(maxDirectMemory()));
        metrics.heldBodyBytes(heldBytes);
        this.maxHeaderBytes = config.limits().maxHeaderBytes();
        this.ejectionBase = config.ejection().base();
        this.ejectionMax = config.ejection().max();
        this.maxConnections = config.listener().maxConnections().orElseGet(() -> defaultMaxConnections(openFileLimit()));
        metrics.connectionLimit(maxConnections);
    }

    /**
     * Counts {@code n} more bytes of a request body held before (or while) it goes to a backend, if the total stays
     * within {@code dsha.limits.held-body-bytes}: many clients sending bodies at once (HTTP/2: a hundred streams a
     * connection) cannot make the proxy hold more than that. False (nothing counted): stream this body instead.
     */
    @Override
    public boolean hold(int n) {
        if (heldBytes.addAndGet(n) <= maxHeldBytes) {
            return true;
        }
        heldBytes.addAndGet(-n);
        return false;
    }

    @Override
    public void unhold(int n) {
        heldBytes.addAndGet(-n);
    }

    @Override
    public long maxBodyBytes() {
        return maxBodyBytes;
    }

    @Override
    public int retryBufferBytes() {
        return retryBufferBytes;
    }

    /** The process's limit of open files, or -1 when the platform does not say. */
    static long openFileLimit() {
        try {
            if (java.lang.management.ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
                return unix.getMaxFileDescriptorCount();
            }
        } catch (RuntimeException | LinkageError e) {
            // not said: the fixed default below
        }
        return -1;
    }

    /**
     * Half of what the open-file limit leaves after 512 for the rest of the process (backend pools, the management
     * port, logs): each client connection may hold a backend connection too. 4096 when the limit is unknown.
     */
    /**
     * {@code dsha.limits.held-body-bytes} when not set: 128 MiB, or half of the direct memory the JVM allows when that
     * is less. Held bodies are Netty's (direct) buffers, and a small VM's JVM allows little: a heap of a quarter of
     * 256 MB means 64 MB of direct memory, which 128 MiB of held bodies would exhaust (OutOfDirectMemoryError).
     */
    static long defaultHeldBodyBytes(long maxDirectMemory) {
        return Math.min(128L << 20, maxDirectMemory / 2);
    }

    /** -XX:MaxDirectMemorySize, or the maximum heap when it is not set (the JVM's own default). */
    static long maxDirectMemory() {
        try {
            com.sun.management.HotSpotDiagnosticMXBean hotspot =
                    java.lang.management.ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            long set = hotspot == null ? 0 : Long.parseLong(hotspot.getVMOption("MaxDirectMemorySize").getValue());
            if (set > 0) {
                return set;
            }
        } catch (RuntimeException | LinkageError e) {
            // A runtime without the HotSpot bean (a native image): the heap's maximum, as the JVM's default.
        }
        return Runtime.getRuntime().maxMemory();
    }

    static int defaultMaxConnections(long fileLimit) {
        if (fileLimit <= 0) {
            return 4096;
        }
        return (int) Math.max(64, Math.min(1_000_000, (fileLimit - 512) / 2));
    }

    /**
     * Counts a newly accepted client connection in, or says it is one too many: counted, and logged at most once
     * every 10 s with how many were turned away. A connection admitted must be {@link #released} when it closes.
     */
    @Override
    public boolean admit() {
        if (clientConnections.incrementAndGet() <= maxConnections) {
            return true;
        }
        clientConnections.decrementAndGet();
        metrics.clientError("connection_limit");
        refusedSinceLog.incrementAndGet();
        long now = System.nanoTime();
        long last = lastRefusalLog.get();
        if (now - last >= REFUSAL_LOG_EVERY_NANOS && lastRefusalLog.compareAndSet(last, now)) {
            LOG.warnf("The data listener is at its connection limit (dsha.listener.max-connections=%d): new connections are closed "
                    + "at once, open ones are served (%d turned away since the last such line)", maxConnections, refusedSinceLog.getAndSet(0));
        }
        return false;
    }

    @Override
    public void released() {
        clientConnections.decrementAndGet();
    }

    @Override
    public RoutingState routing() {
        return routing;
    }

    @Override
    public ProxyConfig.BalancePolicy policy() {
        return policy;
    }

    @Override
    public int maxAttempts() {
        return maxAttempts;
    }

    @Override
    public long connectTimeoutMs() {
        return connectTimeoutMs;
    }

    /** A connection or request is now in flight; graceful shutdown waits for it. */
    @Override
    public void begin() {
        inFlight.increment();
    }

    @Override
    public void end() {
        inFlight.decrement();
    }

    public void ingest(io.dsha.proxy.ingest.Ingest ingest) {
        this.ingest = ingest;
    }

    io.dsha.proxy.ingest.Ingest ingest() {
        return ingest;
    }

    /** The ingest settings when {@code req} is on one of the topology's ingest routes, else null. */
    io.dsha.api.topology.Ingest ingestRoute(io.netty.handler.codec.http.HttpRequest req) {
        io.dsha.proxy.ingest.Ingest i = ingest;
        io.dsha.api.topology.Ingest s = i == null ? null : i.settings();
        return s != null && s.route(req.method().name(), req.uri()).isPresent() ? s : null;
    }

    public long inFlight() {
        return inFlight.sum();
    }

    public boolean shuttingDown() {
        return shuttingDown;
    }

    @Override
    public boolean turningAway() {
        return turningAway;
    }

    /**
     * SIGTERM, first step: readiness goes down, every response from now on says {@code Connection: close}, idle
     * keep-alive connections are closed (FIN, at each event loop's next tick) and HTTP/2 ones sent a GOAWAY.
     */
    public void beginShutdown() {
        shuttingDown = true;
    }

    /** SIGTERM, second step (the listener stops accepting): a passthrough connection still accepted is turned away. */
    public void turnAway() {
        shuttingDown = true;
        turningAway = true;
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

    /**
     * A connection to {@code target} could not be made. When the cause is this process's own exhaustion (no file
     * descriptor left: EMFILE, ENFILE) the backend is not at fault: nothing is counted against it or reported, a
     * warning is logged (at most every 10 s), and false is returned. Otherwise it is {@link #failed} and true returned.
     */
    @Override
    public boolean connectFailed(Target target, String reason, Throwable cause) {
        if (ownExhaustion(cause)) {
            metrics.outOfFiles();
            long now = System.nanoTime();
            long last = lastExhaustionLog.get();
            if (now - last >= REFUSAL_LOG_EVERY_NANOS && lastExhaustionLog.compareAndSet(last, now)) {
                LOG.warnf("Cannot connect to backend %s: this process is out of file descriptors (%s); the backend is not "
                        + "counted as failed. Lower dsha.listener.max-connections or raise the open-file limit", target.id(), reason);
            }
            return false;
        }
        failed(target, reason);
        return true;
    }

    /** Whether {@code t} says this process (or the host) has no file descriptor left. */
    static boolean ownExhaustion(Throwable t) {
        for (; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m != null && (m.contains("Too many open files") || m.contains("EMFILE") || m.contains("ENFILE")
                    || m.contains("Too many open files in system"))) {
                return true;
            }
        }
        return false;
    }

    @Override
    public io.dsha.proxy.ops.AccessLog accessLog() {
        return accessLog;
    }

    /** Set once, before traffic (null: off). */
    public void accessLog(io.dsha.proxy.ops.AccessLog log) {
        this.accessLog = log;
    }
}
