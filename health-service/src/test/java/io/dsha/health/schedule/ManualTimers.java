package io.dsha.health.schedule;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/** Timers and a clock the test drives by hand: time moves only in {@link #advance}, which runs what falls due, in order. */
final class ManualTimers extends Clock implements Timers {

    private record Task(long id, long due, Runnable run) {
    }

    private final List<Task> tasks = new ArrayList<>();
    private long now;
    private long nextId;

    @Override
    public synchronized long schedule(long delayMs, Runnable task) {
        long id = nextId++;
        tasks.add(new Task(id, now + delayMs, task));
        return id;
    }

    @Override
    public synchronized void cancel(long id) {
        tasks.removeIf(t -> t.id() == id);
    }

    /** Runs every task due within {@code ms}, moving time to each one's due moment. */
    void advance(long ms) {
        long until = now + ms;
        while (true) {
            Task next;
            synchronized (this) {
                Optional<Task> first = tasks.stream().filter(t -> t.due() <= until).min(Comparator.comparingLong(Task::due).thenComparingLong(Task::id));
                if (first.isEmpty()) {
                    break;
                }
                next = first.get();
                tasks.remove(next);
                now = next.due();
            }
            next.run().run();
        }
        synchronized (this) {
            now = until;
        }
    }

    /** When the next task is due, from now; empty when nothing is scheduled. */
    synchronized Optional<Long> nextDue() {
        return tasks.stream().map(t -> t.due() - now).min(Long::compare);
    }

    synchronized int pending() {
        return tasks.size();
    }

    @Override
    public synchronized long millis() {
        return now;
    }

    @Override
    public Instant instant() {
        return Instant.EPOCH.plus(Duration.ofMillis(millis()));
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }
}
