package io.dsha.controlplane.topology;

import io.dsha.api.problem.Violation;
import java.util.List;

/**
 * A topology that does not validate, with every violation; nothing was changed. {@link Origin} tells
 * whether it was asked for (a topology, a mode or a backend put) or would be left behind by a removal.
 */
public final class InvalidTopology extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** How the invalid topology came about. */
    public enum Origin {
        /** The topology asked for, whole or as the result of a put. */
        REQUESTED,
        /** What a removal would leave. */
        LEFT_BY_REMOVAL
    }

    private final Origin origin;
    private final transient List<Violation> violations;

    public InvalidTopology(Origin origin, List<Violation> violations) {
        super(count(violations) + "; nothing was changed", null, false, false);
        this.origin = java.util.Objects.requireNonNull(origin, "origin");
        this.violations = List.copyOf(violations);
    }

    /** {@code "1 violation"}, {@code "3 violations"}. */
    public static String count(List<?> violations) {
        return violations.size() + (violations.size() == 1 ? " violation" : " violations");
    }

    public Origin origin() {
        return origin;
    }

    public List<Violation> violations() {
        return violations;
    }
}
