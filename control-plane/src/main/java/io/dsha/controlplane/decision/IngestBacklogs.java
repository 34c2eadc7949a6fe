package io.dsha.controlplane.decision;

/**
 * Records of ingest backlog per backend: accepted by the proxies on their ingest routes and not yet delivered to it,
 * summed over the proxies heard from lately. The {@link DecisionEngine} reads it as it reads its clock: a backend being
 * replayed to is missing records the others have. In memory on the control plane that decides, never in the state.
 */
@FunctionalInterface
public interface IngestBacklogs {

    /** Nobody holds anything: no ingest routes, or no proxy reports them. */
    IngestBacklogs NONE = backendId -> 0;

    /** Records held for {@code backendId}; 0 when none. */
    long records(String backendId);
}
