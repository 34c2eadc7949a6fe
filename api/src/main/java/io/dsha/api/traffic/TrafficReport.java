package io.dsha.api.traffic;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.util.List;

/**
 * Body of {@code POST /api/v1/traffic}: one proxy's request rate per backend over its last window, and (optional)
 * what it says of itself: host, listener, readiness ({@link ProxyInfo}).
 * Telemetry for operators, not evidence: it never moves a verdict. Only the ingest backlogs it carries act: they are
 * events when they start, clear or diverge, and an active backend down by a hair keeps the traffic for a while rather
 * than hand it to one still being replayed to.
 */
public record TrafficReport(
        @NotNull @Pattern(regexp = "[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}",
                message = "must be 1 to 128 characters of letters, digits, '.', '_', ':', '@' or '-'") String reporterId,
        @NotNull @Size(max = 1024, message = "must hold at most 1024 backends") List<@NotNull @Valid BackendTraffic> backends,
        @Valid ProxyInfo proxy) {

    /** A report without the proxy's own details (as proxies before them sent). */
    public TrafficReport(String reporterId, List<BackendTraffic> backends) {
        this(reporterId, backends, null);
    }

    public TrafficReport {
        // Not List.copyOf: a null entry must reach validation and come back as a violation, not as a binding failure.
        backends = backends == null ? null : java.util.Collections.unmodifiableList(new java.util.ArrayList<>(backends));
    }
}
