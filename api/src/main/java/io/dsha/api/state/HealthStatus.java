package io.dsha.api.state;

/**
 * The control plane's belief about a backend. {@code UNKNOWN}: nobody has observed it yet.
 * {@code DEGRADED}: it answers but is not fit to be preferred (reserved for the freshness
 * cross-check; still serves when nothing better exists).
 */
public enum HealthStatus {
    UP, DOWN, DEGRADED, UNKNOWN
}
