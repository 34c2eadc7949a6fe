package io.dsha.health.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.dsha.api.report.Observation;
import io.dsha.api.report.ObservedStatus;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PendingObservationsTest {

    private static Observation obs(String id, ObservedStatus s, long second) {
        return Observation.of(id, s, null, 1L, Instant.ofEpochSecond(second));
    }

    @Test
    void keepsOnlyTheNewestPerBackend() throws Exception {
        PendingObservations p = new PendingObservations(10);
        p.offer(obs("a", ObservedStatus.UP, 1));
        p.offer(obs("a", ObservedStatus.DOWN, 2));
        p.offer(obs("b", ObservedStatus.UP, 3));
        assertEquals(List.of(obs("a", ObservedStatus.DOWN, 2), obs("b", ObservedStatus.UP, 3)), p.await(0));
    }

    @Test
    void anAcknowledgementKeepsWhatArrivedWhileSending() throws Exception {
        PendingObservations p = new PendingObservations(10);
        p.offer(obs("a", ObservedStatus.UP, 1));
        p.offer(obs("b", ObservedStatus.UP, 1));
        List<Observation> sending = p.await(0);
        p.offer(obs("a", ObservedStatus.DOWN, 2));

        p.acknowledge(sending);

        assertEquals(List.of(obs("a", ObservedStatus.DOWN, 2)), p.await(0));
    }

    @Test
    void isBoundedAndForgetsRemovedBackends() throws Exception {
        PendingObservations p = new PendingObservations(2);
        p.offer(obs("a", ObservedStatus.UP, 1));
        p.offer(obs("b", ObservedStatus.UP, 1));
        assertFalse(p.offer(obs("c", ObservedStatus.UP, 1)));
        p.offer(obs("b", ObservedStatus.DOWN, 2));
        assertEquals(1, p.dropped());

        p.retain(Set.of("b"));

        assertEquals(List.of(obs("b", ObservedStatus.DOWN, 2)), p.await(0));
    }

    @Test
    void newsGoesAtOnceAndWhatTellsNothingNewWaitsItsTime() throws Exception {
        PendingObservations p = new PendingObservations(10);
        long later = System.nanoTime() + java.util.concurrent.TimeUnit.HOURS.toNanos(1);
        p.offer(obs("a", ObservedStatus.UP, 1));
        List<Observation> first = p.await(0, later);
        assertEquals(List.of(obs("a", ObservedStatus.UP, 1)), first, "never told: news");
        p.acknowledge(first);

        p.offer(obs("a", ObservedStatus.UP, 2));
        assertEquals(List.of(), p.await(0, later), "as told before: waits");
        assertEquals(List.of(obs("a", ObservedStatus.UP, 2)), p.await(0, System.nanoTime()), "its time has come");

        java.util.concurrent.CompletableFuture<List<Observation>> waiting = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return p.await(600_000, later);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        p.offer(obs("a", ObservedStatus.DOWN, 3));
        assertEquals(List.of(obs("a", ObservedStatus.DOWN, 3)), waiting.get(30, java.util.concurrent.TimeUnit.SECONDS),
                "a changed result wakes the reporter at once");
    }
}
