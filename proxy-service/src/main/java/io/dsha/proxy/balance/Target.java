package io.dsha.proxy.balance;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One backend as the data path sees it: its address, weight, requests in flight and local
 * ejection. The same object lives across routing swaps (as long as the backend keeps its id and
 * address), so counters and ejections survive a new routing decision.
 */
public final class Target {

    private final String id;
    private final String host;
    private final int port;
    private final AtomicInteger outstanding = new AtomicInteger();
    private volatile int weight;
    private volatile long ejectedUntilNanos;
    private int consecutiveEjections;

    Target(String id, String host, int port, int weight) {
        this.id = id;
        this.host = host;
        this.port = port;
        this.weight = weight;
    }

    public String id() {
        return id;
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    public int weight() {
        return weight;
    }

    void weight(int w) {
        weight = w;
    }

    public int outstanding() {
        return outstanding.get();
    }

    public void begin() {
        outstanding.incrementAndGet();
    }

    public void end() {
        outstanding.decrementAndGet();
    }

    public boolean ejected(long nowNanos) {
        return nowNanos < ejectedUntilNanos;
    }

    /**
     * Sets the backend aside after a failure on real traffic, for a back-off that doubles with each
     * consecutive ejection ({@code base}, 2×, 4× … up to {@code max}). Returns the back-off applied, or
     * zero when the backend is already set aside: the other requests that were in flight when it
     * failed (16 of them, when it dies under load) fail with it, and they are one ejection, not 16
     * steps of escalation straight to {@code max}.
     */
    public synchronized Duration eject(long nowNanos, Duration base, Duration max) {
        if (ejected(nowNanos)) {
            return Duration.ZERO;
        }
        long backoff = Math.min(max.toNanos(), base.toNanos() << Math.min(consecutiveEjections, 20));
        consecutiveEjections++;
        ejectedUntilNanos = nowNanos + backoff;
        return Duration.ofNanos(backoff);
    }

    /** A success ends the escalation of back-offs. */
    public void succeeded() {
        if (consecutiveEjections != 0) {
            synchronized (this) {
                consecutiveEjections = 0;
            }
        }
    }

    /** Forgets any ejection: the control plane has a fresh verdict on this backend. */
    public synchronized void clearEjection() {
        consecutiveEjections = 0;
        ejectedUntilNanos = 0;
    }

    @Override
    public String toString() {
        return id + "@" + host + ":" + port;
    }
}
