package io.dsha.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/**
 * Why the proxy answers instead of a backend, with the status that says it: 502 a backend failed
 * the exchange, 503 nothing available, 504 no answer in time, 413/431 the request is too large.
 */
record ProxyFailure(int status, String error, String reason) {

    static ProxyFailure unavailable(String reason) {
        return new ProxyFailure(503, "no backend available", reason);
    }

    static ProxyFailure badGateway(String reason) {
        return new ProxyFailure(502, "bad gateway", reason);
    }

    static ProxyFailure timeout(String reason) {
        return new ProxyFailure(504, "gateway timeout", reason);
    }

    static ProxyFailure tooLarge(String reason) {
        return new ProxyFailure(413, "request body too large", reason);
    }

    static ProxyFailure badRequest(String reason) {
        return new ProxyFailure(400, "bad request", reason);
    }

    static ProxyFailure requestTimeout(String reason) {
        return new ProxyFailure(408, "request timeout", reason);
    }

    /**
     * The answer in {@code version} (HTTP/1.1 for an HTTP/2 stream, whose codec turns it into frames): the JSON body, its length,
     * {@code Retry-After: 1} for a 503, and with {@code close}, {@code Connection: close}.
     */
    FullHttpResponse response(HttpVersion version, boolean close) {
        ByteBuf body = Unpooled.copiedBuffer(json(), StandardCharsets.UTF_8);
        FullHttpResponse out = new DefaultFullHttpResponse(version, HttpResponseStatus.valueOf(status), body);
        HttpHeaders h = out.headers();
        h.set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
        h.set(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
        if (status == 503) {
            h.set(HttpHeaderNames.RETRY_AFTER, "1");
        }
        if (close) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        return out;
    }

    String json() {
        return "{\"status\":" + status + ",\"error\":\"" + escape(error) + "\",\"reason\":\"" + escape(reason) + "\"}";
    }

    private static String escape(String s) {
        return io.dsha.proxy.ingest.IngestAnswer.escape(s);
    }
}
