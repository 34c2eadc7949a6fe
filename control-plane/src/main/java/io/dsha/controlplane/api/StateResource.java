package io.dsha.controlplane.api;

import io.dsha.api.event.Event;
import io.dsha.api.state.StateSnapshot;
import io.dsha.controlplane.ControlPlane;
import io.dsha.controlplane.ControlPlaneConfig;
import io.dsha.controlplane.store.Published;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** What proxies and operators read: the snapshot, the long-poll watch, the event history. */
@Path("/api/v1")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "state", description = "Verdicts, routing decision, events")
public class StateResource {

    private final ControlPlane controlPlane;
    private final ControlPlaneConfig config;
    private final SnapshotBodies bodies;

    StateResource(ControlPlane controlPlane, ControlPlaneConfig config, SnapshotBodies bodies) {
        this.controlPlane = controlPlane;
        this.config = config;
        this.bodies = bodies;
    }

    @GET
    @Path("/state")
    @Operation(summary = "Revision, topology, verdict per backend and the routing decision")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = StateSnapshot.class)))
    public Response state() {
        return Responses.snapshot(200, controlPlane.current(), bodies);
    }

    @GET
    @Path("/watch")
    @Operation(summary = "Long-poll: answers with the state as soon as the revision passes `since`; 204 when `timeoutMs` passes first")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = StateSnapshot.class)))
    @APIResponse(responseCode = "204", description = "Nothing changed within the timeout; X-Dsha-Revision says where things stand")
    public CompletionStage<Response> watch(@QueryParam("since") @DefaultValue("-1") long since, @QueryParam("timeoutMs") Long timeoutMs,
            @Parameter(description = "true: answer with what changed since `since` (StateDelta: the changed verdicts, the routing "
                    + "decision; no topology), or with the whole snapshot when that will not do (no `base` field then)")
            @QueryParam("delta") @DefaultValue("false") boolean delta) {
        long max = config.watch().maxTimeout().toMillis();
        long wait = timeoutMs == null ? config.watch().defaultTimeout().toMillis() : timeoutMs;
        if (wait < 0 || wait > max) {
            throw new ApiProblem(400, "Invalid watch", "timeoutMs must be between 0 and " + max,
                    List.of(new io.dsha.api.problem.Violation("timeoutMs", "must be between 0 and " + max)));
        }
        CompletableFuture<Published> change = controlPlane.store().awaitAfter(since);
        if (change.isDone()) {
            return CompletableFuture.completedFuture(answer(since, delta, change.join()));
        }
        // The change wakes this watch on the thread that made it: the answer is written on this request's
        // own event loop, so that thread only hands it over and the waiting watches are answered side by side.
        Context context = Vertx.currentContext();
        Executor onThisRequest = context == null ? Runnable::run : task -> context.runOnContext(v -> task.run());
        return change.orTimeout(wait, TimeUnit.MILLISECONDS)
                .handleAsync((p, error) -> {
                    if (error != null) {
                        change.cancel(false);
                        Published now = controlPlane.current();
                        return Response.noContent().header(Responses.REVISION, now.revision()).build();
                    }
                    return answer(since, delta, p);
                }, onThisRequest);
    }

    /** The whole snapshot, or what changed since {@code since} when the watch asked for deltas and one can be made. */
    private Response answer(long since, boolean delta, Published p) {
        byte[] changes = delta ? bodies.delta(since, p) : null;
        return changes == null ? Responses.snapshot(200, p, bodies)
                : Responses.revisioned(Response.ok(changes, MediaType.APPLICATION_JSON_TYPE), p).build();
    }

    @GET
    @Path("/events")
    @Operation(summary = "What happened, newest first: operator edits, verdict changes, failovers, failbacks")
    public List<Event> events(@QueryParam("limit") @DefaultValue("100") int limit) {
        if (limit < 1 || limit > config.maxEvents()) {
            throw new ApiProblem(400, "Invalid limit", "limit must be between 1 and " + config.maxEvents(),
                    List.of(new io.dsha.api.problem.Violation("limit", "must be between 1 and " + config.maxEvents())));
        }
        List<Event> events = controlPlane.current().events();
        return events.subList(0, Math.min(limit, events.size()));
    }
}
