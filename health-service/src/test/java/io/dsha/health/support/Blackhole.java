package io.dsha.health.support;

import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import java.util.concurrent.TimeUnit;

/**
 * A relay that leads nowhere: accepts connections on a free port and never answers, the way a
 * checker cut off from the backends sees them (probes time out). Point a checker's
 * {@code dsha.address.<backend>} here.
 */
public final class Blackhole implements AutoCloseable {

    private final NetServer server;

    public Blackhole(Vertx vertx) {
        try {
            server = vertx.createNetServer(new NetServerOptions().setHost("127.0.0.1")).connectHandler(socket -> socket.pause())
                    .listen(0).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public String address() {
        return "127.0.0.1:" + server.actualPort();
    }

    @Override
    public void close() {
        server.close().toCompletionStage().toCompletableFuture().join();
    }
}
