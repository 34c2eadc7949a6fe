package io.dsha.health.report;

import io.dsha.api.report.Report;
import io.dsha.api.report.ReportReceipt;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * The part of the control plane's REST API a checker uses. Built programmatically (the base URL and
 * token come from {@code dsha.*}); snapshots are read as bytes and bound tolerantly, since a newer
 * control plane may add fields.
 */
@Path("/api/v1")
public interface ControlPlaneApi {

    @POST
    @Path("/reports")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    ReportReceipt report(Report report);

    @GET
    @Path("/state")
    @Produces(MediaType.APPLICATION_JSON)
    Response state();

    @GET
    @Path("/watch")
    @Produces(MediaType.APPLICATION_JSON)
    Response watch(@QueryParam("since") long since, @QueryParam("timeoutMs") long timeoutMs);
}
