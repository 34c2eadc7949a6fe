package io.dsha.api.problem;

import java.util.List;

/** An RFC 9457 {@code application/problem+json} body, with every violation when input was refused. */
public record Problem(String type, String title, int status, String detail, List<Violation> violations) {

    public static final String MEDIA_TYPE = "application/problem+json";

    public Problem {
        violations = violations == null ? List.of() : List.copyOf(violations);
    }
}
