package io.dsha.controlplane.api;

import io.dsha.api.problem.Violation;
import java.util.List;

/**
 * A request the REST layer itself refuses (a malformed header, a query parameter out of range, a body
 * that does not bind), with its HTTP status, title, detail and every violation. The domain throws its
 * own typed exceptions instead; {@link ProblemMapper} turns both into {@code application/problem+json}.
 */
final class ApiProblem extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String title;
    private final transient List<Violation> violations;

    ApiProblem(int status, String title, String detail, List<Violation> violations) {
        super(detail, null, false, false);
        this.status = status;
        this.title = title;
        this.violations = List.copyOf(violations);
    }

    int status() {
        return status;
    }

    String title() {
        return title;
    }

    List<Violation> violations() {
        return violations;
    }
}
