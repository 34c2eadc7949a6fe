package io.dsha.api.state;

import java.util.List;
import java.util.Set;

/**
 * What the control plane believes about the proxy's own certificate, from the checkers that
 * completed a handshake with it lately ({@code liveCheckers}): flagged DEGRADED, with the reasons,
 * when a majority of them see a problem; {@code daysToExpiry} as the checkers last saw it.
 */
public record ListenerVerdict(Set<VerdictFlag> flags, List<String> degraded, int liveCheckers, Long daysToExpiry) {

    public ListenerVerdict {
        flags = Set.copyOf(flags);
        degraded = degraded == null || degraded.isEmpty() ? null : List.copyOf(degraded);
    }
}
