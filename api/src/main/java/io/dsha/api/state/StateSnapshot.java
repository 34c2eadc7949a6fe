package io.dsha.api.state;

import io.dsha.api.topology.Topology;
import java.util.List;

/**
 * Everything a proxy needs at one {@code revision}: the topology, a verdict per backend (in the
 * topology's order) and the routing decision. {@code topologyRevision} is the revision at which the
 * topology last changed: the value {@code If-Match} compares against. {@code topology} is null
 * until one has been declared.
 */
public record StateSnapshot(
        long revision,
        long topologyRevision,
        Topology topology,
        List<Verdict> verdicts,
        RoutingDecision routing) {

    public StateSnapshot {
        verdicts = List.copyOf(verdicts);
    }
}
