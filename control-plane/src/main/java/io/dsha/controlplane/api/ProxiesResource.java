package io.dsha.controlplane.api;

import io.dsha.api.traffic.Proxies;
import io.dsha.controlplane.traffic.TrafficBoard;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * The proxies following this control plane, as their traffic reports describe them: host, listener, readiness, and
 * the traffic each serves (with two proxies behind one floating address, the one serving holds the address).
 */
@Path("/api/v1/proxies")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "traffic", description = "Request rates the proxies report, per backend")
public class ProxiesResource {

    private final TrafficBoard board;

    ProxiesResource(TrafficBoard board) {
        this.board = board;
    }

    @GET
    @Operation(summary = "Every proxy heard from lately: host, listener, readiness, requests per second, and whether it was heard within the window")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = Proxies.class)))
    public Proxies proxies() {
        return board.proxies();
    }
}
