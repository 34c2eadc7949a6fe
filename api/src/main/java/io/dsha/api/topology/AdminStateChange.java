package io.dsha.api.topology;

import jakarta.validation.constraints.NotNull;

/** Body of {@code PUT /api/v1/backends/{id}/admin-state}. */
public record AdminStateChange(@NotNull AdminState adminState) {
}
