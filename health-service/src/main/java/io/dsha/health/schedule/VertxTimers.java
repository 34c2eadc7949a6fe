package io.dsha.health.schedule;

import io.vertx.core.Vertx;

/** {@link Timers} on Vert.x: the tasks run on an event loop and must not block. */
public final class VertxTimers implements Timers {

    private final Vertx vertx;

    public VertxTimers(Vertx vertx) {
        this.vertx = vertx;
    }

    @Override
    public long schedule(long delayMs, Runnable task) {
        return vertx.setTimer(Math.max(1, delayMs), id -> task.run());
    }

    @Override
    public void cancel(long id) {
        vertx.cancelTimer(id);
    }
}
