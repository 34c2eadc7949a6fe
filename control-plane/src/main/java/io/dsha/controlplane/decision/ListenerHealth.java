package io.dsha.controlplane.decision;

import io.dsha.api.report.ListenerObservation;
import io.dsha.api.state.ListenerVerdict;
import io.dsha.api.state.VerdictFlag;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the checkers found about the proxy's own certificate: each checker's latest finding, and the
 * reasons behind the DEGRADED flag as last decided (empty without it). Immutable.
 */
public record ListenerHealth(Map<String, Finding> findings, List<String> degraded, int liveCheckers, Long daysToExpiry) {

    public static final ListenerHealth NONE = new ListenerHealth(Map.of(), List.of(), 0, null);

    /** One checker's latest finding and when it arrived. */
    public record Finding(ListenerObservation observation, Instant receivedAt) {
    }

    public ListenerHealth {
        findings = Map.copyOf(findings);
        degraded = List.copyOf(degraded);
    }

    ListenerHealth withFindings(Map<String, Finding> newFindings) {
        return new ListenerHealth(newFindings, degraded, liveCheckers, daysToExpiry);
    }

    /** The public view, or null when no checker has reported on the listener. */
    public ListenerVerdict view() {
        if (findings.isEmpty()) {
            return null;
        }
        return new ListenerVerdict(degraded.isEmpty() ? Set.of() : Set.of(VerdictFlag.DEGRADED), degraded, liveCheckers, daysToExpiry);
    }

    /** Equal in what a watcher must hear about (the checkers' timestamps aside). */
    boolean sameAs(ListenerHealth other) {
        return degraded.equals(other.degraded) && liveCheckers == other.liveCheckers && findings.keySet().equals(other.findings.keySet());
    }
}
