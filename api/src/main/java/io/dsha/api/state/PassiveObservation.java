package io.dsha.api.state;

import java.time.Instant;

/** The latest failure a proxy saw on real traffic to a backend (connection refused, reset, timeout). */
public record PassiveObservation(String reporterId, String reason, Instant at, long count) {
}
