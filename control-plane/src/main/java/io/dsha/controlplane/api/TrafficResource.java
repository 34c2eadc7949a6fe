package io.dsha.controlplane.api;

import io.dsha.api.topology.Backend;
import io.dsha.api.topology.Topology;
import io.dsha.api.traffic.Traffic;
import io.dsha.api.traffic.TrafficReport;
import io.dsha.controlplane.ControlPlane;
import io.dsha.controlplane.topology.TopologyValidator;
import io.dsha.controlplane.traffic.IngestWatch;
import io.dsha.controlplane.traffic.TrafficBoard;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.logging.Logger;

/**
 * The proxies' request rates and ingest backlogs per backend: reported by proxies, read by the status page. Never part
 * of the revisioned state; a backlog that starts, clears or diverges is an event (a revision, as every event is), and
 * the decision engine reads the backlogs to hold a failover.
 */
@Path("/api/v1/traffic")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "traffic", description = "Request rates the proxies report, per backend")
public class TrafficResource {

    private final ControlPlane controlPlane;
    private final TopologyValidator validator;
    private static final Logger LOG = Logger.getLogger(TrafficResource.class);

    private final TrafficBoard board;
    private final IngestWatch ingest;

    TrafficResource(ControlPlane controlPlane, TopologyValidator validator, TrafficBoard board, IngestWatch ingest) {
        this.controlPlane = controlPlane;
        this.validator = validator;
        this.board = board;
        this.ingest = ingest;
    }

    @GET
    @Operation(summary = "Requests per second and ingest backlog per backend, summed over the proxies heard from lately")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = Traffic.class)))
    public Traffic traffic() {
        Topology t = controlPlane.current().state().topology();
        return board.view(t == null ? List.of() : t.backends().stream().map(Backend::id).toList());
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "A proxy's request rate (and ingest backlog) per backend over its last window; replaces what it reported before")
    @RequestBody(content = @Content(schema = @Schema(implementation = TrafficReport.class)))
    @APIResponse(responseCode = "204", description = "Recorded")
    public Response report(String body) {
        board.record(Requests.body(body, TrafficReport.class, validator));
        try {
            ingest.observe(controlPlane::tick);
        } catch (RuntimeException e) {
            // Telemetry is taken all the same; the watch finds the same change on the next report or tick.
            LOG.warnf("Ingest backlog events not written (tried again on the next report): %s", e.getMessage());
        }
        return Response.noContent().build();
    }
}
