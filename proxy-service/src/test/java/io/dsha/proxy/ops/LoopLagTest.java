package io.dsha.proxy.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The event-loop lag probe on a loop whose clock the test drives (Netty's embedded loop, time frozen). */
class LoopLagTest {

    private final EmbeddedChannel channel = new EmbeddedChannel();
    private final AtomicLong now = new AtomicLong(TimeUnit.SECONDS.toNanos(5));
    private final Timer lag = Timer.builder("lag").register(new SimpleMeterRegistry());
    private LoopLag probe;

    @BeforeEach
    void start() {
        channel.freezeTime();
        probe = new LoopLag(channel.eventLoop(), lag, now::get);
        probe.schedule();
    }

    private void advanceMillis(long ms) {
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(ms));
        channel.advanceTimeBy(ms, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
    }

    @Test
    void aProbeRunOnTimeRecordsNoLag() {
        advanceMillis(LoopLag.PERIOD_MS);

        assertEquals(1, lag.count());
        assertEquals(0, lag.max(TimeUnit.NANOSECONDS));
    }

    @Test
    void aLoopThatGetsToTheProbeLateRecordsHowLate() {
        advanceMillis(LoopLag.PERIOD_MS);
        advanceMillis(LoopLag.PERIOD_MS + 30); // the loop was busy, or waiting for a CPU, for 30 ms past the moment

        assertEquals(2, lag.count());
        assertEquals(30, lag.max(TimeUnit.MILLISECONDS), 0.001);
        assertEquals(30, lag.totalTime(TimeUnit.MILLISECONDS), 0.001);
    }

    @Test
    void theNextProbeIsDueAPeriodAfterTheLateOneRan() {
        advanceMillis(LoopLag.PERIOD_MS + 30);
        advanceMillis(LoopLag.PERIOD_MS);

        assertEquals(2, lag.count());
        assertEquals(30, lag.totalTime(TimeUnit.MILLISECONDS), 0.001);
    }

    @Test
    void aStoppedProbeRecordsNothingMore() {
        advanceMillis(LoopLag.PERIOD_MS);
        probe.stop();
        channel.runPendingTasks();
        advanceMillis(5 * LoopLag.PERIOD_MS);

        assertEquals(1, lag.count());
    }
}
