package io.dsha.controlplane.topology;

import io.dsha.api.topology.Topology;
import java.util.Objects;

/**
 * A topology that has passed {@link TopologyValidator}: only this package makes one, so a method that
 * takes it needs not validate again.
 */
public final class ValidTopology {

    private final Topology topology;

    ValidTopology(Topology topology) {
        this.topology = Objects.requireNonNull(topology, "topology");
    }

    public Topology topology() {
        return topology;
    }

    @Override
    public String toString() {
        return topology.toString();
    }
}
