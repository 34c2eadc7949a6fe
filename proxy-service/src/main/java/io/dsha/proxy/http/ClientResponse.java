package io.dsha.proxy.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * What an {@link Exchange} writes to its client: a backend's response relayed (its head held back
 * to go out with the first part of its body, so a small response leaves as one buffer), the
 * proxy's own answer, or a 101 before a splice; and whether the connection serves the client's next
 * request. HTTP/2 streams get HTTP/1.1 objects, which Netty's codec turns into frames.
 */
final class ClientResponse {

    private final Channel client;
    private final NettyLoop loop;
    private final HttpRequest req;
    private final boolean h2;
    /** The response's head, not yet written. */
    private HttpResponse head;
    private int status;
    private boolean keepAlive;
    /** The response body's bytes written to the client. */
    private long bytesOut;

    ClientResponse(Channel client, NettyLoop loop, HttpRequest req, boolean h2) {
        this.client = client;
        this.loop = loop;
        this.req = req;
        this.h2 = h2;
    }

    /** The status answered, or 0 before an answer began. */
    int status() {
        return status;
    }

    /** The response body's bytes written (or being written) to the client. */
    long bytesOut() {
        return bytesOut;
    }

    /** Whether the client's HTTP/1.x connection serves its next request once this answer is out. */
    boolean keepAlive() {
        return keepAlive;
    }

    boolean writable() {
        return client.isWritable();
    }

    /** Tells an HTTP/1.1 client that sent {@code Expect: 100-continue} to send its body. */
    void proceed() {
        client.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE, Unpooled.EMPTY_BUFFER));
    }

    /**
     * A backend's response head (hop-by-hop headers gone), kept to go out with what follows it in the same read.
     *
     * @param keepAliveAllowed whether the connection may serve the next request, as far as the request goes
     */
    void head(HttpResponse resp, boolean keepAliveAllowed) {
        status = resp.status().code();
        if (!h2) {
            keepAlive = Headers.frameForHttp1(resp, req, keepAliveAllowed);
        }
        // The backend's own head object goes on, in the client's HTTP version.
        resp.setProtocolVersion(h2 ? HttpVersion.HTTP_1_1 : req.protocolVersion());
        head = resp;
    }

    private void writeHead() {
        if (head != null) {
            client.write(head, client.voidPromise());
            head = null;
        }
    }

    /** A part of the body, not the last: written, flushed at the end of the backend's read burst ({@link #flush}). */
    void content(HttpContent c) {
        bytesOut += c.content().readableBytes();
        writeHead();
        client.write(c, client.voidPromise());
    }

    /**
     * The body's last part: the response is complete. The connection closes after it when it does not serve another
     * request, or (HTTP/2: the stream is reset) when the backend answered before the request's body ended.
     */
    void last(LastHttpContent c, boolean requestEnded) {
        bytesOut += c.content().readableBytes();
        Object out = c;
        if (head != null) {
            out = new DefaultFullHttpResponse(head.protocolVersion(), head.status(), c.content(), head.headers(), c.trailingHeaders());
            head = null;
        }
        if (!h2 && !(keepAlive && requestEnded) || h2 && !requestEnded) {
            client.write(out).addListener(ChannelFutureListener.CLOSE);
        } else {
            client.write(out, client.voidPromise());
        }
        loop.flushSoon(client);
    }

    void flush() {
        writeHead();
        client.flush();
    }

    /** The backend's 101: written as it came; the connection leaves HTTP. */
    void switchProtocols(HttpResponse resp) {
        status = 101;
        client.writeAndFlush(WebSocketUpgrade.response(resp));
    }

    /**
     * The proxy's own answer, in place of a backend's.
     *
     * @param close whether the connection closes after it (HTTP/1.x)
     * @param resetStream whether the HTTP/2 stream is reset after it
     */
    void answer(ProxyFailure failure, boolean close, boolean resetStream) {
        answer(failure.response(h2 ? HttpVersion.HTTP_1_1 : req.protocolVersion(), close), close, resetStream);
    }

    /** A whole answer made here (the proxy's, or an instance's relayed by the ingest), with the same closing rules. */
    void answer(io.netty.handler.codec.http.FullHttpResponse out, boolean close, boolean resetStream) {
        status = out.status().code();
        bytesOut += out.content().readableBytes();
        keepAlive = !close;
        if (close) {
            out.headers().set(io.netty.handler.codec.http.HttpHeaderNames.CONNECTION, io.netty.handler.codec.http.HttpHeaderValues.CLOSE);
        }
        ChannelFuture written = client.writeAndFlush(out);
        if (close || resetStream) {
            written.addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** An answer had begun and cannot be finished: the connection is cut, so it is never framed as complete. */
    void cut() {
        client.close();
    }
}
