package io.dsha.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The client as blocking callers use it (the checker's reporter thread): from threads that are no Vert.x thread. */
class ControlPlaneClientTest {

    private static final String BODY = "{\"accepted\":3,\"revision\":42,\"padding\":\"" + "x".repeat(90) + "\"}";

    private Vertx server;
    private Vertx vertx;
    private HttpServer http;

    @BeforeEach
    void start() throws Exception {
        server = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
        http = server.createHttpServer()
                .requestHandler(req -> {
                    // The head and the body in separate writes, as a control plane answering from its store does.
                    req.response().putHeader("Content-Type", "application/json").putHeader("Content-Length", String.valueOf(BODY.length()))
                            .write(BODY.substring(0, 10));
                    server.runOnContext(v -> req.response().end(BODY.substring(10)));
                })
                .listen(0).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(4));
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    /**
     * Every answer arrives whole. Exchanges started on plain threads once came back now and then with an empty body (a
     * pooled connection answered on another event loop before the body was asked for, eclipse-vertx/vert.x#4106).
     */
    @Test
    void answersReachCallersOnPlainThreadsWhole() throws Exception {
        ControlPlaneClient client = new ControlPlaneClient(vertx, ControlPlaneUrls.parse("http://127.0.0.1:" + http.actualPort()), Optional.empty());
        List<CompletableFuture<Void>> callers = new ArrayList<>();
        List<String> wrong = Collections.synchronizedList(new ArrayList<>());
        ExecutorService threads = Executors.newFixedThreadPool(4);
        for (int t = 0; t < 4; t++) {
            callers.add(CompletableFuture.runAsync(() -> {
                for (int i = 0; i < 2000; i++) {
                    try {
                        ControlPlaneClient.Reply reply = client.get("/api/v1/anything", 5_000).toCompletionStage().toCompletableFuture()
                                .get(10, TimeUnit.SECONDS);
                        if (reply.status() != 200 || !reply.body().toString().equals(BODY)) {
                            wrong.add(reply.toString());
                        }
                    } catch (Exception e) {
                        wrong.add(e.toString());
                    }
                }
            }, threads));
        }
        CompletableFuture.allOf(callers.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
        threads.shutdown();
        assertEquals(List.of(), wrong.stream().limit(5).toList(), wrong.size() + " of 8000 answers were not whole");
        client.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
