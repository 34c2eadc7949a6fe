package io.dsha.api.json;

import io.dsha.api.problem.Violation;
import java.util.List;
import java.util.Map;

/**
 * Where each field and list element of a document starts, by path ({@code backends[1].healthCheck}),
 * so that a violation found after binding (a wrong range, a repeated id) can say where it is.
 */
public record SourceMap(Map<String, Place> places) {

    /** Nothing known: the input was not a document, or could not be read. */
    public static final SourceMap NONE = new SourceMap(Map.of());

    /** A 1-based line and column. */
    public record Place(int line, int column) {
    }

    public SourceMap {
        places = Map.copyOf(places);
    }

    /**
     * {@code v} placed at its field, or else at the nearest enclosing field or list element that is
     * in the document (a missing {@code backends[0].id} is placed at {@code backends[0]}); {@code v}
     * unchanged when it has a place already or nothing encloses it.
     */
    public Violation locate(Violation v) {
        if (v.line() != null) {
            return v;
        }
        for (String path = v.field(); path != null && !path.isEmpty(); path = parent(path)) {
            Place place = places.get(path);
            if (place != null) {
                return v.at(place.line(), place.column());
            }
        }
        return v;
    }

    /** Every one of {@code violations}, located. */
    public List<Violation> locate(List<Violation> violations) {
        return violations.stream().map(this::locate).toList();
    }

    // "a.b[2].c" -> "a.b[2]" -> "a.b" -> "a" -> null
    private static String parent(String path) {
        int cut = Math.max(path.lastIndexOf('.'), path.lastIndexOf('['));
        return cut <= 0 ? null : path.substring(0, cut);
    }
}
