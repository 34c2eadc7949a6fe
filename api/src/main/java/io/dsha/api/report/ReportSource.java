package io.dsha.api.report;

/**
 * Who observed: a health-service checker (its observations vote) or a proxy (passive observations
 * from real traffic, recorded and shown but not voting: a proxy sees only its own path).
 */
public enum ReportSource {
    CHECKER, PROXY
}
