package io.dsha.client;

import io.dsha.api.json.DshaJson;
import io.dsha.api.state.StateSnapshot;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The control plane's state and watch endpoints on a real HTTP server (port 0): a test publishes
 * revisions, makes the server answer an error status for a while, and reads every request it got.
 */
final class FakeControlPlane implements AutoCloseable {

    /** One request as the server saw it. */
    record Seen(String path, String since, String authorization) {
    }

    private final Vertx vertx;
    private final HttpServer server;
    private final List<Seen> seen = new CopyOnWriteArrayList<>();
    private final List<HttpServerRequest> waiting = new ArrayList<>();
    private volatile StateSnapshot current = snapshot(1);
    private volatile int failWith;

    FakeControlPlane(Vertx vertx) throws Exception {
        this.vertx = vertx;
        this.server = vertx.createHttpServer().requestHandler(this::handle).listen(0).toCompletionStage().toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
    }

    static StateSnapshot snapshot(long revision) {
        return new StateSnapshot(revision, revision, null, List.of(), null);
    }

    String url() {
        return "http://127.0.0.1:" + server.actualPort();
    }

    List<Seen> seen() {
        return List.copyOf(seen);
    }

    /** Answers every request with {@code status} from now on; 0 to answer normally again. */
    void failWith(int status) {
        failWith = status;
    }

    /** A new revision: waiting watches get it at once. */
    void publish(long revision) {
        List<HttpServerRequest> ws;
        synchronized (waiting) {
            current = snapshot(revision);
            ws = new ArrayList<>(waiting);
            waiting.clear();
        }
        ws.forEach(this::answer);
    }

    private void handle(HttpServerRequest req) {
        seen.add(new Seen(req.path(), req.getParam("since"), req.getHeader("Authorization")));
        if (failWith != 0) {
            req.response().setStatusCode(failWith).end("failing on purpose");
            return;
        }
        switch (req.path()) {
            case "/api/v1/state" -> answer(req);
            case "/api/v1/watch" -> {
                synchronized (waiting) {
                    if (current.revision() <= Long.parseLong(req.getParam("since"))) {
                        waiting.add(req);
                        vertx.setTimer(Long.parseLong(req.getParam("timeoutMs")), id -> timedOut(req));
                        return;
                    }
                }
                answer(req);
            }
            default -> req.response().setStatusCode(404).end();
        }
    }

    private void timedOut(HttpServerRequest req) {
        boolean was;
        synchronized (waiting) {
            was = waiting.remove(req);
        }
        if (was) {
            req.response().setStatusCode(204).end();
        }
    }

    private void answer(HttpServerRequest req) {
        try {
            req.response().putHeader("Content-Type", "application/json").end(Buffer.buffer(
                    DshaJson.mapper().writeValueAsBytes(current)));
        } catch (Exception e) {
            req.response().setStatusCode(500).end(e.toString());
        }
    }

    @Override
    public void close() throws Exception {
        server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
