package io.dsha.api.problem;

/**
 * One reason an input was refused: the field's path ({@code backends[1].port}), what is wrong, and
 * where in the document it is (1-based {@code line} and {@code column}; null when the input was not
 * a document, or the field is not in it).
 */
public record Violation(String field, String message, Integer line, Integer column) {

    public Violation(String field, String message) {
        this(field, message, null, null);
    }

    /** The same violation, placed at {@code line} and {@code column} of the document. */
    public Violation at(int line, int column) {
        return new Violation(field, message, line, column);
    }

    @Override
    public String toString() {
        String where = line == null ? "" : "line " + line + ", column " + column + ": ";
        return where + (field == null || field.isEmpty() ? message : field + ": " + message);
    }
}
