package io.dsha.api.topology;

/** How traffic returns to a preferred backend after a failover: by itself after a delay of continuous health, or only when an operator asks. */
public enum FailbackPolicy {
    AUTO, MANUAL
}
