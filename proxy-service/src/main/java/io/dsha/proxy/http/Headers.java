package io.dsha.proxy.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.util.AsciiString;
import java.util.Arrays;
import java.util.Objects;

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

    /**
     * Headers a {@code Connection} token can never remove: the message's framing and its target. A proxy that
     * removed {@code Content-Length} after framing the body by it would send the body as the start of the next
     * request on a pooled connection (request smuggling); Envoy refuses such a message, HAProxy keeps them, as here.
     */
    private static final AsciiString[] NEVER_HOP_BY_HOP = {HttpHeaderNames.CONTENT_LENGTH, HttpHeaderNames.TRANSFER_ENCODING,
        HttpHeaderNames.HOST};

    /** Removes the hop-by-hop headers, those the Connection header names included (but framing and Host: never). */
    static void removeHopByHop(HttpHeaders h) {
        String connection = h.get(HttpHeaderNames.CONNECTION);
        if (connection != null) {
            // Token by token, without splitting: "close" and "keep-alive", the usual ones, cost nothing.
            int n = connection.length();
            for (int i = 0; i < n; ) {
                int end = connection.indexOf(',', i);
                if (end < 0) {
                    end = n;
                }
                int from = i;
                int to = end;
                while (from < to && Character.isWhitespace(connection.charAt(from))) {
                    from++;
                }
                while (to > from && Character.isWhitespace(connection.charAt(to - 1))) {
                    to--;
                }
                if (to > from && !is(connection, from, to, "close") && !is(connection, from, to, "keep-alive")
                        && !protectedName(connection, from, to)) {
                    h.remove(connection.substring(from, to));
                }
                i = end + 1;
            }
        }
        for (AsciiString name : HOP_BY_HOP) {
            h.remove(name);
        }
    }

    private static boolean protectedName(String s, int from, int to) {
        for (AsciiString name : NEVER_HOP_BY_HOP) {
            if (to - from == name.length() && s.regionMatches(true, from, name.toString(), 0, name.length())) {
                return true;
            }
        }
        return false;
    }

    private static boolean is(String s, int from, int to, String token) {
        return to - from == token.length() && s.regionMatches(true, from, token, 0, token.length());
    }

    /**
     * Makes a client's request headers the backend's: end-to-end ones, plus X-Forwarded-* and Forwarded
     * as {@code from} (the client's connection) gives them.
     */
    static void upstream(HttpHeaders h, Forwarding from, boolean fromHttp2) {
        removeHopByHop(h);
        if (fromHttp2) {
            for (AsciiString name : HTTP2_EXTENSIONS) {
                h.remove(name);
            }
        }
        String host = h.get(HttpHeaderNames.HOST);
        String xff = h.get(X_FORWARDED_FOR);
        h.set(X_FORWARDED_FOR, xff == null ? from.client : xff + ", " + from.client);
        h.set(X_FORWARDED_PROTO, from.proto);
        if (host != null) {
            h.set(X_FORWARDED_HOST, host);
        }
        String forwarded = from.element(host);
        String prior = h.get(FORWARDED);
        h.set(FORWARDED, prior == null ? forwarded : prior + ", " + forwarded);
    }

    /**
     * What one client connection's requests carry to the backend about it: its address, its scheme, and
     * the Forwarded element for the Host its last request named. A connection's requests nearly always
     * name one host, so the element is built once per connection rather than once per request.
     */
    static final class Forwarding {
        final String client;
        final String proto;
        private final String node;
        private String host;
        private String element;

        /** {@code client} is the client's IP address; {@code tls}, whether it came over TLS. */
        Forwarding(String client, boolean tls) {
            this.client = client;
            this.proto = tls ? "https" : "http";
            this.node = client.indexOf(':') >= 0 ? "\"[" + client + "]\"" : client;
        }

        /** The Forwarded element (RFC 7239) for a request naming {@code host} (null: none). */
        String element(String host) {
            if (element == null || !Objects.equals(host, this.host)) {
                this.host = host;
                element = "for=" + node + ";proto=" + proto + (host == null ? "" : ";host=\"" + host + "\"");
            }
            return element;
        }
    }

    /** A backend's response headers for the client: hop-by-hop ones removed. */
    static void downstream(HttpHeaders h) {
        removeHopByHop(h);
    }

    /**
     * Frames a backend's response (its hop-by-hop headers already gone) for an HTTP/1.x client: chunked when it has a
     * body of unknown length (an HTTP/1.0 client reads such a body to the connection's end instead), and
     * {@code Connection} as the connection's fate says.
     *
     * @param keepAlive whether the client's connection may serve its next request, as far as the request goes
     * @return whether it may, now that the response is known
     */
    static boolean frameForHttp1(HttpResponse resp, HttpRequest req, boolean keepAlive) {
        HttpHeaders h = resp.headers();
        int status = resp.status().code();
        boolean bodyless = req.method() == HttpMethod.HEAD || status == 204 || status == 304;
        boolean http11 = req.protocolVersion().equals(HttpVersion.HTTP_1_1);
        if (!bodyless && !h.contains(HttpHeaderNames.CONTENT_LENGTH)) {
            if (http11) {
                h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            } else {
                keepAlive = false;
            }
        }
        if (!keepAlive) {
            // Shutting down, or the client asked: finish this one, and the client opens its next connection elsewhere.
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (!http11) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        return keepAlive;
    }
}
