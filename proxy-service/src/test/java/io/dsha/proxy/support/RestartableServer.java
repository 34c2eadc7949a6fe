package io.dsha.proxy.support;

import io.vertx.core.http.HttpServer;
import java.util.concurrent.TimeUnit;

/**
 * A test backend's listener that the test can kill (every open connection dies with it) and revive
 * on the same port. Subclasses build the configured server; they call {@link #start(int)} with 0 once
 * their own fields are set.
 */
abstract class RestartableServer implements AutoCloseable {

    private volatile HttpServer server;
    private volatile int port;

    /** A new server with its handlers, not yet listening. */
    protected abstract HttpServer create() throws Exception;

    /** Names the backend in errors. */
    protected abstract String describe();

    protected final void start(int wanted) {
        try {
            server = create().listen(wanted).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(describe() + " could not listen on " + wanted, e);
        }
        port = server.actualPort();
    }

    public int port() {
        return port;
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
