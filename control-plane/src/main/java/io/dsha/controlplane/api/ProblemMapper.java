package io.dsha.controlplane.api;

import io.dsha.controlplane.ApiProblem;
import io.dsha.controlplane.decision.FailbackRefused;
import io.dsha.controlplane.store.RevisionMismatch;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import java.io.UncheckedIOException;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Maps every failure of the API to {@code application/problem+json}, in one place. */
public class ProblemMapper {

    private static final Logger LOG = Logger.getLogger(ProblemMapper.class);

    @ServerExceptionMapper
    public Response apiProblem(ApiProblem e) {
        return Problems.response(e.status(), e.title(), e.getMessage(), e.violations());
    }

    @ServerExceptionMapper
    public Response revisionMismatch(RevisionMismatch e) {
        return Response.fromResponse(Problems.response(412, "Precondition Failed", e.getMessage() + "; nothing was changed"))
                .tag(String.valueOf(e.actual()))
                .build();
    }

    @ServerExceptionMapper
    public Response failbackRefused(FailbackRefused e) {
        return Problems.response(409, "Failback refused", e.getMessage());
    }

    @ServerExceptionMapper
    public Response notWritten(UncheckedIOException e) {
        LOG.error(e.getMessage());
        return Problems.response(503, "State not written", e.getMessage());
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        String title = Response.Status.fromStatusCode(status) != null ? Response.Status.fromStatusCode(status).getReasonPhrase() : "Error";
        String detail = switch (status) {
            case 415 -> "send the body as Content-Type: application/json (or application/yaml for a topology)";
            case 406 -> "this API answers application/json";
            default -> e.getMessage();
        };
        return Problems.response(status, title, detail);
    }

    @ServerExceptionMapper
    public Response unexpected(RuntimeException e) {
        LOG.error("Unexpected failure in the API", e);
        return Problems.response(500, "Internal Server Error", "unexpected failure: " + e.getClass().getSimpleName() + "; see the control plane's log");
    }
}
