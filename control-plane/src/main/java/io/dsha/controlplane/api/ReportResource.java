package io.dsha.controlplane.api;

import io.dsha.api.report.Report;
import io.dsha.api.report.ReportReceipt;
import io.dsha.controlplane.ControlPlane;
import io.dsha.controlplane.ops.ControlPlaneMetrics;
import io.dsha.controlplane.topology.TopologyValidator;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Where checkers and proxies send what they observed. */
@Path("/api/v1/reports")
@Tag(name = "reports", description = "Observations from checkers and proxies")
public class ReportResource {

    private final ControlPlane controlPlane;
    private final TopologyValidator validator;
    private final ControlPlaneMetrics metrics;

    ReportResource(ControlPlane controlPlane, TopologyValidator validator, ControlPlaneMetrics metrics) {
        this.controlPlane = controlPlane;
        this.validator = validator;
        this.metrics = metrics;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "A batch of observations; CHECKER observations vote, PROXY ones are recorded as passive failures")
    @RequestBody(content = @Content(schema = @Schema(implementation = Report.class)))
    @APIResponse(responseCode = "202", content = @Content(schema = @Schema(implementation = ReportReceipt.class)))
    public Response report(String body) {
        Report report = Requests.body(body, Report.class, validator);
        ReportReceipt receipt = controlPlane.report(report);
        metrics.reportReceived(report);
        return Response.accepted(receipt).header(Responses.REVISION, receipt.revision()).build();
    }
}
