package io.dsha.health.report;

import io.dsha.api.report.Observation;
import io.dsha.api.report.ObservedStatus;
import io.dsha.api.state.HealthStatus;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Observations waiting to be reported: only the newest per backend, at most {@code max} backends,
 * so memory stays bounded however long the control plane is away. An observation sent is
 * acknowledged only if nothing newer replaced it meanwhile. Thread-safe.
 *
 * <p>An observation is <em>news</em> when what it tells differs from what was last sent for its backend (the probe's
 * result, the checker's view, the degradation reasons): {@link #await(long, long)} hands news over at once and the
 * rest (a backend still as it was, which the control plane needs now and then to keep the checker's vote live) no
 * sooner than a given time, so that a checker of many backends sends a few reports a second rather than one per probe.
 */
public final class PendingObservations {

    private final int max;
    private final Map<String, Observation> newest = new LinkedHashMap<>();
    /** What was last sent (acknowledged) per backend. */
    private final Map<String, Told> told = new java.util.HashMap<>();
    private int news;
    private long dropped;

    /** What an observation tells that makes it news when it changes. */
    private record Told(ObservedStatus status, HealthStatus health, List<String> degraded) {
        static Told of(Observation o) {
            return new Told(o.status(), o.health(), o.degraded());
        }
    }

    public PendingObservations(int max) {
        if (max < 1) {
            throw new IllegalArgumentException("max: " + max + " (expected: >= 1)");
        }
        this.max = max;
    }

    /** Keeps {@code o} in place of any older observation of its backend; returns false when full. */
    public synchronized boolean offer(Observation o) {
        if (!newest.containsKey(o.backendId()) && newest.size() >= max) {
            dropped++;
            return false;
        }
        Observation before = newest.put(o.backendId(), o);
        if (before != null && isNews(before)) {
            news--;
        }
        if (isNews(o)) {
            news++;
        }
        notifyAll();
        return true;
    }

    private boolean isNews(Observation o) {
        return !Told.of(o).equals(told.get(o.backendId()));
    }

    /** Waits up to {@code waitMs} for something to send, then returns what there is (possibly nothing). */
    public synchronized List<Observation> await(long waitMs) throws InterruptedException {
        return await(waitMs, System.nanoTime());
    }

    /**
     * Waits up to {@code waitMs} for news, or for anything once {@code System.nanoTime()} reaches {@code routineAtNanos},
     * then returns everything pending; nothing when there is no news and that time has not come.
     */
    public synchronized List<Observation> await(long waitMs, long routineAtNanos) throws InterruptedException {
        long deadline = System.nanoTime() + waitMs * 1_000_000;
        while (true) {
            long now = System.nanoTime();
            if (news > 0 || !newest.isEmpty() && now - routineAtNanos >= 0) {
                break;
            }
            long until = newest.isEmpty() || deadline - routineAtNanos < 0 ? deadline : routineAtNanos;
            long left = (until - now + 999_999) / 1_000_000;
            if (deadline - now <= 0 || left <= 0) {
                break;
            }
            wait(left);
        }
        boolean due = news > 0 || System.nanoTime() - routineAtNanos >= 0;
        return due ? new ArrayList<>(newest.values()) : List.of();
    }

    /** Forgets what was sent, except where a newer observation arrived in the meantime. */
    public synchronized void acknowledge(List<Observation> sent) {
        for (Observation o : sent) {
            if (newest.remove(o.backendId(), o)) {
                if (isNews(o)) {
                    news--;
                }
                told.put(o.backendId(), Told.of(o));
            } else {
                // Replaced meanwhile: what was sent is now what the control plane was told.
                Observation pendingOne = newest.get(o.backendId());
                boolean wasNews = pendingOne != null && isNews(pendingOne);
                told.put(o.backendId(), Told.of(o));
                if (pendingOne != null && wasNews != isNews(pendingOne)) {
                    news += wasNews ? -1 : 1;
                }
            }
        }
    }

    /** Forgets backends that are no longer in the topology. */
    public synchronized void retain(Set<String> backendIds) {
        newest.keySet().retainAll(backendIds);
        told.keySet().retainAll(backendIds);
        news = (int) newest.values().stream().filter(this::isNews).count();
    }

    public synchronized int size() {
        return newest.size();
    }

    /** Observations refused because the buffer was full. */
    public synchronized long dropped() {
        return dropped;
    }

    /** Wakes a waiting {@link #await} (at shutdown). */
    public synchronized void wake() {
        notifyAll();
    }
}
