package io.dsha.controlplane;

/** A change to part of the topology before any topology was declared. */
public final class NoTopology extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public NoTopology() {
        super("no topology has been declared yet: PUT /api/v1/topology first", null, false, false);
    }
}
