package io.dsha.api.topology;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;

/**
 * How a backend is probed, and how many results in a row change its state ({@code rise} successes
 * to come up, {@code fall} failures to go down). Defaults: HTTP GET {@code /health} expecting 200,
 * every 1000 ms, 500 ms timeout, rise 2, fall 2.
 */
public record HealthCheck(
        @NotNull HealthCheckType type,
        @Pattern(regexp = "/\\S*", message = "must start with '/' and contain no spaces") String path,
        @Min(value = 100, message = "must be an HTTP status between 100 and 599")
        @Max(value = 599, message = "must be an HTTP status between 100 and 599") Integer expectStatus,
        @NotNull @Min(value = 100, message = "must be between 100 and 3600000")
        @Max(value = 3_600_000, message = "must be between 100 and 3600000") Integer intervalMs,
        @NotNull @Min(value = 10, message = "must be between 10 and 600000")
        @Max(value = 600_000, message = "must be between 10 and 600000") Integer timeoutMs,
        @NotNull @Min(value = 1, message = "must be between 1 and 100")
        @Max(value = 100, message = "must be between 1 and 100") Integer rise,
        @NotNull @Min(value = 1, message = "must be between 1 and 100")
        @Max(value = 100, message = "must be between 1 and 100") Integer fall) {

    public static final HealthCheck DEFAULT = new HealthCheck(null, null, null, null, null, null, null);

    public HealthCheck {
        type = type == null ? HealthCheckType.HTTP : type;
        if (type == HealthCheckType.HTTP) {
            path = path == null ? "/health" : path;
            expectStatus = expectStatus == null ? 200 : expectStatus;
        }
        intervalMs = intervalMs == null ? 1000 : intervalMs;
        timeoutMs = timeoutMs == null ? 500 : timeoutMs;
        rise = rise == null ? 2 : rise;
        fall = fall == null ? 2 : fall;
    }
}
