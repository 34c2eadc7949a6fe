package io.dsha.api.event;

/**
 * What happened. Operator edits, health verdicts, and the routing moves they caused.
 * {@code CHECKER_ISOLATED}/{@code CHECKER_REJOINED}: a checker's votes set aside (it saw every
 * backend fail while the others saw them up) and counted again. {@code DEGRADED}/{@code DEGRADED_ENDED}:
 * a backend's DEGRADED flag raised (with the reasons) and cleared. {@code LAG_STARTED}/{@code LAG_ENDED}:
 * a backend's data fell behind the freshest instance by more than the freshness check allows, and
 * caught up. {@code FAILOVER_HELD}: traffic kept on an active backend that is down by a hair
 * rather than moved to a lagging one. {@code DATA_GAP}: traffic moved to a lagging backend; the
 * message says how much data clients will miss. {@code INGEST_BACKLOG_STARTED}/{@code INGEST_BACKLOG_CLEARED}: a
 * proxy began holding records for a backend that did not take them (ingest routes), and delivered the last of them.
 * {@code INGEST_DIVERGED}: a backend refused (4xx) a record another instance accepted.
 */
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
    ALL_DOWN_ENDED,
    CHECKER_ISOLATED,
    CHECKER_REJOINED,
    DEGRADED,
    DEGRADED_ENDED,
    LAG_STARTED,
    LAG_ENDED,
    FAILOVER_HELD,
    DATA_GAP,
    INGEST_BACKLOG_STARTED,
    INGEST_BACKLOG_CLEARED,
    INGEST_DIVERGED
}
