package io.dsha.proxy.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Error;
import org.jboss.logging.Logger;

/**
 * The client-side timeouts of one client connection, between its requests (while a request is being
 * answered, its exchange keeps its own deadlines):
 * <ul>
 * <li>HTTP/1.x: a request's head must be complete within {@code dsha.timeouts.request-header} of its first
 * byte (of the connection's acceptance, for its first request), else 408 and the connection is closed
 * (slowloris); a connection idle between requests is closed after {@code dsha.timeouts.client-idle}.</li>
 * <li>HTTP/2: a connection with no stream open for {@code dsha.timeouts.client-idle} is sent a GOAWAY and
 * closed (a PING does not keep it open).</li>
 * </ul>
 * For HTTP/1.x it sits before the decoder and sees every read; deadlines are the event loop's
 * ({@link Deadlines}, one periodic tick), so a request on a busy connection costs no timer. Used from the
 * connection's event loop only.
 */
final class ClientClock extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = Logger.getLogger(ClientClock.class);

    private enum State {
        /** Between requests, nothing of the next one read yet. */
        IDLE,
        /** The next request's head has begun and is not complete. */
        HEAD,
        /** A request is being answered (HTTP/1.x), or a stream is open (HTTP/2). */
        BUSY
    }

    private final NettyLoop loop;
    private final boolean h2;
    private Channel channel;
    private State state = State.IDLE;
    private Deadlines.Deadline deadline;
    private boolean bytesSeen;
    private int streams;
    private Http1Decoder decoder;
    private boolean goingAway;
    /** When the connection last became idle (System.nanoTime): graceful shutdown closes those idle for a while. */
    private long idleSince = System.nanoTime();
    /**
     * Shutdown closes an HTTP/1.x connection once it has been idle this long: a client in the middle of a burst would
     * send its next request into the close (and see it fail); its next response says {@code Connection: close}.
     */
    static final long DRAIN_IDLE_NANOS = 250_000_000L;

    ClientClock(NettyLoop loop, boolean h2) {
        this.loop = loop;
        this.h2 = h2;
    }

    boolean isH2() {
        return h2;
    }

    /** The HTTP/1.x decoder after this handler: asked whether the next request has begun when an answer is out. */
    void decoder(Http1Decoder d) {
        this.decoder = d;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        loop.clocks.add(this);
        // The first request's head is due within the header timeout of the connection's acceptance (HTTP/2: of its
        // setting up; its first stream opens at once when the client has one to send).
        arm(h2 ? loop.idleDeadlines : loop.headerDeadlines, h2 ? this::idleExpired : this::headExpired);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (state == State.IDLE && !h2) {
            bytesSeen = true;
            state = State.HEAD;
            disarm();
            ctx.fireChannelRead(msg);
            if (state == State.HEAD) {
                // Only part of a head came in this read (the decoder dispatched no request): from now it must be quick.
                arm(loop.headerDeadlines, this::headExpired);
            }
            return;
        }
        if (!h2) {
            bytesSeen = true;
        }
        ctx.fireChannelRead(msg);
    }

    /** A request's head was read whole: its exchange's own deadlines apply until it is answered. */
    void exchangeBegun() {
        disarm();
        state = State.BUSY;
    }

    /** The answer is out and no request read ahead is waiting: the connection waits for its next request. */
    void exchangeEnded() {
        disarm();
        if (decoder != null && decoder.holdsBytes()) {
            state = State.HEAD;
            arm(loop.headerDeadlines, this::headExpired);
        } else {
            state = State.IDLE;
            idleSince = System.nanoTime();
            arm(loop.idleDeadlines, this::idleExpired);
        }
    }

    /**
     * The connection's last answer is being written, then the connection closes: closed anyway after client-idle, if
     * the client does not read that answer (its write would never complete, and nothing else would close it).
     */
    void linger() {
        disarm();
        state = State.BUSY;
        deadline = loop.idleDeadlines.add(System.nanoTime(), this::forceClose);
    }

    private void forceClose() {
        deadline = null;
        channel.close();
    }

    /** HTTP/2: a stream opened on this connection. */
    void streamOpened() {
        if (streams++ == 0) {
            disarm();
            state = State.BUSY;
        }
    }

    /** HTTP/2: a stream of this connection closed. */
    void streamClosed() {
        if (--streams == 0 && channel.isActive()) {
            state = State.IDLE;
            if (loop.path.shuttingDown) {
                drain(System.nanoTime());
            } else {
                arm(loop.idleDeadlines, this::idleExpired);
            }
        }
    }

    /**
     * Graceful shutdown, at each tick of the event loop: an HTTP/1.x connection idle for {@link #DRAIN_IDLE_NANOS} is
     * closed (a FIN; a busy one's next response says {@code Connection: close}, so the client never sends into a
     * closing connection); an HTTP/2 connection is sent a GOAWAY at once (its streams finish, the client opens no
     * new one) and closed when it has no stream open.
     */
    void drain(long nowNanos) {
        if (!channel.isActive()) {
            return;
        }
        if (h2) {
            if (state == State.IDLE) {
                if (goingAway) {
                    disarm();
                    channel.close();
                } else {
                    idleExpired();
                }
            } else if (!goingAway) {
                goingAway = true;
                channel.writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR));
            }
        } else if (state == State.IDLE && nowNanos - idleSince >= DRAIN_IDLE_NANOS) {
            disarm();
            state = State.BUSY;
            // After whatever is still queued for the client (the end of its last answer): a FIN, never a cut answer.
            channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }

    private void arm(Deadlines kind, Runnable action) {
        disarm();
        deadline = kind.add(System.nanoTime(), action);
    }

    private void disarm() {
        if (deadline != null) {
            deadline.cancel();
            deadline = null;
        }
    }

    private void headExpired() {
        deadline = null;
        if (state == State.BUSY || !channel.isActive()) {
            return;
        }
        if (!bytesSeen) {
            // A connection that never sent a byte gets no answer (as HAProxy does): there is nothing to answer.
            channel.close();
            return;
        }
        loop.path.metrics.clientError("header_timeout");
        loop.path.metrics.request(null, 408);
        LOG.debugf("Client %s: no complete request head within %d ms", channel.remoteAddress(), loop.path.requestHeaderTimeoutMs);
        channel.writeAndFlush(ProxyFailure.requestTimeout("no complete request head within " + loop.path.requestHeaderTimeoutMs + " ms")
                .response(HttpVersion.HTTP_1_1, true)).addListener(ChannelFutureListener.CLOSE);
        linger();
    }

    private void idleExpired() {
        disarm();
        if (state != State.IDLE || !channel.isActive()) {
            return;
        }
        if (h2) {
            goingAway = true;
            channel.writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR)).addListener(ChannelFutureListener.CLOSE);
            linger();
        } else {
            channel.close();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        loop.clocks.remove(this);
        disarm();
        state = State.BUSY;
        ctx.fireChannelInactive();
    }
}
