package io.dsha.proxy.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.util.List;

/**
 * What a request's head must be to cross the proxy, checked before any backend sees it (RFC 9112 for
 * HTTP/1.x, RFC 9113 §8.3 for HTTP/2, whose frames Netty turns into the same request object). What
 * Netty's decoder already refuses (a Content-Length with Transfer-Encoding, several different lengths,
 * {@code chunked} not last, Transfer-Encoding in HTTP/1.0, bad header names) arrives as a decoder failure
 * instead. A request that passes may be normalised in place: an absolute-form target becomes origin-form
 * with the Host it names, and an HTTP/2 request's {@code :authority} and equal {@code host} become one Host.
 * Pure: no I/O, no state.
 */
final class RequestRules {

    /** Why a request is refused: {@code kind} labels {@code dsha_proxy_client_errors_total}; the failure is the answer. */
    record Refusal(String kind, ProxyFailure failure) {
    }

    private RequestRules() {
    }

    /** Null when {@code req} may go on (perhaps normalised), else why not. */
    static Refusal check(HttpRequest req, boolean h2) {
        if (!h2 && !req.protocolVersion().equals(HttpVersion.HTTP_1_1) && !req.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
            // Netty keeps a version it does not know ("HTTP/1.2", an HTTP/2 preface sent on an HTTP/1.1 connection).
            return new Refusal("version", new ProxyFailure(505, "http version not supported",
                    "HTTP version " + printable(req.protocolVersion().text()) + " (expected: HTTP/1.1 or HTTP/1.0)"));
        }
        if (req.method() == HttpMethod.CONNECT) {
            return new Refusal("method", new ProxyFailure(405, "method not allowed",
                    "CONNECT: this listener does not open tunnels"));
        }
        String target = req.uri();
        String badChar = firstBadTargetChar(target);
        if (badChar != null) {
            return badRequest("target", "the request target holds " + badChar + " (RFC 9112 §3.2: visible ASCII only)");
        }
        HttpHeaders h = req.headers();
        String authority = null;
        if (!target.startsWith("/")) {
            if (target.equals("*") && req.method() == HttpMethod.OPTIONS) {
                // asterisk-form: allowed for OPTIONS only
            } else if (!h2 && (startsWithIgnoreCase(target, "http://") || startsWithIgnoreCase(target, "https://"))) {
                int from = target.indexOf("//") + 2;
                int slash = indexOfAny(target, from, "/?#");
                authority = target.substring(from, slash < 0 ? target.length() : slash);
                if (authority.isEmpty() || authority.indexOf('@') >= 0) {
                    return badRequest("target", "the absolute-form target names no host, or carries user information");
                }
                String rest = slash < 0 ? "/" : target.substring(slash);
                req.setUri(rest.startsWith("/") ? rest : "/" + rest);
            } else {
                return badRequest("target", "the request target is neither a path (origin-form) nor an http(s) URI (absolute-form)");
            }
        }
        List<String> hosts = h.getAll(HttpHeaderNames.HOST);
        if (h2) {
            // Netty writes :authority as Host, and a client's own host header after it: equal, one is kept; RFC 9113 §8.3.1.
            for (int i = 1; i < hosts.size(); i++) {
                if (!hosts.get(i).equalsIgnoreCase(hosts.get(0))) {
                    return badRequest("host", "the host header differs from :authority (RFC 9113 §8.3.1)");
                }
            }
            if (hosts.size() > 1) {
                h.set(HttpHeaderNames.HOST, hosts.get(0));
            }
        } else if (hosts.size() > 1) {
            return badRequest("host", "more than one Host header (RFC 9112 §3.2)");
        } else if (hosts.isEmpty() && req.protocolVersion().equals(HttpVersion.HTTP_1_1) && authority == null) {
            return badRequest("host", "an HTTP/1.1 request without Host (RFC 9112 §3.2)");
        }
        if (!hosts.isEmpty() && !validAuthority(hosts.get(0))) {
            return badRequest("host", "the Host header is not a host[:port]");
        }
        if (authority != null) {
            if (!validAuthority(authority)) {
                return badRequest("target", "the absolute-form target's authority is not a host[:port]");
            }
            // RFC 9112 §3.2.2: the target's authority wins over Host; one Host goes on, the one the target names.
            h.set(HttpHeaderNames.HOST, authority);
        }
        if (!h2 && h.contains(HttpHeaderNames.TRANSFER_ENCODING)) {
            List<String> codings = h.getAll(HttpHeaderNames.TRANSFER_ENCODING);
            if (codings.size() != 1 || !codings.get(0).trim().equalsIgnoreCase("chunked")) {
                // Anything but a lone "chunked" (xchunked, gzip, "chunked, chunked", several lines) would be read here one
                // way and by a backend another (RFC 9112 §6.1: 400, then close).
                return badRequest("transfer_encoding", "Transfer-Encoding " + printable(String.join(", ", codings))
                        + " (only chunked is accepted)");
            }
        }
        return null;
    }

    private static Refusal badRequest(String kind, String reason) {
        return new Refusal(kind, ProxyFailure.badRequest(reason));
    }

    /** The first byte of {@code target} outside visible ASCII, described; null when there is none. */
    static String firstBadTargetChar(String target) {
        if (target.isEmpty()) {
            return "nothing";
        }
        for (int i = 0; i < target.length(); i++) {
            char c = target.charAt(i);
            if (c <= 0x20 || c >= 0x7f) {
                return String.format("the byte 0x%02x at %d", (int) c & 0xff, i);
            }
        }
        return null;
    }

    /** host[:port] as RFC 3986 allows it: a reg-name or IPv4 literal, or an IP literal in brackets; an optional port. */
    static boolean validAuthority(String a) {
        if (a.isEmpty()) {
            return true; // RFC 9112 §3.2: an empty Host is allowed when the target has no authority
        }
        for (int i = 0; i < a.length(); i++) {
            char c = a.charAt(i);
            boolean ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || "-._~%!$&'()*+,;=:[]".indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** {@code s} with every byte outside visible ASCII written as \xNN, for a message or a log line. */
    static String printable(String s) {
        StringBuilder sb = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean plain = c >= 0x20 && c < 0x7f && c != '\\';
            if (!plain && sb == null) {
                sb = new StringBuilder(s.length() + 16).append(s, 0, i);
            }
            if (sb != null) {
                if (plain) {
                    sb.append(c);
                } else if (c == '\\') {
                    sb.append("\\\\");
                } else {
                    sb.append(String.format("\\x%02x", (int) c & 0xff));
                }
            }
        }
        return sb == null ? s : sb.toString();
    }

    private static boolean startsWithIgnoreCase(String s, String prefix) {
        return s.regionMatches(true, 0, prefix, 0, prefix.length());
    }

    private static int indexOfAny(String s, int from, String chars) {
        for (int i = from; i < s.length(); i++) {
            if (chars.indexOf(s.charAt(i)) >= 0) {
                return i;
            }
        }
        return -1;
    }
}
