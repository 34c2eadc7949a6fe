package io.dsha.proxy.balance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Local ejection back-off, on a driven clock (nanoseconds). */
class TargetTest {

    private static final Duration BASE = Duration.ofSeconds(1);
    private static final Duration MAX = Duration.ofSeconds(30);
    private static final long S = 1_000_000_000L;

    @Test
    void requestsFailingTogetherAreOneEjectionNotAnEscalation() {
        Target t = new Target("a", "127.0.0.1", 1, 1);
        assertEquals(BASE, t.eject(0, BASE, MAX));
        // The other requests in flight fail a moment later: same episode.
        for (int i = 1; i <= 15; i++) {
            assertEquals(Duration.ZERO, t.eject(i * 1_000_000L, BASE, MAX));
        }
        assertTrue(t.ejected(S - 1));
        assertFalse(t.ejected(S), "set aside for the base back-off only");
    }

    @Test
    void aFailureAfterTheBackOffDoublesItUntilMaxAndASuccessResetsIt() {
        Target t = new Target("a", "127.0.0.1", 1, 1);
        long now = 0;
        long[] expected = {1, 2, 4, 8, 16, 30, 30};
        for (long seconds : expected) {
            Duration d = t.eject(now, BASE, MAX);
            assertEquals(Duration.ofSeconds(seconds), d);
            now += d.toNanos();
        }
        t.succeeded();
        assertEquals(BASE, t.eject(now, BASE, MAX));
    }
}
