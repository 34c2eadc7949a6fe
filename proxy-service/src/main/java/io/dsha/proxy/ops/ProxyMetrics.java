package io.dsha.proxy.ops;

import io.dsha.proxy.balance.RoutingTable;
import io.dsha.proxy.balance.Target;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Prometheus metrics of the data path: {@code dsha_proxy_requests_total{backend,status}},
 * {@code dsha_proxy_retries_total}, {@code dsha_proxy_ejections_total{backend}},
 * {@code dsha_proxy_connections} (open client connections), {@code dsha_proxy_upstream_seconds{backend}}
 * (time to the backend's response headers, histogram), {@code dsha_proxy_active_backend{backend}}
 * (1 for each backend taking new requests), {@code dsha_proxy_routing_revision} and
 * {@code dsha_proxy_transport_info{transport}} (1, tagged io_uring, epoll or nio: what the sockets run on) and
 * {@code dsha_proxy_event_loop_lag_seconds} (histogram, {@link LoopLag}). Meters are
 * created once and cached, so counting a request costs a map lookup and an add.
 *
 * <p>Passthrough: {@code dsha_proxy_tcp_connections_total{backend}} (relayed connections),
 * {@code dsha_proxy_tcp_connections_open{backend}}, {@code dsha_proxy_tcp_bytes_total{backend,direction}}
 * ({@code upstream} = client to backend) and {@code dsha_proxy_tcp_rejects_total{reason}} (unknown_sni,
 * missing_sni, not_tls, malformed, too_large, hello_timeout, no_backend, shutting_down).
 */
public final class ProxyMetrics {

    private static final String NONE = "none";

    private final MeterRegistry registry;
    /** Per backend, a counter per status code (100..599), made on first use. */
    private final Map<String, Counter[]> requests = new ConcurrentHashMap<>();
    private final Map<String, Counter> ejections = new ConcurrentHashMap<>();
    private final Map<String, Timer> latency = new ConcurrentHashMap<>();
    private final Counter retries;
    private final AtomicInteger connections = new AtomicInteger();
    private final MultiGauge activeBackend;
    private volatile long revision = -1;
    private final Map<String, Tcp> tcp = new ConcurrentHashMap<>();
    private final Map<String, Counter> rejects = new ConcurrentHashMap<>();
    private final Map<String, Counter> handshakeFailures = new ConcurrentHashMap<>();
    private final Map<String, Counter> clientErrors = new ConcurrentHashMap<>();

    /** The passthrough meters of one backend; a relayed connection holds on to them. */
    public static final class Tcp {
        public final Counter connections;
        public final AtomicInteger open = new AtomicInteger();
        public final Counter upstreamBytes;
        public final Counter downstreamBytes;

        private Tcp(MeterRegistry registry, String backend) {
            connections = Counter.builder("dsha.proxy.tcp.connections").description("Connections relayed, by backend")
                    .tag("backend", backend).register(registry);
            io.micrometer.core.instrument.Gauge.builder("dsha.proxy.tcp.connections.open", open, AtomicInteger::get)
                    .description("Relayed connections open now, by backend").tag("backend", backend).register(registry);
            upstreamBytes = Counter.builder("dsha.proxy.tcp.bytes").description("Bytes relayed, by backend and direction")
                    .tags("backend", backend, "direction", "upstream").register(registry);
            downstreamBytes = Counter.builder("dsha.proxy.tcp.bytes").description("Bytes relayed, by backend and direction")
                    .tags("backend", backend, "direction", "downstream").register(registry);
        }
    }

    public ProxyMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.retries = Counter.builder("dsha.proxy.retries").description("Requests sent again to another backend").register(registry);
        registry.gauge("dsha.proxy.connections", connections);
        this.activeBackend = MultiGauge.builder("dsha.proxy.active.backend").description("1 for each backend taking new requests").register(registry);
        io.micrometer.core.instrument.Gauge.builder("dsha.proxy.routing.revision", this, m -> m.revision)
                .description("Revision of the routing decision in use").register(registry);
    }

    /**
     * How late the data path's event loops run what is due (see {@link LoopLag}); one timer for all of them, so
     * its maximum is the worst loop's.
     */
    Timer loopLag() {
        return Timer.builder("dsha.proxy.event.loop.lag")
                .description("How late the data path's event loops ran a task that was due (probed every "
                        + LoopLag.PERIOD_MS + " ms): time a request's next step waited for its loop")
                .publishPercentileHistogram()
                .minimumExpectedValue(java.time.Duration.ofNanos(100_000))
                .maximumExpectedValue(java.time.Duration.ofSeconds(1))
                .register(registry);
    }

    /** Says what the sockets run on ({@code io_uring}, {@code epoll}, {@code nio}). */
    public void transport(String name) {
        io.micrometer.core.instrument.Gauge.builder("dsha.proxy.transport.info", () -> 1)
                .description("What the proxy's sockets run on (dsha.transport)").tag("transport", name).register(registry);
    }

    public void request(String backend, int status) {
        String b = backend == null ? NONE : backend;
        Counter[] byStatus = requests.computeIfAbsent(b, k -> new Counter[500]);
        int i = Math.max(0, Math.min(499, status - 100));
        Counter c = byStatus[i];
        if (c == null) {
            // Registration is idempotent in Micrometer: a race here yields the same counter.
            c = Counter.builder("dsha.proxy.requests")
                    .description("Requests answered, by backend and status")
                    .tags("backend", b, "status", String.valueOf(status))
                    .register(registry);
            byStatus[i] = c;
        }
        c.increment();
    }

    /**
     * Per backend, what it served since start: requests answered (TERMINATE) plus connections relayed
     * (PASSTHROUGH). The traffic report turns two of these into a rate.
     */
    public Map<String, Double> servedTotals() {
        Map<String, Double> totals = new java.util.HashMap<>();
        requests.forEach((backend, byStatus) -> {
            if (!backend.equals(NONE)) {
                double sum = 0;
                for (Counter c : byStatus) {
                    sum += c == null ? 0 : c.count();
                }
                totals.merge(backend, sum, Double::sum);
            }
        });
        tcp.forEach((backend, t) -> totals.merge(backend, t.connections.count(), Double::sum));
        return totals;
    }

    public void retried() {
        retries.increment();
    }

    public void ejected(String backend) {
        ejections.computeIfAbsent(backend, b -> Counter.builder("dsha.proxy.ejections")
                .description("Backends set aside locally after failing on real traffic")
                .tag("backend", b).register(registry)).increment();
    }

    public void upstreamLatency(String backend, long nanos) {
        Timer timer = latency.get(backend);
        if (timer == null) {
            timer = latency(backend);
        }
        timer.record(nanos, TimeUnit.NANOSECONDS);
    }

    private Timer latency(String backend) {
        // Made once per backend; the lookup above stays free of the capturing lambda's allocation on every request.
        return latency.computeIfAbsent(backend, b -> Timer.builder("dsha.proxy.upstream")
                .description("Time from the request to the backend's response headers")
                .tag("backend", b)
                .publishPercentileHistogram()
                .register(registry));
    }

    public Tcp tcp(String backend) {
        return tcp.computeIfAbsent(backend, b -> new Tcp(registry, b));
    }

    /** A passthrough connection turned away before it reached a backend. */
    public void rejected(String reason) {
        rejects.computeIfAbsent(reason, r -> Counter.builder("dsha.proxy.tcp.rejects")
                .description("Passthrough connections turned away before reaching a backend, by reason")
                .tag("reason", r).register(registry)).increment();
    }

    /** A client's TLS handshake that did not complete (terminating listener), by reason. */
    public void handshakeFailed(String reason) {
        handshakeFailures.computeIfAbsent(reason, r -> Counter.builder("dsha.proxy.tls.handshake.failures")
                .description("Client TLS handshakes that did not complete, by reason (client_closed, tls_error, timeout)")
                .tag("reason", r).register(registry)).increment();
    }

    /**
     * A request or connection ended by the proxy for what its client did ({@code dsha_proxy_client_errors_total{reason}}):
     * malformed, transfer_encoding, host, target, version, method, malformed_body, header_timeout, body_timeout,
     * request_timeout, response_stalled, connection_limit, h2_protocol. None of them counts against a backend.
     */
    public void clientError(String reason) {
        clientErrors.computeIfAbsent(reason, r -> Counter.builder("dsha.proxy.client.errors")
                .description("Requests refused or connections closed for what the client did, by reason").tag("reason", r)
                .register(registry)).increment();
    }

    /** A backend connection not made because this process had no file descriptor left ({@code dsha_proxy_out_of_files_total}). */
    public void outOfFiles() {
        Counter.builder("dsha.proxy.out.of.files").description("Backend connections not made: no file descriptor left (not counted against the backend)")
                .register(registry).increment();
    }

    /** Bytes of request bodies held now ({@code dsha_proxy_held_body_bytes}). */
    public void heldBodyBytes(java.util.concurrent.atomic.AtomicLong held) {
        io.micrometer.core.instrument.Gauge.builder("dsha.proxy.held.body.bytes", held, java.util.concurrent.atomic.AtomicLong::get)
                .description("Bytes of request bodies held by the proxy before or while they go to a backend").strongReference(true)
                .register(registry);
    }

    /** The data listener's connection limit ({@code dsha_proxy_connections_limit}). */
    public void connectionLimit(int max) {
        io.micrometer.core.instrument.Gauge.builder("dsha.proxy.connections.limit", () -> max)
                .description("The most client connections the data listener holds open at once").register(registry);
    }

    public void connectionOpened() {
        connections.incrementAndGet();
    }

    public void connectionClosed() {
        connections.decrementAndGet();
    }

    public void routing(RoutingTable table) {
        revision = table.revision();
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        for (var b : table.topology().backends()) {
            boolean active = table.active().stream().map(Target::id).anyMatch(b.id()::equals);
            rows.add(MultiGauge.Row.of(Tags.of("backend", b.id()), active ? 1 : 0));
        }
        activeBackend.register(rows, true);
    }
}
