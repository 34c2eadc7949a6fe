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
        private final Object subject;
        private final Runnable action;
        private Deadline prev;
        private Deadline next;
        private Deadlines owner;

        private Deadline(long at, Object subject, Runnable action) {
            this.at = at;
            this.subject = subject;
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

    /** Cancels {@code d}, if there is one. */
    static void cancel(Deadline d) {
        if (d != null) {
            d.cancel();
        }
    }

    Deadline add(long nowNanos, Runnable action) {
        return add(nowNanos, null, action);
    }

    /** A deadline that names what waits for it: {@link #subjects} lists them. */
    Deadline add(long nowNanos, Object subject, Runnable action) {
        Deadline d = new Deadline(nowNanos + durationNanos, subject, action);
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

    /** What the pending deadlines were added for (those added with a subject), oldest first; a copy. */
    java.util.List<Object> subjects() {
        java.util.List<Object> all = new java.util.ArrayList<>(size);
        for (Deadline d = head; d != null; d = d.next) {
            if (d.subject != null) {
                all.add(d.subject);
            }
        }
        return all;
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
