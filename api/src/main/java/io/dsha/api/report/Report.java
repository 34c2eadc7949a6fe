package io.dsha.api.report;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.util.List;

/**
 * Body of {@code POST /api/v1/reports}: a batch of observations from one checker or proxy, and
 * optionally a checker's latest finding about the proxy's own certificate ({@code listener}).
 */
public record Report(
        @NotNull ReportSource source,
        @NotNull @Pattern(regexp = "[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}",
                message = "must be 1 to 128 characters of letters, digits, '.', '_', ':', '@' or '-'") String reporterId,
        @NotEmpty(message = "must hold at least one observation")
        @Size(max = 1024, message = "must hold at most 1024 observations") List<@NotNull @Valid Observation> observations,
        @Valid ListenerObservation listener) {

    /** A report of backend observations only. */
    public Report(ReportSource source, String reporterId, List<Observation> observations) {
        this(source, reporterId, observations, null);
    }
}
