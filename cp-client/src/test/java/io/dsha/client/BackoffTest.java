package io.dsha.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BackoffTest {

    private double random;

    private List<Long> pauses(Backoff b, int n) {
        List<Long> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(b.nextMs());
        }
        return out;
    }

    @Test
    void theStandardPausesDoubleFromAQuarterSecondToFiveSeconds() {
        Backoff b = new Backoff(Backoff.MIN, Backoff.MAX, Backoff.JITTER, () -> random);
        assertEquals(List.of(250L, 500L, 1000L, 2000L, 4000L, 5000L, 5000L), pauses(b, 7));
        b.reset();
        assertEquals(250L, b.nextMs());
    }

    @Test
    void jitterShortensAPauseByUpToItsFraction() {
        Backoff b = new Backoff(Duration.ofMillis(1000), Duration.ofMillis(1000), 0.2, () -> random);
        random = 0.5;
        assertEquals(900L, b.nextMs());
        random = 0.999_999;
        assertEquals(801L, b.nextMs());
    }

    @Test
    void nonsenseIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ZERO, Duration.ofSeconds(1), 0.2, () -> 0));
        assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1), 0.2, () -> 0));
        assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(1), 1.0, () -> 0));
    }
}
