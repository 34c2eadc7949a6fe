package io.dsha.proxy.ingest;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * One record a data source sent on an ingest route: the request as it goes to every instance (method, target,
 * end-to-end headers with the idempotency key among them, body), the instances it is for, and what became of it at
 * each. Owned by the {@link Ingest} loop; not thread-safe.
 */
final class IngestRecord {

    /** What one instance did with the record. */
    enum Outcome {
        /** Not delivered yet (waiting, or on its way). */
        PENDING,
        /** Answered 2xx: stored there. */
        ACCEPTED,
        /** Answered 4xx: it will not take it; never sent again. */
        REFUSED,
        /** Its instance left the topology (or the record was given up): never delivered. */
        DROPPED,
    }

    final long seq;
    final String key;
    final String method;
    final String uri;
    /** End-to-end headers, in order, as name/value pairs; the idempotency header is among them. */
    final List<Map.Entry<String, String>> headers;
    final byte[] body;
    final long acceptedAtMillis;
    /** The instances it is for (ENABLED when it was accepted). */
    final String[] targets;
    /** Who sent it: records of one source go to an instance one at a time, in order. */
    final Object source;
    /** Bytes it holds in the journal (and in memory). */
    final int size;
    private final Outcome[] outcomes;
    private int pending;
    /** Given up before any instance took it: skipped wherever it still waits. */
    boolean aborted;
    /** The source waiting for its acknowledgement, or null (replayed from the journal, or already answered). */
    java.util.function.Consumer<IngestAnswer> waiter;
    /** Whether the source waits for every instance ({@code ack: ALL}) rather than the first. */
    boolean ackAll;
    /** Instances it is on its way to right now. */
    int sending;
    /** While a source waits: why each instance has not taken it yet (null: no failure so far). */
    String[] failures;
    /** While a source waits: whether an instance may have stored it without saying so (no answer in time, a reset). */
    boolean[] inDoubt;
    IngestAnswer firstAccepted;
    IngestAnswer firstRefused;
    /** Whether a divergence (one instance refused what another accepted) was counted for it. */
    boolean divergenceCounted;
    /** The acknowledgement deadline's timer, or -1. */
    long deadline = -1;

    IngestRecord(long seq, String key, String method, String uri, List<Map.Entry<String, String>> headers, byte[] body,
            long acceptedAtMillis, String[] targets, Object source) {
        this.seq = seq;
        this.key = key;
        this.method = method;
        this.uri = uri;
        this.headers = headers;
        this.body = body;
        this.acceptedAtMillis = acceptedAtMillis;
        this.targets = targets;
        this.source = source;
        this.outcomes = new Outcome[targets.length];
        java.util.Arrays.fill(outcomes, Outcome.PENDING);
        this.pending = targets.length;
        int s = 64 + body.length + utf8(key) + utf8(method) + utf8(uri);
        for (Map.Entry<String, String> h : headers) {
            s += 8 + utf8(h.getKey()) + utf8(h.getValue());
        }
        for (String t : targets) {
            s += 2 + utf8(t);
        }
        this.size = s;
    }

    private static int utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    int index(String backend) {
        for (int i = 0; i < targets.length; i++) {
            if (targets[i].equals(backend)) {
                return i;
            }
        }
        return -1;
    }

    Outcome outcome(int i) {
        return outcomes[i];
    }

    /** Sets instance {@code i}'s outcome once; false when it had one already. */
    boolean settle(int i, Outcome o) {
        if (outcomes[i] != Outcome.PENDING) {
            return false;
        }
        outcomes[i] = o;
        pending--;
        return true;
    }

    /** Every instance has its outcome: the record is done with. */
    boolean settled() {
        return pending == 0;
    }

    boolean any(Outcome o) {
        for (Outcome x : outcomes) {
            if (x == o) {
                return true;
            }
        }
        return false;
    }
}
