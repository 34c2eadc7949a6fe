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

    // ---- the same rules on Netty's headers (the Netty data path), changed in place

    private static final io.netty.util.AsciiString[] HOP_BY_HOP_ASCII = HOP_BY_HOP.stream().map(io.netty.util.AsciiString::cached)
            .toArray(io.netty.util.AsciiString[]::new);
    /** What Netty's HTTP/2 to HTTP/1 conversion adds, which is not the client's. */
    private static final io.netty.util.AsciiString[] HTTP2_EXTENSIONS = java.util.Arrays.stream(
            io.netty.handler.codec.http2.HttpConversionUtil.ExtensionHeaderNames.values())
            .map(io.netty.handler.codec.http2.HttpConversionUtil.ExtensionHeaderNames::text).toArray(io.netty.util.AsciiString[]::new);

    /** Removes the hop-by-hop headers, those the Connection header names included. */
    static void removeHopByHop(io.netty.handler.codec.http.HttpHeaders h) {
        String connection = h.get(io.netty.handler.codec.http.HttpHeaderNames.CONNECTION);
        if (connection != null) {
            for (String token : connection.split(",")) {
                String t = token.trim();
                if (!t.isEmpty()) {
                    h.remove(t);
                }
            }
        }
        for (io.netty.util.AsciiString name : HOP_BY_HOP_ASCII) {
            h.remove(name);
        }
    }

    /**
     * Makes a client's request headers the backend's: end-to-end ones, plus X-Forwarded-* and Forwarded.
     * {@code client} is the client's IP address.
     */
    static void upstream(io.netty.handler.codec.http.HttpHeaders h, String client, boolean tls, boolean fromHttp2) {
        removeHopByHop(h);
        if (fromHttp2) {
            for (io.netty.util.AsciiString name : HTTP2_EXTENSIONS) {
                h.remove(name);
            }
        }
        String host = h.get(io.netty.handler.codec.http.HttpHeaderNames.HOST);
        String proto = tls ? "https" : "http";
        String xff = h.get(X_FORWARDED_FOR);
        h.set(X_FORWARDED_FOR, xff == null ? client : xff + ", " + client);
        h.set(X_FORWARDED_PROTO, proto);
        if (host != null) {
            h.set(X_FORWARDED_HOST, host);
        }
        String node = client.indexOf(':') >= 0 ? "\"[" + client + "]\"" : client;
        String forwarded = "for=" + node + ";proto=" + proto + (host == null ? "" : ";host=\"" + host + "\"");
        String prior = h.get(FORWARDED);
        h.set(FORWARDED, prior == null ? forwarded : prior + ", " + forwarded);
    }

    private static final io.netty.util.AsciiString X_FORWARDED_FOR = io.netty.util.AsciiString.cached("x-forwarded-for");
    private static final io.netty.util.AsciiString X_FORWARDED_PROTO = io.netty.util.AsciiString.cached("x-forwarded-proto");
    private static final io.netty.util.AsciiString FORWARDED = io.netty.util.AsciiString.cached("forwarded");
    private static final io.netty.util.AsciiString X_FORWARDED_HOST = io.netty.util.AsciiString.cached("x-forwarded-host");

    /** A backend's response headers for the client: hop-by-hop ones removed. */
    static void downstream(io.netty.handler.codec.http.HttpHeaders h) {
        removeHopByHop(h);
    }
}
