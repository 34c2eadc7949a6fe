package io.dsha.api.report;

/** The result of one probe or one proxied exchange. */
public enum ObservedStatus {
    UP, DOWN
}
