package io.dsha.etcd;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** An event-loop context of one's own. */
public final class EventLoops {

    private EventLoops() {
    }

    /**
     * A new event-loop context of {@code vertx}, even where the caller runs on a worker or on another context (where
     * {@code getOrCreateContext} would hand back the caller's own): asked for from a plain thread, which Vert.x gives
     * a new event-loop context.
     */
    public static Context context(Vertx vertx) {
        if (Vertx.currentContext() == null) {
            return vertx.getOrCreateContext();
        }
        CompletableFuture<Context> made = new CompletableFuture<>();
        Thread t = new Thread(() -> made.complete(vertx.getOrCreateContext()), "dsha-etcd-context");
        t.setDaemon(true);
        t.start();
        try {
            return made.get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while making an event-loop context", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("could not make an event-loop context: " + e, e);
        }
    }
}
