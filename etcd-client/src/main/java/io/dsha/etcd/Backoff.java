package io.dsha.etcd;

/**
 * The retry delay of this module's background loops (an {@link Election}'s campaigns, a {@link LeasedKey}'s
 * registration): 100 ms after the first failure, doubling to at most 1 s, back to 100 ms after a success. Short enough
 * that a control plane follows etcd's return within a second, long enough that a down etcd is asked about once a
 * second. Not thread-safe: used on one context.
 */
final class Backoff {

    static final long MIN_MS = 100;
    static final long MAX_MS = 1000;

    private long nextMs = MIN_MS;

    /** The delay before the next attempt; the one after is twice as long (at most {@link #MAX_MS}). */
    long next() {
        long delay = nextMs;
        nextMs = Math.min(2 * nextMs, MAX_MS);
        return delay;
    }

    /** The delay the next {@link #next()} returns, without moving on. */
    long peek() {
        return nextMs;
    }

    void reset() {
        nextMs = MIN_MS;
    }
}
