package io.dsha.api.traffic;

import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;

/**
 * What a proxy says of itself in each traffic report: the host it runs on, its data listener, and whether it is
 * ready (its readiness check: a routing decision loaded and every listener bound, not shutting down). With two
 * proxies behind one floating address, the one that holds the address is the one whose report shows traffic.
 */
public record ProxyInfo(
        @NotNull @Size(min = 1, max = 255, message = "must be 1 to 255 characters") String host,
        @Size(max = 255, message = "must be at most 255 characters") String listener,
        boolean ready,
        boolean shuttingDown) {
}
