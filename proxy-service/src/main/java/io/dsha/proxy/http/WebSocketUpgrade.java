package io.dsha.proxy.http;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;

/**
 * An HTTP/1.1 WebSocket upgrade: the request goes to a backend on a connection of its own (outside
 * the pool); once it answers 101, both connections leave HTTP and their bytes are spliced
 * ({@link Splice}). Until then nothing more is read from the client.
 */
final class WebSocketUpgrade {

    private WebSocketUpgrade() {
    }

    /** Whether the request asks to become a WebSocket. */
    static boolean asked(HttpHeaders in) {
        String upgrade = in.get(HttpHeaderNames.UPGRADE);
        return upgrade != null && upgrade.equalsIgnoreCase("websocket");
    }

    /** The upgrade request for the backend: end-to-end headers and forwarding ones, then Connection and Upgrade again. */
    static FullHttpRequest request(HttpRequest req, Headers.Forwarding from) {
        HttpHeaders headers = req.headers();
        String upgrade = headers.get(HttpHeaderNames.UPGRADE);
        Headers.upstream(headers, from, false);
        headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
        headers.set(HttpHeaderNames.UPGRADE, upgrade);
        return new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, req.method(), req.uri(), Unpooled.EMPTY_BUFFER, headers,
                EmptyHttpHeaders.INSTANCE);
    }

    /** The backend's 101 for the client, as it came. */
    static FullHttpResponse response(HttpResponse resp) {
        return new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, resp.status(), Unpooled.EMPTY_BUFFER, resp.headers(),
                EmptyHttpHeaders.INSTANCE);
    }
}
