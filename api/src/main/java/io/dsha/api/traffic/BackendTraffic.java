package io.dsha.api.traffic;

import io.dsha.api.topology.Backend;
import jakarta.validation.Valid;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;

/**
 * How much traffic one backend takes: requests per second answered through the proxy (TERMINATE),
 * or connections relayed per second (PASSTHROUGH), averaged over the reporter's last window; and (optional, with
 * ingest routes) the reporter's {@link IngestBacklog} for it.
 */
public record BackendTraffic(
        @NotNull @Pattern(regexp = Backend.ID_PATTERN, message = Backend.ID_MESSAGE) String backendId,
        @NotNull @DecimalMin(value = "0", message = "must be between 0 and 10000000")
        @DecimalMax(value = "10000000", message = "must be between 0 and 10000000") Double requestsPerSecond,
        @Valid IngestBacklog ingest) {

    /** Traffic alone, without ingest routes. */
    public BackendTraffic(String backendId, Double requestsPerSecond) {
        this(backendId, requestsPerSecond, null);
    }
}
