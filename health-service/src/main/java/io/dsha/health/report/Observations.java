package io.dsha.health.report;

import io.dsha.api.report.Observation;
import io.dsha.api.report.ObservedStatus;
import io.dsha.health.crosscheck.FreshnessLag;
import io.dsha.health.schedule.ProbeOutcome;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a probe's outcome, with the latest certificate (problems, days to expiry) and freshness
 * findings, into the observation to report: the raw result and this checker's view after rise/fall
 * ({@code health}), which the control plane takes as it is.
 */
public final class Observations {

    private static final int MAX_REASON = 512;

    private Observations() {
    }

    /** {@code lag}: the backend's latest freshness comparison, or null. */
    public static Observation of(ProbeOutcome outcome, FreshnessLag lag) {
        List<String> degraded = new ArrayList<>();
        if (outcome.result().certificate() != null) {
            outcome.result().certificate().problems().stream().map(Observations::cut).forEach(degraded::add);
        }
        if (lag != null && lag.lagging()) {
            degraded.add(cut(lag.reason()));
        }
        return Observation.of(outcome.backendId(), outcome.result().ok() ? ObservedStatus.UP : ObservedStatus.DOWN,
                        outcome.result().reason() == null ? null : cut(outcome.result().reason()),
                        Math.min(outcome.result().latencyMs(), 3_600_000), outcome.at())
                .withDegraded(degraded.size() > 16 ? degraded.subList(0, 16) : degraded)
                .withLag(lag == null ? null : lag.lag())
                .withDaysToExpiry(outcome.result().certificate() == null ? null : outcome.result().certificate().daysToExpiry())
                .withHealth(outcome.status());
    }

    private static String cut(String s) {
        return s.length() <= MAX_REASON ? s : s.substring(0, MAX_REASON - 1) + "…";
    }
}
