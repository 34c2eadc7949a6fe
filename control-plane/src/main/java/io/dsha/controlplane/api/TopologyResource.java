package io.dsha.controlplane.api;

import io.dsha.api.json.DshaJson;
import io.dsha.api.problem.Problem;
import io.dsha.api.state.StateSnapshot;
import io.dsha.api.topology.AdminStateChange;
import io.dsha.api.topology.Backend;
import io.dsha.api.topology.ModeChange;
import io.dsha.api.topology.Topology;
import io.dsha.controlplane.ControlPlane;
import io.dsha.controlplane.store.Published;
import io.dsha.controlplane.topology.TopologyValidator;
import io.dsha.controlplane.topology.ValidTopology;
import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The declared state: topology, mode, backends and their admin state, and the operator's failback. */
@Path("/api/v1")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "topology", description = "What the operator declares")
public class TopologyResource {

    static final String YAML = "application/yaml";

    private final ControlPlane controlPlane;
    private final TopologyValidator validator;
    private final SnapshotBodies bodies;

    TopologyResource(ControlPlane controlPlane, TopologyValidator validator, SnapshotBodies bodies) {
        this.controlPlane = controlPlane;
        this.validator = validator;
        this.bodies = bodies;
    }

    @GET
    @Path("/topology")
    @Operation(summary = "The declared topology; its ETag is the revision to send back in If-Match")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = Topology.class)))
    @APIResponse(responseCode = "404", description = "No topology declared yet",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Response topology() {
        Published p = controlPlane.current();
        if (p.state().topology() == null) {
            throw new ApiProblem(404, "No topology", "no topology has been declared yet: PUT /api/v1/topology", List.of());
        }
        return Responses.revisioned(Response.ok(p.state().topology()), p).build();
    }

    @PUT
    @Path("/topology")
    @AdminOnly
    @Consumes({MediaType.APPLICATION_JSON, YAML, "application/x-yaml", "text/yaml"})
    @Operation(summary = "Replace the whole topology (JSON or YAML); If-Match: <revision> makes it conditional")
    @RequestBody(content = @Content(schema = @Schema(implementation = Topology.class)))
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = StateSnapshot.class)))
    @APIResponse(responseCode = "400", description = "Every violation, nothing changed",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "412", description = "If-Match names another revision",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Response replaceTopology(String body, @HeaderParam(HttpHeaders.IF_MATCH) String ifMatch,
            @HeaderParam(HttpHeaders.CONTENT_TYPE) String contentType, @HeaderParam(Requests.ACTOR_HEADER) String actor,
            @Context HttpServerRequest request) {
        boolean yaml = contentType != null && contentType.toLowerCase(java.util.Locale.ROOT).contains("yaml");
        // Validated here, once, where each violation can still be placed at its line and column in the body.
        ValidTopology topology = validator.require(yaml ? DshaJson.bindYaml(body, Topology.class) : DshaJson.bind(body, Topology.class));
        Published p = controlPlane.replaceTopology(topology, Requests.ifMatch(ifMatch), Requests.actor(actor, request));
        return Responses.snapshot(200, p, bodies);
    }

    @PUT
    @Path("/mode")
    @AdminOnly
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Switch between ACTIVE_PASSIVE and ACTIVE_ACTIVE")
    @RequestBody(content = @Content(schema = @Schema(implementation = ModeChange.class)))
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = StateSnapshot.class)))
    public Response setMode(String body, @HeaderParam(HttpHeaders.IF_MATCH) String ifMatch,
            @HeaderParam(Requests.ACTOR_HEADER) String actor, @Context HttpServerRequest request) {
        ModeChange change = Requests.body(body, ModeChange.class, validator);
        return Responses.snapshot(200, controlPlane.setMode(change.mode(), Requests.ifMatch(ifMatch), Requests.actor(actor, request)), bodies);
    }

    @PUT
    @Path("/backends/{id}")
    @AdminOnly
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Add a backend, or replace the one with this id")
    @RequestBody(content = @Content(schema = @Schema(implementation = Backend.class)))
    @APIResponse(responseCode = "200", description = "Replaced", content = @Content(schema = @Schema(implementation = StateSnapshot.class)))
    @APIResponse(responseCode = "201", description = "Added", content = @Content(schema = @Schema(implementation = StateSnapshot.class)))
    public Response putBackend(@PathParam("id") String id, String body, @HeaderParam(HttpHeaders.IF_MATCH) String ifMatch,
            @HeaderParam(Requests.ACTOR_HEADER) String actor, @Context HttpServerRequest request) {
        // The id may be left out of the body: the path names the backend.
        Backend backend = Requests.body(body, Backend.class, validator, b -> b.id() == null ? b.withId(id) : b);
        ControlPlane.BackendChange change = controlPlane.putBackend(id, backend, Requests.ifMatch(ifMatch), Requests.actor(actor, request));
        if (change.added()) {
            return Responses.revisioned(Response.created(URI.create("/api/v1/backends/" + id))
                    .entity(bodies.json(change.published())).type(MediaType.APPLICATION_JSON_TYPE), change.published()).build();
        }
        return Responses.snapshot(200, change.published(), bodies);
    }

    @DELETE
    @Path("/backends/{id}")
    @AdminOnly
    @Operation(summary = "Remove a backend")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = StateSnapshot.class)))
    public Response deleteBackend(@PathParam("id") String id, @HeaderParam(HttpHeaders.IF_MATCH) String ifMatch,
            @HeaderParam(Requests.ACTOR_HEADER) String actor, @Context HttpServerRequest request) {
        return Responses.snapshot(200, controlPlane.deleteBackend(id, Requests.ifMatch(ifMatch), Requests.actor(actor, request)), bodies);
    }

    @PUT
    @Path("/backends/{id}/admin-state")
    @AdminOnly
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "ENABLED, DRAIN (no new traffic) or MAINTENANCE (no traffic at all)")
    @RequestBody(content = @Content(schema = @Schema(implementation = AdminStateChange.class)))
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = StateSnapshot.class)))
    public Response setAdminState(@PathParam("id") String id, String body, @HeaderParam(HttpHeaders.IF_MATCH) String ifMatch,
            @HeaderParam(Requests.ACTOR_HEADER) String actor, @Context HttpServerRequest request) {
        AdminStateChange change = Requests.body(body, AdminStateChange.class, validator);
        return Responses.snapshot(200,
                controlPlane.setAdminState(id, change.adminState(), Requests.ifMatch(ifMatch), Requests.actor(actor, request)), bodies);
    }

    @POST
    @Path("/failback")
    @AdminOnly
    @Operation(summary = "Move traffic back to the preferred backend now (ACTIVE_PASSIVE, after a failover)")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = StateSnapshot.class)))
    @APIResponse(responseCode = "409", description = "Nothing to fail back",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Response failback(@HeaderParam(Requests.ACTOR_HEADER) String actor, @Context HttpServerRequest request) {
        return Responses.snapshot(200, controlPlane.failback(Requests.actor(actor, request)), bodies);
    }
}
