package io.dsha.client;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

/**
 * The pause before trying the control plane again: it doubles from {@code min} up to {@code max} while
 * failures go on and starts over after a success. Each pause is shortened at random by up to
 * {@code jitter} of itself, so that proxies and checkers that lost the control plane together do not
 * come back in step. Not thread-safe: one per retry loop.
 */
public final class Backoff {

    /** The first pause: short enough that a control plane that restarts is found again at once. */
    public static final Duration MIN = Duration.ofMillis(250);
    /** The longest pause: a control plane that comes back is heard of within this. */
    public static final Duration MAX = Duration.ofSeconds(5);
    public static final double JITTER = 0.2;

    private final long minMs;
    private final long maxMs;
    private final double jitter;
    private final DoubleSupplier random;
    private long nextMs;

    /** {@code random}: values in [0, 1). */
    public Backoff(Duration min, Duration max, double jitter, DoubleSupplier random) {
        this.minMs = min.toMillis();
        this.maxMs = max.toMillis();
        if (minMs < 1 || maxMs < minMs) {
            throw new IllegalArgumentException("min: " + min + ", max: " + max + " (expected: 1ms <= min <= max)");
        }
        if (jitter < 0 || jitter >= 1) {
            throw new IllegalArgumentException("jitter: " + jitter + " (expected: 0 <= jitter < 1)");
        }
        this.jitter = jitter;
        this.random = random;
        this.nextMs = minMs;
    }

    /** From {@link #MIN} to {@link #MAX} with {@link #JITTER}. */
    public static Backoff standard() {
        return new Backoff(MIN, MAX, JITTER, () -> ThreadLocalRandom.current().nextDouble());
    }

    /** The pause before the next try (after a failure); the one after it is twice as long, up to the cap. */
    public long nextMs() {
        long base = nextMs;
        nextMs = Math.min(maxMs, base * 2);
        return base - (long) (base * jitter * random.getAsDouble());
    }

    /** After a success: the next failure waits the shortest pause again. */
    public void reset() {
        nextMs = minMs;
    }
}
