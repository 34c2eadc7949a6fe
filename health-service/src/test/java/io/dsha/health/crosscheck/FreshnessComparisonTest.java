package io.dsha.health.crosscheck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dsha.api.topology.Freshness;
import io.dsha.api.topology.FreshnessKind;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FreshnessComparisonTest {

    private static final Freshness TIMESTAMP = new Freshness("/status", "/ingest/lastRecordTime", null, 5000L, null, null, null);
    private static final Freshness COUNTER = new Freshness("/status", "/ingest/records", FreshnessKind.COUNTER, 100L, null, null, null);

    private static byte[] json(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void readsIsoTimesEpochMillisAndCounters() {
        assertEquals(1_767_225_600_000L, FreshnessComparison.read(TIMESTAMP, json("{\"ingest\":{\"lastRecordTime\":\"2026-01-01T00:00:00Z\"}}")));
        assertEquals(42L, FreshnessComparison.read(TIMESTAMP, json("{\"ingest\":{\"lastRecordTime\":42}}")));
        assertEquals(7L, FreshnessComparison.read(COUNTER, json("{\"ingest\":{\"records\":7}}")));
    }

    @Test
    void saysWhatIsWrongWithAnUnreadableValue() {
        assertEquals("the answer from /status has nothing at /ingest/lastRecordTime",
                assertThrows(IllegalArgumentException.class, () -> FreshnessComparison.read(TIMESTAMP, json("{}"))).getMessage());
        assertEquals("/ingest/lastRecordTime is not an ISO-8601 time: yesterday",
                assertThrows(IllegalArgumentException.class,
                        () -> FreshnessComparison.read(TIMESTAMP, json("{\"ingest\":{\"lastRecordTime\":\"yesterday\"}}"))).getMessage());
        assertEquals("the answer from /status is not JSON",
                assertThrows(IllegalArgumentException.class, () -> FreshnessComparison.read(TIMESTAMP, json("<html>"))).getMessage());
    }

    @Test
    void theInstanceBehindTheFreshestByMoreThanMaxLagIsLagging() {
        Map<String, Long> values = new LinkedHashMap<>();
        values.put("a", 100_000L);
        values.put("b", 94_000L);
        values.put("c", 96_000L);

        Map<String, FreshnessLag> lags = FreshnessComparison.compare(TIMESTAMP, values);

        assertEquals(0, lags.get("a").lag());
        assertFalse(lags.get("a").lagging());
        assertEquals(6000, lags.get("b").lag());
        assertTrue(lags.get("b").lagging());
        assertEquals("data lags the freshest instance (a) by more than 5000 ms", lags.get("b").reason());
        assertEquals(4000, lags.get("c").lag());
        assertFalse(lags.get("c").lagging(), "within maxLag");
    }

    @Test
    void countersLagInRecords() {
        Map<String, FreshnessLag> lags = FreshnessComparison.compare(COUNTER, Map.of("a", 1000L, "b", 850L));
        assertEquals("data lags the freshest instance (a) by more than 100 records", lags.get("b").reason());
    }
}
