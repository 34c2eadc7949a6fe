package io.dsha.proxy.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayDeque;
import org.jboss.logging.Logger;

/**
 * The client's end of the Netty data path: one per HTTP/1.1 connection, or per HTTP/2 stream
 * (whose frames Netty turns into the same HTTP objects). Requests are answered one at a time, in
 * order: what a client sends ahead of its answer (HTTP/1.1 pipelining) waits here, and past a
 * few messages the connection stops being read until the answers catch up.
 */
final class Front extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = Logger.getLogger(Front.class);
    /** Messages held for requests sent ahead of their answers before the connection stops being read. */
    private static final int PIPELINED_MAX = 64;

    private final NettyLoop loop;
    private final boolean h2;
    /** The connection's client-side timeouts (HTTP/2: shared by its streams). */
    private final ClientClock clock;
    private Channel channel;
    private String clientAddress;
    private Headers.Forwarding forwarding;
    /** The exchange being read or answered; null between requests. */
    private Exchange current;
    private ArrayDeque<Object> waiting;
    private boolean blockedByExchange;
    private boolean closing;

    Front(NettyLoop loop, ClientClock clock) {
        this.loop = loop;
        this.clock = clock;
        this.h2 = clock.isH2();
    }

    Channel channel() {
        return channel;
    }

    NettyLoop loop() {
        return loop;
    }

    boolean h2() {
        return h2;
    }

    String clientAddress() {
        return clientAddress;
    }

    /** What this connection's requests tell their backend about the client. */
    Headers.Forwarding forwarding() {
        return forwarding;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        SocketAddress remote = h2 && channel.parent() != null ? channel.parent().remoteAddress() : channel.remoteAddress();
        clientAddress = remote instanceof InetSocketAddress inet && inet.getAddress() != null ? inet.getAddress().getHostAddress() : "unknown";
        forwarding = new Headers.Forwarding(clientAddress, loop.tls);
        if (h2) {
            clock.streamOpened();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (closing) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (waiting != null && !waiting.isEmpty() || current != null && current.requestEnded() && msg instanceof HttpRequest) {
            // Sent ahead of the answer to the request before it: kept, in order, until that answer is out.
            waiting().add(msg);
            updateRead();
            return;
        }
        dispatch(msg);
    }

    private void dispatch(Object msg) {
        if (msg instanceof HttpRequest req) {
            DecoderResult result = req.decoderResult();
            if (result.isFailure()) {
                ReferenceCountUtil.release(msg);
                refuse(result.cause());
                return;
            }
            RequestRules.Refusal refusal = RequestRules.check(req, h2);
            if (refusal != null) {
                ReferenceCountUtil.release(msg);
                refuse(refusal.kind(), refusal.failure());
                return;
            }
            if (!h2) {
                clock.exchangeBegun();
            }
            current = new Exchange(this, req);
            current.start();
        }
        if (msg instanceof HttpContent c) {
            if (current != null && !current.requestEnded()) {
                current.fromClient(c);
            } else {
                c.release();
            }
        } else if (!(msg instanceof HttpRequest)) {
            ReferenceCountUtil.release(msg);
        }
    }

    /** A request that could not be parsed: answered here (no backend sees it), and the connection closed. */
    private void refuse(Throwable cause) {
        HttpResponseStatus status = cause instanceof TooLongHttpHeaderException ? HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
                : cause instanceof TooLongHttpLineException ? HttpResponseStatus.REQUEST_URI_TOO_LONG : HttpResponseStatus.BAD_REQUEST;
        String reason = status == HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE ? "the request's headers exceed " + loop.path.maxHeaderBytes + " bytes"
                : cause == null || cause.getMessage() == null ? "malformed request" : RequestRules.printable(cause.getMessage());
        String kind = status == HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE ? "headers_too_large"
                : status == HttpResponseStatus.REQUEST_URI_TOO_LONG ? "target_too_long" : "malformed";
        refuse(kind, new ProxyFailure(status.code(), status.reasonPhrase().toLowerCase(java.util.Locale.ROOT), reason));
    }

    /** Answers {@code failure} here (no backend sees the request), then closes the connection (HTTP/2: the stream). */
    void refuse(String kind, ProxyFailure failure) {
        closing = true;
        if (!h2) {
            clock.linger();
        }
        loop.path.metrics.clientError(kind);
        loop.path.metrics.request(null, failure.status());
        channel.writeAndFlush(failure.response(HttpVersion.HTTP_1_1, true)).addListener(ChannelFutureListener.CLOSE);
    }

    /** The exchange is over; with {@code reusable} the next request on this connection is served. */
    void exchangeDone(Exchange f, boolean reusable) {
        if (f != current) {
            return;
        }
        current = null;
        blockedByExchange = false;
        if (!reusable) {
            closing = true;
            if (!h2) {
                clock.linger();
            }
            if (waiting != null) {
                waiting.forEach(ReferenceCountUtil::release);
                waiting.clear();
            }
            return;
        }
        while (waiting != null && !waiting.isEmpty() && !closing && (current == null || !current.requestEnded() || !(waiting.peek() instanceof HttpRequest))) {
            dispatch(waiting.poll());
        }
        if (current == null && !closing && !h2) {
            clock.exchangeEnded();
        }
        updateRead();
    }

    /** Whether the exchange wants the client's reading paused (its body has nowhere to go yet). */
    void exchangeBlocksReading(boolean blocked) {
        if (blocked != blockedByExchange) {
            blockedByExchange = blocked;
            updateRead();
        }
    }

    private void updateRead() {
        boolean read = !blockedByExchange && (waiting == null || waiting.size() < PIPELINED_MAX);
        if (channel.config().isAutoRead() != read) {
            channel.config().setAutoRead(read);
        }
    }

    private ArrayDeque<Object> waiting() {
        if (waiting == null) {
            waiting = new ArrayDeque<>(4);
        }
        return waiting;
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (current != null && ctx.channel().isWritable()) {
            current.clientWritabilityChanged();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closing = true;
        if (waiting != null) {
            waiting.forEach(ReferenceCountUtil::release);
            waiting.clear();
        }
        Exchange f = current;
        if (f != null) {
            f.clientGone();
        }
        if (h2) {
            clock.streamClosed();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debugf("Client connection %s: %s", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }
}
