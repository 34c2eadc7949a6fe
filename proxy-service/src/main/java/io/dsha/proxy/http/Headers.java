package io.dsha.proxy.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.util.AsciiString;
import java.util.Arrays;

/** What crosses the proxy in headers: hop-by-hop headers stop here; forwarding headers are added. Changed in place. */
final class Headers {

    /** RFC 9110 §7.6.1 hop-by-hop headers, plus the proxy ones that must not leak. */
    private static final AsciiString[] HOP_BY_HOP = Arrays.stream(new String[] {"connection", "keep-alive", "proxy-authenticate",
            "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "expect"})
            .map(AsciiString::cached).toArray(AsciiString[]::new);
    /** What Netty's HTTP/2 to HTTP/1 conversion adds, which is not the client's. */
    private static final AsciiString[] HTTP2_EXTENSIONS = Arrays.stream(HttpConversionUtil.ExtensionHeaderNames.values())
            .map(HttpConversionUtil.ExtensionHeaderNames::text).toArray(AsciiString[]::new);
    private static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
    private static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
    private static final AsciiString X_FORWARDED_HOST = AsciiString.cached("x-forwarded-host");
    private static final AsciiString FORWARDED = AsciiString.cached("forwarded");

    private Headers() {
    }

    /** Removes the hop-by-hop headers, those the Connection header names included. */
    static void removeHopByHop(HttpHeaders h) {
        String connection = h.get(HttpHeaderNames.CONNECTION);
        if (connection != null) {
            for (String token : connection.split(",")) {
                String t = token.trim();
                if (!t.isEmpty()) {
                    h.remove(t);
                }
            }
        }
        for (AsciiString name : HOP_BY_HOP) {
            h.remove(name);
        }
    }

    /**
     * Makes a client's request headers the backend's: end-to-end ones, plus X-Forwarded-* and Forwarded.
     * {@code client} is the client's IP address.
     */
    static void upstream(HttpHeaders h, String client, boolean tls, boolean fromHttp2) {
        removeHopByHop(h);
        if (fromHttp2) {
            for (AsciiString name : HTTP2_EXTENSIONS) {
                h.remove(name);
            }
        }
        String host = h.get(HttpHeaderNames.HOST);
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

    /** A backend's response headers for the client: hop-by-hop ones removed. */
    static void downstream(HttpHeaders h) {
        removeHopByHop(h);
    }
}
