package io.dsha.api.topology;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;

/**
 * How a backend is probed, and how many results in a row change its state ({@code rise} successes
 * to come up, {@code fall} failures to go down). Defaults: HTTP GET {@code /health} expecting 200,
 * every 1000 ms, 500 ms timeout, rise 2, fall 2.
 *
 * <p>Optional: {@code expectBody}, a substring the HTTP answer must contain; {@code expectJson}, a
 * field its JSON must hold ({@code {pointer: /status, value: UP}}); {@code tls}, whether an
 * HTTP check speaks HTTPS (not given: HTTPS when the topology's {@code tlsMode} is PASSTHROUGH,
 * where backends hold their own certificates); {@code fastIntervalMs}, the interval while a state
 * change is building up (default a quarter of {@code intervalMs}, at least 100 ms, like HAProxy's
 * {@code fastinter}); {@code downIntervalMs}, the interval while the backend is down (default twice
 * {@code intervalMs}).
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
        @Max(value = 100, message = "must be between 1 and 100") Integer fall,
        @Size(min = 1, max = 256, message = "must be 1 to 256 characters") String expectBody,
        Boolean tls,
        @Min(value = 100, message = "must be between 100 and 3600000")
        @Max(value = 3_600_000, message = "must be between 100 and 3600000") Integer fastIntervalMs,
        @Min(value = 100, message = "must be between 100 and 7200000")
        @Max(value = 7_200_000, message = "must be between 100 and 7200000") Integer downIntervalMs,
        @Valid JsonExpectation expectJson) {

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
        // Derived only from a valid interval: an invalid one is reported once, not again through its derivatives.
        boolean validInterval = intervalMs >= 100 && intervalMs <= 3_600_000;
        if (fastIntervalMs == null && validInterval) {
            fastIntervalMs = Math.min(intervalMs, Math.max(100, intervalMs / 4));
        }
        if (downIntervalMs == null && validInterval) {
            downIntervalMs = intervalMs * 2;
        }
    }

    /** The check as it was before the optional fields existed; they take their defaults. */
    public HealthCheck(HealthCheckType type, String path, Integer expectStatus, Integer intervalMs, Integer timeoutMs, Integer rise,
            Integer fall) {
        this(type, path, expectStatus, intervalMs, timeoutMs, rise, fall, null, null, null, null, null);
    }

    /** Whether an HTTP check speaks HTTPS, given the topology's TLS mode. */
    public boolean https(TlsMode tlsMode) {
        return type == HealthCheckType.HTTP && (tls != null ? tls : tlsMode == TlsMode.PASSTHROUGH);
    }
}
