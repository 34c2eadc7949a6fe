package io.dsha.controlplane.api;

/** What a bearer token may do. ADMIN may do everything AGENT may. */
public enum Role {
    /** Proxies and checkers: read state, watch, report. */
    AGENT,
    /** Operators: change topology, mode, backends, fail back. */
    ADMIN
}
