package io.dsha.controlplane.api;

import io.dsha.api.problem.Violation;
import io.dsha.controlplane.BackendIdMismatch;
import io.dsha.controlplane.NoTopology;
import io.dsha.controlplane.UnknownBackend;
import io.dsha.controlplane.decision.FailbackRefused;
import io.dsha.controlplane.store.NotLeader;
import io.dsha.controlplane.store.RevisionMismatch;
import io.dsha.controlplane.topology.InvalidTopology;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import java.io.UncheckedIOException;
import java.util.List;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * Maps every failure of the API to {@code application/problem+json}, in one place: the domain's typed
 * refusals each get their status and title here, and nowhere else.
 */
public class ProblemMapper {

    private static final Logger LOG = Logger.getLogger(ProblemMapper.class);

    @ServerExceptionMapper
    public Response apiProblem(ApiProblem e) {
        return Problems.response(e.status(), e.title(), e.getMessage(), e.violations());
    }

    @ServerExceptionMapper
    public Response invalidTopology(InvalidTopology e) {
        return switch (e.origin()) {
            case REQUESTED -> Problems.response(400, "Invalid topology", e.getMessage(), e.violations());
            case LEFT_BY_REMOVAL -> Problems.response(409, "Change would leave an invalid topology", e.getMessage(), e.violations());
        };
    }

    @ServerExceptionMapper
    public Response backendIdMismatch(BackendIdMismatch e) {
        return Problems.response(400, "Invalid backend", e.getMessage(),
                List.of(new Violation("id", "'" + e.bodyId() + "' does not match the id in the path ('" + e.pathId() + "')")));
    }

    @ServerExceptionMapper
    public Response noTopology(NoTopology e) {
        return Problems.response(409, "No topology", e.getMessage());
    }

    @ServerExceptionMapper
    public Response unknownBackend(UnknownBackend e) {
        return Problems.response(404, "No such backend", e.getMessage());
    }

    @ServerExceptionMapper
    public Response revisionMismatch(RevisionMismatch e) {
        return Response.fromResponse(Problems.response(412, "Precondition Failed", e.getMessage() + "; nothing was changed"))
                .tag(String.valueOf(e.actual()))
                .build();
    }

    @ServerExceptionMapper
    public Response notLeader(NotLeader e) {
        return Response.fromResponse(Problems.response(503, "Not the leader", e.getMessage() + "; send it again"))
                .header("Retry-After", "1")
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
