package io.dsha.health.schedule;

import io.dsha.api.health.Hysteresis;
import io.dsha.api.state.HealthStatus;
import io.dsha.health.probe.ProbeResult;
import java.time.Instant;

/**
 * One completed probe of one backend: the raw result, this checker's state after rise/fall
 * hysteresis, what the result did to it, when it completed and when the next probe is due.
 */
public record ProbeOutcome(String backendId, ProbeResult result, HealthStatus status, Hysteresis.Transition transition, Instant at,
        long nextDelayMs) {
}
