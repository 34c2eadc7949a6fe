package io.dsha.api.state;

import io.dsha.api.topology.Topology;
import java.util.List;

/**
 * Everything a proxy needs at one {@code revision}: the topology, a verdict per backend (in the
 * topology's order) and the routing decision. {@code topologyRevision} is the revision at which the
 * topology last changed: the value {@code If-Match} compares against. {@code topology} is null
 * until one has been declared. {@code listener}: what checkers found about the proxy's own
 * certificate (absent until one reports on it).
 */
public record StateSnapshot(
        long revision,
        long topologyRevision,
        Topology topology,
        List<Verdict> verdicts,
        RoutingDecision routing,
        ListenerVerdict listener) {

    public StateSnapshot {
        verdicts = List.copyOf(verdicts);
    }

    /** A snapshot without a finding about the proxy's certificate. */
    public StateSnapshot(long revision, long topologyRevision, Topology topology, List<Verdict> verdicts, RoutingDecision routing) {
        this(revision, topologyRevision, topology, verdicts, routing, null);
    }
}
