package io.dsha.api.report;

import io.dsha.api.topology.Backend;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.time.Instant;

/** One observation of one backend: the result, why, how long it took, and when (reporter's clock). */
public record Observation(
        @NotNull @Pattern(regexp = Backend.ID_PATTERN, message = Backend.ID_MESSAGE) String backendId,
        @NotNull ObservedStatus status,
        @Size(max = 512, message = "must be at most 512 characters") String reason,
        @Min(value = 0, message = "must be between 0 and 3600000")
        @Max(value = 3_600_000, message = "must be between 0 and 3600000") Long latencyMs,
        Instant at) {
}
