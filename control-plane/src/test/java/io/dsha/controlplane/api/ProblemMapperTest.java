package io.dsha.controlplane.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.dsha.api.problem.Problem;
import io.dsha.api.problem.Violation;
import io.dsha.controlplane.BackendIdMismatch;
import io.dsha.controlplane.NoTopology;
import io.dsha.controlplane.UnknownBackend;
import io.dsha.controlplane.decision.FailbackRefused;
import io.dsha.controlplane.store.RevisionMismatch;
import io.dsha.controlplane.topology.InvalidTopology;
import jakarta.ws.rs.core.Response;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each typed refusal of the domain, as the one mapper puts it on the wire. */
class ProblemMapperTest {

    private final ProblemMapper mapper = new ProblemMapper();

    @Test
    void invalidTopologyIsA400WhenAskedForAndA409WhenARemovalWouldLeaveIt() {
        List<Violation> violations = List.of(new Violation("backends", "must list at least one backend"));
        assertProblem(mapper.invalidTopology(new InvalidTopology(InvalidTopology.Origin.REQUESTED, violations)),
                400, "Invalid topology", "1 violation; nothing was changed", violations);
        List<Violation> two = List.of(new Violation("a", "x"), new Violation("b", "y"));
        assertProblem(mapper.invalidTopology(new InvalidTopology(InvalidTopology.Origin.LEFT_BY_REMOVAL, two)),
                409, "Change would leave an invalid topology", "2 violations; nothing was changed", two);
    }

    @Test
    void refusalsAboutBackendsAndTheMissingTopology() {
        assertProblem(mapper.backendIdMismatch(new BackendIdMismatch("a", "other")), 400, "Invalid backend",
                "the body's id does not match the path", List.of(new Violation("id", "'other' does not match the id in the path ('a')")));
        assertProblem(mapper.unknownBackend(new UnknownBackend("c", List.of("a", "b"))), 404, "No such backend",
                "backend 'c' is not in the topology (backends: a, b)", List.of());
        assertProblem(mapper.noTopology(new NoTopology()), 409, "No topology",
                "no topology has been declared yet: PUT /api/v1/topology first", List.of());
        assertProblem(mapper.failbackRefused(new FailbackRefused("nothing to fail back: a is UP")), 409, "Failback refused",
                "nothing to fail back: a is UP", List.of());
    }

    @Test
    void aRevisionMismatchCarriesTheCurrentRevisionAsItsETag() {
        Response r = mapper.revisionMismatch(new RevisionMismatch(3, 5));
        assertProblem(r, 412, "Precondition Failed", "If-Match names revision 3 but the topology is at revision 5; nothing was changed", List.of());
        assertEquals("5", r.getEntityTag().getValue());
    }

    private static void assertProblem(Response r, int status, String title, String detail, List<Violation> violations) {
        assertEquals(status, r.getStatus());
        assertEquals(Problem.MEDIA_TYPE, r.getMediaType().toString());
        assertEquals(new Problem("about:blank", title, status, detail, violations), r.getEntity());
    }
}
