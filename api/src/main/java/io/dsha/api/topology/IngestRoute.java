package io.dsha.api.topology;

import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;

/**
 * Requests that carry records from a data source: {@code method} (POST, PUT or PATCH) on a path starting with
 * {@code pathPrefix}. Such a request is not load-balanced: it is delivered to every ENABLED backend.
 */
public record IngestRoute(
        @NotNull @Pattern(regexp = "POST|PUT|PATCH", message = "must be POST, PUT or PATCH") String method,
        @NotNull @Pattern(regexp = "/[^\\s?#]*", message = "must start with '/' and contain no spaces, '?' or '#'") String pathPrefix) {

    /** Whether a request of {@code m} on {@code uri} (its query, if any, included) is on this route. */
    public boolean matches(String m, String uri) {
        return method.equals(m) && uri.startsWith(pathPrefix)
                && (uri.length() == pathPrefix.length() || pathPrefix.endsWith("/") || "/?".indexOf(uri.charAt(pathPrefix.length())) >= 0);
    }
}
