package io.dsha.proxy.ops;

import io.micrometer.core.instrument.Timer;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * How late an event loop of the data path runs what was due at a given moment: the wait that every
 * step of a request has before its loop gets to it, whether the loop is busy with other connections or
 * is itself waiting for a CPU (on a host whose cores it shares with busy neighbours, that wait is
 * what lengthens the latency's tail: BENCHMARKS.md, "The HTTP tail on io_uring"). Each loop that
 * carries the listener schedules a probe every {@link #PERIOD_MS} ms and records how late it ran, as
 * Node's event-loop lag and Envoy's dispatcher poll delay do. Runs on its loop only.
 */
public final class LoopLag implements Runnable {

    static final long PERIOD_MS = 100;
    private static final long PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(PERIOD_MS);

    private final EventLoop loop;
    private final Timer lag;
    private final LongSupplier clock;
    private long due;
    private ScheduledFuture<?> next;
    private boolean stopped;

    LoopLag(EventLoop loop, Timer lag, LongSupplier clock) {
        this.loop = loop;
        this.lag = lag;
        this.clock = clock;
    }

    /** Starts probing {@code loop}; call {@link #stop()} when the listener on it stops. */
    public static LoopLag start(EventLoop loop, ProxyMetrics metrics) {
        LoopLag probe = new LoopLag(loop, metrics.loopLag(), System::nanoTime);
        loop.execute(probe::schedule);
        return probe;
    }

    /** Stops probing; from any thread. */
    public void stop() {
        if (loop.inEventLoop()) {
            cancel();
            return;
        }
        try {
            loop.execute(this::cancel);
        } catch (RejectedExecutionException loopGone) {
            // The loop has shut down, and its scheduled probe with it.
        }
    }

    private void cancel() {
        stopped = true;
        if (next != null) {
            next.cancel(false);
        }
    }

    void schedule() {
        if (stopped) {
            return;
        }
        due = clock.getAsLong() + PERIOD_NANOS;
        try {
            next = loop.schedule(this, PERIOD_NANOS, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException shuttingDown) {
            stopped = true;
        }
    }

    @Override
    public void run() {
        if (stopped) {
            return;
        }
        lag.record(Math.max(0, clock.getAsLong() - due), TimeUnit.NANOSECONDS);
        schedule();
    }
}
