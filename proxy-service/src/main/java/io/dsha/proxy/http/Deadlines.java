package io.dsha.proxy.http;

/**
 * Deadlines of one kind (one duration) on one event loop. Because every deadline here is "now +
 * the same duration", adding at the tail keeps the list in deadline order: adding, cancelling and
 * expiring are O(1), with no timer per request. One periodic tick of the event loop calls
 * {@link #expire}. Not thread-safe: used from its event loop only.
 */
final class Deadlines {

    /** A pending deadline; {@link #cancel} it when the awaited thing happened. */
    static final class Deadline {
        private final long at;
        private final Runnable action;
        private Deadline prev;
        private Deadline next;
        private Deadlines owner;

        private Deadline(long at, Runnable action) {
            this.at = at;
            this.action = action;
        }

        void cancel() {
            if (owner != null) {
                owner.unlink(this);
            }
        }
    }

    private final long durationNanos;
    private Deadline head;
    private Deadline tail;
    private int size;

    Deadlines(long durationMillis) {
        this.durationNanos = durationMillis * 1_000_000L;
    }

    Deadline add(long nowNanos, Runnable action) {
        Deadline d = new Deadline(nowNanos + durationNanos, action);
        d.owner = this;
        d.prev = tail;
        if (tail == null) {
            head = d;
        } else {
            tail.next = d;
        }
        tail = d;
        size++;
        return d;
    }

    /** Runs the action of every deadline that has passed. */
    void expire(long nowNanos) {
        while (head != null && head.at - nowNanos <= 0) {
            Deadline d = head;
            unlink(d);
            d.action.run();
        }
    }

    int size() {
        return size;
    }

    private void unlink(Deadline d) {
        if (d.prev == null) {
            head = d.next;
        } else {
            d.prev.next = d.next;
        }
        if (d.next == null) {
            tail = d.prev;
        } else {
            d.next.prev = d.prev;
        }
        d.prev = null;
        d.next = null;
        d.owner = null;
        size--;
    }
}
