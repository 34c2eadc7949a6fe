package io.dsha.api.topology;

/** How traffic is spread over the backends: one active at a time (the lowest priority that is up), or every backend that is up, by weight. */
public enum Mode {
    ACTIVE_PASSIVE, ACTIVE_ACTIVE
}
