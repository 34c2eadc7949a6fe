package io.dsha.proxy.http;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** What crosses the proxy in headers: hop-by-hop headers stop here; forwarding headers are added. */
final class Headers {

    /** RFC 9110 §7.6.1 hop-by-hop headers, plus the proxy ones that must not leak. */
    private static final java.util.List<String> HOP_BY_HOP = java.util.List.of("connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
            "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "expect");

    private Headers() {
    }

    static boolean hopByHop(String name, Set<String> listedInConnection) {
        if (name.isEmpty() || name.charAt(0) == ':') {
            return true;
        }
        // Cheap length filter first: most headers are not hop-by-hop, and this runs for each of them.
        int len = name.length();
        if (len >= 2 && len <= 19) {
            for (String h : HOP_BY_HOP) {
                if (h.length() == len && h.equalsIgnoreCase(name)) {
                    return true;
                }
            }
        }
        return !listedInConnection.isEmpty() && listedInConnection.contains(name.toLowerCase(Locale.ROOT));
    }

    static Set<String> listedInConnection(MultiMap headers) {
        String connection = headers.get("connection");
        if (connection == null) {
            return Set.of();
        }
        java.util.HashSet<String> names = new java.util.HashSet<>();
        for (String token : connection.split(",")) {
            String t = token.trim().toLowerCase(Locale.ROOT);
            if (!t.isEmpty()) {
                names.add(t);
            }
        }
        return names;
    }

    /** The request headers for the backend: end-to-end ones, plus X-Forwarded-* and Forwarded. */
    static MultiMap upstream(HttpServerRequest req, boolean tls) {
        MultiMap in = req.headers();
        Set<String> listed = listedInConnection(in);
        MultiMap out = MultiMap.caseInsensitiveMultiMap();
        for (Map.Entry<String, String> e : in) {
            if (!hopByHop(e.getKey(), listed)) {
                out.add(e.getKey(), e.getValue());
            }
        }
        String host = req.authority() != null ? req.authority().toString() : in.get("host");
        if (host != null) {
            out.set("host", host);
        }
        String client = req.remoteAddress() == null ? "unknown" : req.remoteAddress().hostAddress();
        String proto = tls ? "https" : "http";
        String xff = in.get("x-forwarded-for");
        out.set("x-forwarded-for", xff == null ? client : xff + ", " + client);
        out.set("x-forwarded-proto", proto);
        if (host != null) {
            out.set("x-forwarded-host", host);
        }
        String node = client.indexOf(':') >= 0 ? "\"[" + client + "]\"" : client;
        String forwarded = "for=" + node + ";proto=" + proto + (host == null ? "" : ";host=\"" + host + "\"");
        String prior = in.get("forwarded");
        out.set("forwarded", prior == null ? forwarded : prior + ", " + forwarded);
        return out;
    }

    /** Copies the backend's response headers, minus hop-by-hop ones. */
    static void downstream(MultiMap from, MultiMap to) {
        Set<String> listed = listedInConnection(from);
        for (Map.Entry<String, String> e : from) {
            if (!hopByHop(e.getKey(), listed)) {
                to.add(e.getKey(), e.getValue());
            }
        }
    }
}
