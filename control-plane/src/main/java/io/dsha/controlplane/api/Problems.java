package io.dsha.controlplane.api;

import io.dsha.api.problem.Problem;
import io.dsha.api.problem.Violation;
import jakarta.ws.rs.core.Response;
import java.util.List;

/** Builds {@code application/problem+json} responses, the only shape a refusal takes. */
final class Problems {

    private Problems() {
    }

    static Response response(int status, String title, String detail, List<Violation> violations) {
        return Response.status(status)
                .type(Problem.MEDIA_TYPE)
                .entity(new Problem("about:blank", title, status, detail, violations))
                .build();
    }

    static Response response(int status, String title, String detail) {
        return response(status, title, detail, List.of());
    }
}
