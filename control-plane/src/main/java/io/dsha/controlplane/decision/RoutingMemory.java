package io.dsha.controlplane.decision;

/**
 * What ACTIVE_PASSIVE routing remembers between decisions: the backend that last took the traffic
 * (kept while everything is down, so the next choice knows where traffic came from), and whether
 * it got there by a failover, in which case returning to a better backend is a failback and
 * follows the failback policy. Without a failover (start-up, an added backend) traffic moves to the
 * best backend at once. {@code held}: traffic stays on an active backend that is down by a hair
 * rather than moving to a lagging one (see {@code Freshness.failoverHoldMs}).
 */
public record RoutingMemory(String lastActive, boolean failedOver, boolean held) {
    public static final RoutingMemory EMPTY = new RoutingMemory(null, false);

    public RoutingMemory(String lastActive, boolean failedOver) {
        this(lastActive, failedOver, false);
    }
}
