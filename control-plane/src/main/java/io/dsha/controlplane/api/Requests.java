package io.dsha.controlplane.api;

import io.dsha.api.json.DshaJson;
import io.dsha.controlplane.topology.InvalidTopology;
import io.dsha.controlplane.topology.TopologyValidator;
import io.vertx.core.http.HttpServerRequest;
import java.util.List;
import java.util.function.UnaryOperator;

/** Reading request parts the same way for every endpoint: bodies, If-Match, the acting operator. */
final class Requests {

    static final String ACTOR_HEADER = "X-Dsha-Actor";

    private Requests() {
    }

    /** Binds and validates a JSON body of any API type; every problem becomes one 400. */
    static <T> T body(String json, Class<T> type, TopologyValidator validator) {
        return body(json, type, validator, UnaryOperator.identity());
    }

    /** As {@link #body(String, Class, TopologyValidator)}, with {@code complete} filling what the path supplies before validation. */
    static <T> T body(String json, Class<T> type, TopologyValidator validator, UnaryOperator<T> complete) {
        DshaJson.Binding<T> bound = DshaJson.bind(json, type);
        if (bound.value() != null) {
            bound = new DshaJson.Binding<>(complete.apply(bound.value()), bound.violations(), bound.source());
        }
        TopologyValidator.Checked<T> checked = validator.check(bound);
        if (!checked.ok()) {
            throw new ApiProblem(400, "Invalid " + type.getSimpleName(), InvalidTopology.count(checked.violations()) + "; nothing was changed",
                    checked.violations());
        }
        return checked.value();
    }

    /** The revision named by {@code If-Match} ({@code 12}, {@code "12"} or {@code W/"12"}), or null when absent. */
    static Long ifMatch(String header) {
        if (header == null || header.isBlank() || header.trim().equals("*")) {
            return null;
        }
        String v = header.trim();
        if (v.startsWith("W/")) {
            v = v.substring(2);
        }
        v = v.replace("\"", "");
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new ApiProblem(400, "Invalid If-Match", "If-Match must name a revision, such as \"12\"; got " + header,
                    List.of(new io.dsha.api.problem.Violation("If-Match", "must be a revision number")));
        }
    }

    /** Who made a change: the {@code X-Dsha-Actor} header when given, else the caller's address. */
    static String actor(String header, HttpServerRequest request) {
        if (header != null && !header.isBlank()) {
            String clean = header.replaceAll("[^\\p{Alnum} ._@:/+-]", "").trim();
            if (!clean.isEmpty()) {
                return clean.length() > 64 ? clean.substring(0, 64) : clean;
            }
        }
        String host = request == null || request.remoteAddress() == null ? "unknown" : request.remoteAddress().hostAddress();
        return "admin@" + host;
    }
}
