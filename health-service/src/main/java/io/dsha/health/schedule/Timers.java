package io.dsha.health.schedule;

/** One-shot timers: Vert.x's in the service, a hand-driven queue in tests. */
public interface Timers {

    /** Runs {@code task} once after {@code delayMs}; returns an id for {@link #cancel}. */
    long schedule(long delayMs, Runnable task);

    void cancel(long id);
}
