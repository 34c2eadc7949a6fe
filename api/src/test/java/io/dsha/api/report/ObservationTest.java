package io.dsha.api.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.dsha.api.state.HealthStatus;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ObservationTest {

    private static final Instant AT = Instant.parse("2026-12-07T12:00:00Z");

    @Test
    void aPlainResultSaysNothingMore() {
        Observation o = Observation.of("a", ObservedStatus.UP, null, 3L, AT);
        assertEquals(new Observation("a", ObservedStatus.UP, null, 3L, AT, null, null, null, null), o);
    }

    @Test
    void eachWitherChangesItsFieldAndKeepsTheOthers() {
        Observation o = Observation.of("a", ObservedStatus.DOWN, "connection refused", 3L, AT)
                .withDegraded(List.of("certificate expires in 5 days")).withLag(1200L).withDaysToExpiry(5L).withHealth(HealthStatus.DOWN);
        assertEquals(new Observation("a", ObservedStatus.DOWN, "connection refused", 3L, AT, List.of("certificate expires in 5 days"), 1200L, 5L,
                HealthStatus.DOWN), o);
        assertEquals(o, o.withHealth(HealthStatus.UP).withHealth(HealthStatus.DOWN));
        assertNull(o.withDegraded(List.of()).degraded(), "no reasons: absent, as on the wire");
    }
}
