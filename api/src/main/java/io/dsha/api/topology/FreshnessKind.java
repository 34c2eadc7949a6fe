package io.dsha.api.topology;

/**
 * What the freshness value of an instance is: the time of the newest data it ingested (ISO-8601
 * text or epoch milliseconds), or a counter that only grows (records ingested).
 */
public enum FreshnessKind {
    TIMESTAMP, COUNTER
}
