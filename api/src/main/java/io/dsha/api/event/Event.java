package io.dsha.api.event;

import java.time.Instant;

/**
 * One entry of the bounded event history. {@code actor}: who caused it (the operator named by the
 * request, or {@code control-plane} for decisions). {@code from}/{@code to}: the before and after of
 * what changed (a status, a mode, an active backend), when that applies.
 */
public record Event(
        long seq,
        Instant at,
        long revision,
        EventType type,
        String actor,
        String backendId,
        String from,
        String to,
        String message) {

    public Event withSequence(long newSeq, long newRevision) {
        return new Event(newSeq, at, newRevision, type, actor, backendId, from, to, message);
    }
}
