package io.dsha.api.topology;

/** What the operator wants of a backend: take traffic, finish what it has but take no new traffic, or take nothing at all. */
public enum AdminState {
    ENABLED, DRAIN, MAINTENANCE
}
