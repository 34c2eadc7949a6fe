package io.dsha.health.crosscheck;

import com.fasterxml.jackson.databind.JsonNode;
import io.dsha.api.json.DshaJson;
import io.dsha.api.topology.Freshness;
import io.dsha.api.topology.FreshnessKind;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;

/** Reads freshness values and compares the instances. Pure. */
public final class FreshnessComparison {

    private FreshnessComparison() {
    }

    /**
     * The value at the check's JSON pointer: a TIMESTAMP as epoch milliseconds (from ISO-8601 text or
     * a number of milliseconds), a COUNTER as a whole number.
     */
    public static long read(Freshness f, byte[] json) {
        JsonNode root;
        try {
            root = DshaJson.mapper().readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("the answer from " + f.path() + " is not JSON");
        }
        JsonNode node = root == null ? null : root.at(f.pointer());
        if (node == null || node.isMissingNode() || node.isNull()) {
            throw new IllegalArgumentException("the answer from " + f.path() + " has nothing at " + f.pointer());
        }
        if (node.isIntegralNumber()) {
            return node.longValue();
        }
        if (node.isTextual() && f.kind() == FreshnessKind.TIMESTAMP) {
            try {
                return Instant.parse(node.textValue()).toEpochMilli();
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException(f.pointer() + " is not an ISO-8601 time: " + node.textValue());
            }
        }
        throw new IllegalArgumentException(f.pointer() + " must be " + (f.kind() == FreshnessKind.TIMESTAMP
                ? "an ISO-8601 time or epoch milliseconds" : "a whole number") + ", found " + node.getNodeType());
    }

    /** Each instance's lag behind the freshest of {@code values} (instances without a value are left out). */
    public static Map<String, FreshnessLag> compare(Freshness f, Map<String, Long> values) {
        Map<String, FreshnessLag> lags = new LinkedHashMap<>();
        if (values.isEmpty()) {
            return lags;
        }
        Map.Entry<String, Long> freshest = values.entrySet().stream()
                .max(Map.Entry.<String, Long>comparingByValue().thenComparing(Map.Entry.comparingByKey(Comparator.reverseOrder())))
                .orElseThrow();
        values.forEach((id, value) -> {
            long lag = Math.max(0, freshest.getValue() - value);
            boolean lagging = lag > f.maxLag();
            String reason = lagging ? "data lags the freshest instance (" + freshest.getKey() + ") by more than " + f.describeLag(f.maxLag()) : null;
            lags.put(id, new FreshnessLag(id, lag, freshest.getKey(), lagging, reason));
        });
        return lags;
    }
}
