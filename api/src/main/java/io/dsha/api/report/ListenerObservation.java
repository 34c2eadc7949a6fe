package io.dsha.api.report;

import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;
import java.time.Instant;
import java.util.List;

/**
 * What a checker found about the proxy's own certificate (TLS termination): whether the handshake
 * with the listener succeeded ({@code status}, {@code reason} when it did not), every problem with
 * the certificate ({@code degraded}: untrusted, self-signed, a name other than the FQDN, expired or
 * expiring soon), its days to expiry, and when (checker's clock).
 */
public record ListenerObservation(
        @NotNull ObservedStatus status,
        @Size(max = 512, message = "must be at most 512 characters") String reason,
        @Size(max = 16, message = "must hold at most 16 reasons")
        List<@NotNull @Size(min = 1, max = 512, message = "must be 1 to 512 characters") String> degraded,
        Long daysToExpiry,
        Instant at) {

    public ListenerObservation {
        degraded = degraded == null || degraded.isEmpty() ? null : java.util.Collections.unmodifiableList(new java.util.ArrayList<>(degraded));
    }
}
