package io.dsha.health.report;

import io.dsha.api.report.Observation;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Observations waiting to be reported: only the newest per backend, at most {@code max} backends,
 * so memory stays bounded however long the control plane is away. An observation sent is
 * acknowledged only if nothing newer replaced it meanwhile. Thread-safe.
 */
public final class PendingObservations {

    private final int max;
    private final Map<String, Observation> newest = new LinkedHashMap<>();
    private long dropped;

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
        newest.put(o.backendId(), o);
        notifyAll();
        return true;
    }

    /** Waits up to {@code waitMs} for something to send, then returns what there is (possibly nothing). */
    public synchronized List<Observation> await(long waitMs) throws InterruptedException {
        long deadline = System.nanoTime() + waitMs * 1_000_000;
        while (newest.isEmpty()) {
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                break;
            }
            wait(left);
        }
        return new ArrayList<>(newest.values());
    }

    /** Forgets what was sent, except where a newer observation arrived in the meantime. */
    public synchronized void acknowledge(List<Observation> sent) {
        sent.forEach(o -> newest.remove(o.backendId(), o));
    }

    /** Forgets backends that are no longer in the topology. */
    public synchronized void retain(Set<String> backendIds) {
        newest.keySet().retainAll(backendIds);
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
