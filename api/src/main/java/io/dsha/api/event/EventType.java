package io.dsha.api.event;

/** What happened. Operator edits, health verdicts, and the routing moves they caused. */
public enum EventType {
    TOPOLOGY_REPLACED,
    MODE_CHANGED,
    BACKEND_ADDED,
    BACKEND_UPDATED,
    BACKEND_REMOVED,
    ADMIN_STATE_CHANGED,
    VERDICT_CHANGED,
    ACTIVE_SELECTED,
    FAILOVER,
    FAILBACK,
    FAILBACK_PENDING,
    ROUTING_CHANGED,
    ALL_DOWN,
    ALL_DOWN_ENDED
}
