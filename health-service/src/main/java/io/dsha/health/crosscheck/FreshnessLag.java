package io.dsha.health.crosscheck;

/**
 * How far one instance's data is behind the freshest one ({@code lag}, in the freshness check's
 * unit), which instance is the freshest, and whether the lag exceeds what the check allows.
 * {@code reason} says so in words when it does (stable text: the exact lag is in {@code lag}).
 */
public record FreshnessLag(String backendId, long lag, String freshest, boolean lagging, String reason) {
}
