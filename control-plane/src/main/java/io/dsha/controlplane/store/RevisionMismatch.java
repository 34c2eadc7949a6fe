package io.dsha.controlplane.store;

/** An {@code If-Match} revision that is not the topology's current one. */
public final class RevisionMismatch extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final long expected;
    private final long actual;

    public RevisionMismatch(long expected, long actual) {
        super("If-Match names revision " + expected + " but the topology is at revision " + actual, null, false, false);
        this.expected = expected;
        this.actual = actual;
    }

    public long expected() {
        return expected;
    }

    public long actual() {
        return actual;
    }
}
