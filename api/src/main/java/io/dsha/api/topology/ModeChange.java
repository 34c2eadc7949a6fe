package io.dsha.api.topology;

import jakarta.validation.constraints.NotNull;

/** Body of {@code PUT /api/v1/mode}. */
public record ModeChange(@NotNull Mode mode) {
}
