package io.dsha.health.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.dsha.api.report.Observation;
import io.dsha.api.report.ObservedStatus;
import io.dsha.health.report.PendingObservations;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class HealthMetricsTest {

    private static Observation obs(String id) {
        return Observation.of(id, ObservedStatus.UP, null, 1L, Instant.ofEpochSecond(1));
    }

    @Test
    void observationsRefusedByAFullBufferAreCounted() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        PendingObservations pending = new PendingObservations(2);
        new HealthMetrics(registry, pending);

        pending.offer(obs("a"));
        pending.offer(obs("b"));
        pending.offer(obs("a")); // replaces a's: nothing dropped
        assertEquals(0.0, registry.get("dsha_health_observations_dropped_total").functionCounter().count());

        pending.offer(obs("c"));
        pending.offer(obs("d"));
        assertEquals(2.0, registry.get("dsha_health_observations_dropped_total").functionCounter().count());
        assertEquals(2.0, registry.get("dsha_health_pending_observations").gauge().value());
    }
}
