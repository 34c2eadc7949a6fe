package io.dsha.api.topology;

import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;

/**
 * A field an HTTP health check's answer must hold: the JSON value at {@code pointer} (a JSON
 * pointer such as {@code /status}) must read {@code value} (a string, or a number or boolean
 * written as text).
 */
public record JsonExpectation(
        @NotNull @Pattern(regexp = "(/[^/]*)+", message = "must be a JSON pointer such as /status") String pointer,
        @NotNull @Size(max = 256, message = "must be at most 256 characters") String value) {
}
