package io.dsha.controlplane;

import io.dsha.api.problem.Violation;
import java.util.List;

/** A refusal with its HTTP status, title, detail and every violation; becomes {@code application/problem+json}. */
public final class ApiProblem extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String title;
    private final transient List<Violation> violations;

    public ApiProblem(int status, String title, String detail, List<Violation> violations) {
        super(detail, null, false, false);
        this.status = status;
        this.title = title;
        this.violations = List.copyOf(violations);
    }

    public int status() {
        return status;
    }

    public String title() {
        return title;
    }

    public List<Violation> violations() {
        return violations;
    }
}
