package io.dsha.api.problem;

/** One reason an input was refused: the field's path ({@code backends[1].port}) and what is wrong. */
public record Violation(String field, String message) {

    @Override
    public String toString() {
        return field == null || field.isEmpty() ? message : field + ": " + message;
    }
}
