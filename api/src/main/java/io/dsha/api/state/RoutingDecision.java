package io.dsha.api.state;

import java.time.Instant;
import java.util.List;

/**
 * Which backends receive traffic now. {@code active}: new requests go here (one backend in
 * ACTIVE_PASSIVE; every serving backend in ACTIVE_ACTIVE, to be weighted by the topology's weights).
 * {@code standby}: where to go next, in order, if the active ones fail. When {@code allDown} is
 * true nothing is believed up: {@code active} is empty and {@code standby} lists every ENABLED
 * backend in priority order for proxies whose topology says {@code allDown: TRY_ALL}.
 * {@code draining}: backends that keep their existing connections but take no new ones.
 * {@code pendingFailback}: a preferred backend that is up again but waits for the failback policy
 * (until {@code failbackAt} for AUTO; for an operator's {@code POST /api/v1/failback} for MANUAL).
 */
public record RoutingDecision(
        List<String> active,
        List<String> standby,
        List<String> draining,
        boolean allDown,
        String pendingFailback,
        Instant failbackAt,
        String reason) {

    public static final RoutingDecision NONE =
            new RoutingDecision(List.of(), List.of(), List.of(), true, null, null, "no topology");

    public RoutingDecision {
        active = List.copyOf(active);
        standby = List.copyOf(standby);
        draining = List.copyOf(draining);
    }
}
