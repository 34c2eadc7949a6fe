package io.dsha.controlplane.api;

import io.dsha.api.cluster.ClusterView;
import io.dsha.controlplane.ClusterViews;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The control planes and their store, for the status page and {@code ./dsha status}. */
@Path("/api/v1/cluster")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "cluster", description = "The control planes, which one leads, and the etcd endpoints")
public class ClusterResource {

    private final ClusterViews views;

    ClusterResource(ClusterViews views) {
        this.views = views;
    }

    @GET
    @Operation(summary = "The control planes alive now (id, URL, role, since, version), the leader, and each etcd endpoint's health",
            description = "As the control plane that answers sees them. A diagnostic view: it answers 200 within about 2 s whatever "
                    + "etcd does. Without an etcd quorum the replicas are this control plane alone and each etcd endpoint says "
                    + "what it could not answer; with the file store, this control plane alone, leading, and no etcd.")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = ClusterView.class)))
    @APIResponse(responseCode = "401", description = "No valid bearer token (agent or admin)")
    public CompletionStage<ClusterView> cluster() {
        return views.view();
    }
}
