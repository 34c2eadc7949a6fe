package io.dsha.proxy.support;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A stand-in DataStack instance on a real port (0 = picked free): answers its name, and can be
 * told to hang (accept, never answer) or to drop the connection after reading a request. Counts
 * what it received, by "METHOD path".
 *
 * <p>Paths: {@code /slow?ms=N} answers after N ms; {@code /echo} echoes the body;
 * {@code /ws} is a WebSocket echo; {@code /headers} answers the request headers as text.
 */
public final class TestBackend implements AutoCloseable {

    /** How the backend treats requests. */
    public enum Behaviour {
        NORMAL, HANG, DROP_AFTER_REQUEST
    }

    private final Vertx vertx;
    private final String name;
    private final Map<String, AtomicInteger> received = new ConcurrentHashMap<>();
    private final AtomicInteger total = new AtomicInteger();
    private final AtomicReference<Behaviour> behaviour = new AtomicReference<>(Behaviour.NORMAL);
    private volatile HttpServer server;
    private volatile int port;

    public TestBackend(Vertx vertx, String name) {
        this.vertx = vertx;
        this.name = name;
        start(0);
    }

    private void start(int wanted) {
        HttpServer s = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1"));
        s.webSocketHandler(ws -> {
            if (!ws.path().equals("/ws")) {
                ws.reject();
                return;
            }
            count("WS /ws");
            // Echo each message as it came: text as text, binary as binary (write(Buffer) would turn text into binary).
            ws.textMessageHandler(ws::writeTextMessage);
            ws.binaryMessageHandler(ws::writeBinaryMessage);
        });
        s.requestHandler(this::handle);
        try {
            server = s.listen(wanted).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("backend " + name + " could not listen on " + wanted, e);
        }
        port = server.actualPort();
    }

    private void handle(HttpServerRequest req) {
        Behaviour b = behaviour.get();
        req.body().onSuccess(body -> {
            count(req.method() + " " + req.path());
            switch (b) {
                case HANG -> {
                    // accept, read, never answer
                }
                case DROP_AFTER_REQUEST -> req.connection().close();
                default -> answer(req, body);
            }
        });
    }

    private void answer(HttpServerRequest req, Buffer body) {
        switch (req.path()) {
            case "/echo" -> req.response().end(body);
            case "/slow" -> {
                long ms = Long.parseLong(req.getParam("ms", "1000"));
                vertx.setTimer(ms, id -> req.response().end(name + "\n"));
            }
            case "/headers" -> {
                StringBuilder sb = new StringBuilder();
                req.headers().forEach(e -> sb.append(e.getKey().toLowerCase()).append(": ").append(e.getValue()).append('\n'));
                req.response().end(sb.toString());
            }
            default -> req.response().putHeader("x-backend", name).end(name + "\n");
        }
    }

    private void count(String key) {
        total.incrementAndGet();
        received.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
    }

    public String name() {
        return name;
    }

    public int port() {
        return port;
    }

    /** Requests received for "METHOD path". */
    public int received(String methodAndPath) {
        AtomicInteger n = received.get(methodAndPath);
        return n == null ? 0 : n.get();
    }

    public int total() {
        return total.get();
    }

    public void behave(Behaviour b) {
        behaviour.set(b);
    }

    /** The listener dies, and every open connection with it. */
    public void kill() {
        HttpServer s = server;
        if (s != null) {
            try {
                s.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            server = null;
        }
    }

    /** Comes back on the same port. */
    public void revive() {
        if (server == null) {
            start(port);
        }
    }

    @Override
    public void close() {
        kill();
    }
}
