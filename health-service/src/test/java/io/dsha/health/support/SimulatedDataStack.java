package io.dsha.health.support;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.PemKeyCertOptions;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A stand-in DataStack instance on a port picked free (HTTP, or HTTPS with a given certificate):
 * {@code GET /health} answers the status the test sets (or hangs when frozen), {@code GET /status}
 * answers {@code {"ingest": {"lastRecordTime": ..., "records": N}}} with values the test sets.
 * {@code POST /health/NNN} flips the health status over HTTP, as an operator's test would.
 * {@link #stop} closes the listener; {@link #start} brings it back on the same port.
 */
public final class SimulatedDataStack implements AutoCloseable {

    private final Vertx vertx;
    private final PemKeyCertOptions tls;
    private final AtomicInteger status = new AtomicInteger(200);
    private final AtomicReference<String> body = new AtomicReference<>("{\"status\":\"ok\"}");
    private final AtomicLong lastRecord = new AtomicLong(System.currentTimeMillis());
    private final AtomicLong records = new AtomicLong();
    private final AtomicInteger healthRequests = new AtomicInteger();
    private volatile boolean frozen;
    private volatile HttpServer server;
    private volatile int port;

    public SimulatedDataStack(Vertx vertx) {
        this(vertx, null);
    }

    public SimulatedDataStack(Vertx vertx, PemKeyCertOptions tls) {
        this.vertx = vertx;
        this.tls = tls;
        listen(0);
    }

    private void listen(int wanted) {
        HttpServerOptions options = new HttpServerOptions().setHost("127.0.0.1");
        if (tls != null) {
            options.setSsl(true).setKeyCertOptions(tls);
        }
        try {
            server = vertx.createHttpServer(options).requestHandler(this::handle).listen(wanted)
                    .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("could not listen on " + wanted, e);
        }
        port = server.actualPort();
    }

    private void handle(HttpServerRequest req) {
        if (req.path().equals("/health")) {
            healthRequests.incrementAndGet();
            if (!frozen) {
                req.response().setStatusCode(status.get()).end(body.get());
            }
        } else if (req.path().startsWith("/health/") && req.method().name().equals("POST")) {
            status.set(Integer.parseInt(req.path().substring("/health/".length())));
            req.response().end();
        } else if (req.path().equals("/status")) {
            req.response().putHeader("content-type", "application/json").end("{\"ingest\":{\"lastRecordTime\":\""
                    + java.time.Instant.ofEpochMilli(lastRecord.get()) + "\",\"records\":" + records.get() + "}}");
        } else {
            req.response().setStatusCode(404).end();
        }
    }

    public int port() {
        return port;
    }

    public void status(int code) {
        status.set(code);
    }

    public void body(String text) {
        body.set(text);
    }

    /** Accepts connections and requests, never answers /health. */
    public void freeze(boolean on) {
        frozen = on;
    }

    public void lastRecordTime(long epochMillis) {
        lastRecord.set(epochMillis);
    }

    public void records(long n) {
        records.set(n);
    }

    public int healthRequests() {
        return healthRequests.get();
    }

    public void stop() {
        HttpServer s = server;
        if (s != null) {
            s.close().toCompletionStage().toCompletableFuture().join();
            server = null;
        }
    }

    public void start() {
        if (server == null) {
            listen(port);
        }
    }

    @Override
    public void close() {
        stop();
    }
}
