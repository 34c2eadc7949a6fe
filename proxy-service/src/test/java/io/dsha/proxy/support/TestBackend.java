package io.dsha.proxy.support;

import io.netty.buffer.Unpooled;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.impl.ConnectionBase;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A stand-in DataStack instance on a real port (0 = picked free): answers its name, and can be
 * told to hang (accept, never answer), to drop the connection after reading a request, or to answer
 * what is not HTTP (a garbled head, or a chunked body broken after its first chunk). Counts what it
 * received, by "METHOD path".
 *
 * <p>Paths: {@code /slow?ms=N} answers after N ms; {@code /echo} echoes the body;
 * {@code /ws} is a WebSocket echo; {@code /headers} answers the request headers as text.
 */
public final class TestBackend extends RestartableServer {

    /** How the backend treats requests. */
    public enum Behaviour {
        NORMAL, HANG, DROP_AFTER_REQUEST, MALFORMED_HEAD, BROKEN_CHUNK
    }

    private final Vertx vertx;
    private final String name;
    private final Map<String, AtomicInteger> received = new ConcurrentHashMap<>();
    private final AtomicInteger total = new AtomicInteger();
    private final AtomicReference<Behaviour> behaviour = new AtomicReference<>(Behaviour.NORMAL);

    public TestBackend(Vertx vertx, String name) {
        this.vertx = vertx;
        this.name = name;
        start(0);
    }

    @Override
    protected HttpServer create() {
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
        return s;
    }

    @Override
    protected String describe() {
        return "backend " + name;
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
                case MALFORMED_HEAD -> raw(req, "HTTP/9 ok, perhaps\r\nnot: http\r\n\r\n");
                case BROKEN_CHUNK -> raw(req, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + Integer.toHexString(name.length() + 7) + "\r\n" + name + " begins\r\nnot-a-size\r\n\r\n");
                default -> answer(req, body);
            }
        });
    }

    /** Bytes written as they are: from the pipeline's first handler, so no HTTP encoder sees them. */
    private static void raw(HttpServerRequest req, String bytes) {
        ((ConnectionBase) req.connection()).channel().pipeline().firstContext()
                .writeAndFlush(Unpooled.copiedBuffer(bytes, StandardCharsets.ISO_8859_1));
    }

    private void answer(HttpServerRequest req, Buffer body) {
        switch (req.path()) {
            case "/echo" -> req.response().end(body);
            case "/slow" -> {
                long ms = Long.parseLong(req.getParam("ms", "1000"));
                vertx.setTimer(ms, id -> req.response().end(name + "\n"));
            }
            case "/stream" -> {
                // The head and a first chunk at once, the end only after ms: a response a client can leave half-way.
                long ms = Long.parseLong(req.getParam("ms", "10000"));
                req.response().setChunked(true).write(name + " begins\n");
                vertx.setTimer(ms, id -> req.response().end(name + " ends\n"));
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
}
