package io.dsha.proxy.http;

import io.dsha.proxy.balance.Target;
import io.dsha.proxy.http.RetryPolicy.FailureKind;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

/**
 * One try of an {@link Exchange} against one backend: it takes a connection from the loop's
 * {@link BackendPool} (it is the {@link BackendPool.Lease} and, once connected, the
 * {@link BackendPool.Holder}), writes the request, runs the first-byte deadline, passes the
 * response on to its exchange, and when it fails before the response began, says how
 * ({@link FailureKind}): the exchange asks {@link RetryPolicy} what follows. It counts as one
 * outstanding request on its backend from {@link #start} to its end. Runs on the exchange's event
 * loop; not thread-safe.
 */
final class Attempt implements BackendPool.Lease, BackendPool.Holder {

    /** Where the attempt stands; only ever moves forward. */
    enum State {
        /** Waiting for a connection (an idle one, a new one, or the next to come free). */
        CONNECTING,
        /** Connected; the request (or, streamed, its beginning) is going out. */
        SENDING,
        /** The whole request went out: the first-byte deadline runs. */
        SENT,
        /** The response's head arrived (or the 101 of a WebSocket): from now a failure cuts the client's connection. */
        RESPONDING,
        /** Over: its connection released or closed, its backend no longer counts it. */
        OVER,
    }

    private final Exchange exchange;
    private final NettyLoop loop;
    /** The backend tried. */
    final Target target;
    /** A WebSocket upgrade: a connection of its own, outside the pool, not counted as an outstanding request. */
    private final boolean upgrade;
    private State state = State.CONNECTING;
    /** The connection, from {@link #acquired} until it is released or closed. */
    private BackendPool.Upstream upstream;
    private Deadlines.Deadline firstByte;
    /** Whether the backend's outstanding count includes this attempt. */
    private boolean counted;
    /** An interim response (1xx) is being skipped, up to its (empty) end. */
    private boolean skippingInterim;
    /** Whether the backend said its connection may serve another request. */
    private boolean reusable;
    /** Set once the whole request went out. */
    private boolean reachedBackend;
    /** When the attempt began waiting for a connection, and how long it waited (-1 until it had one). */
    private long startedNanos;
    private long connectNanos = -1;

    private Attempt(Exchange exchange, NettyLoop loop, Target target, boolean upgrade) {
        this.exchange = exchange;
        this.loop = loop;
        this.target = target;
        this.upgrade = upgrade;
    }

    /** Begins a try of {@code target}; the exchange must hold it as its current attempt before the pool answers. */
    static Attempt of(Exchange exchange, NettyLoop loop, Target target, boolean upgrade) {
        return new Attempt(exchange, loop, target, upgrade);
    }

    void start() {
        startedNanos = System.nanoTime();
        if (upgrade) {
            loop.pool.connectUnpooled(target, this);
        } else {
            counted = true;
            target.begin();
            loop.pool.acquire(target, this);
        }
    }

    State state() {
        return state;
    }

    /** Whether the whole request went out to this backend (it may have acted on it); still known once the attempt ended. */
    boolean sent() {
        return reachedBackend;
    }

    /** The connection the request's body goes to, or null while there is none. */
    Channel channel() {
        return upstream == null ? null : upstream.channel;
    }

    /** How long this attempt waited for its connection (a new one, or one of the pool's), or -1 when it had none. */
    long connectNanos() {
        return connectNanos;
    }

    boolean connected() {
        return upstream != null;
    }

    // ---- the lease

    @Override
    public boolean wanted() {
        return state != State.OVER && exchange.live();
    }

    @Override
    public boolean uploading() {
        return exchange.body().uploading();
    }

    @Override
    public void acquired(BackendPool.Upstream connection) {
        if (!wanted()) {
            loop.pool.release(connection, true);
            return;
        }
        upstream = connection;
        connectNanos = System.nanoTime() - startedNanos;
        connection.owner = this;
        state = State.SENDING;
        if (upgrade) {
            exchange.writeUpgrade(connection.channel);
            return;
        }
        if (exchange.body().writeTo(connection.channel, exchange.request(), loop)) {
            requestSent();
        }
        exchange.updateClientRead();
    }

    @Override
    public void failed(Throwable cause) {
        if (state == State.OVER || !exchange.live()) {
            return;
        }
        // Nothing reached this backend: any request may go to the next one.
        end();
        FailureKind kind;
        String reason;
        if (cause instanceof BackendPool.Stopping) {
            kind = FailureKind.STOPPING;
            reason = cause.getMessage();
        } else {
            reason = describe(cause);
            // Out of file descriptors (or the like): every backend would fail the same way, and none is at fault.
            kind = loop.path.connectFailed(target, reason, cause) ? FailureKind.CONNECT_FAILED : FailureKind.OUT_OF_FILES;
        }
        exchange.attemptFailed(this, kind, reason);
    }

    /** The whole request is on its way to the backend: from now, the backend's slowness is the backend's. */
    void requestSent() {
        reachedBackend = true;
        if (state == State.SENDING) {
            state = State.SENT;
        }
        if (upstream != null) {
            loop.pool.uploadDone(upstream);
        }
        if (firstByte == null && exchange.awaitingResponse()) {
            firstByte = loop.firstByteDeadlines.add(System.nanoTime(), exchange, this::firstByteExpired);
        }
    }

    private void firstByteExpired() {
        firstByte = null;
        if (!exchange.awaitingResponse()) {
            return;
        }
        abandon();
        failedAfterSending(FailureKind.FIRST_BYTE_TIMEOUT, "no response within " + loop.path.firstByteTimeoutMs + " ms");
    }

    /** The request may have reached the backend: the failure counts against it, then the exchange decides. */
    private void failedAfterSending(FailureKind kind, String reason) {
        loop.path.failed(target, reason);
        exchange.attemptFailed(this, kind, reason);
    }

    // ---- the connection's holder

    @Override
    public void fromBackend(BackendPool.Upstream up, Object msg) {
        if (up != upstream || !exchange.live()) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpObject o && o.decoderResult().isFailure()) {
            ReferenceCountUtil.release(msg);
            malformed(o.decoderResult().cause());
            return;
        }
        if (msg instanceof HttpResponse resp) {
            int code = resp.status().code();
            if (code == 101 && upgrade) {
                responding();
                exchange.switchProtocols(resp, upstream.channel);
                ReferenceCountUtil.release(msg);
                return;
            }
            if (code >= 100 && code < 200) {
                // Interim (100 Continue, 103 Early Hints): not relayed; its (empty) end is skipped too.
                skippingInterim = true;
                ReferenceCountUtil.release(msg);
                return;
            }
            responding();
            reusable = HttpUtil.isKeepAlive(resp) && !upgrade;
            exchange.responseHead(resp);
        }
        if (msg instanceof HttpContent c) {
            if (skippingInterim) {
                if (c instanceof LastHttpContent) {
                    skippingInterim = false;
                }
                c.release();
                return;
            }
            boolean last = c instanceof LastHttpContent;
            if (last) {
                complete();
            }
            exchange.responseContent(c, last);
            if (!last && upstream != null && !exchange.clientWritable()) {
                upstream.channel.config().setAutoRead(false);
            }
        } else if (!(msg instanceof HttpResponse)) {
            ReferenceCountUtil.release(msg);
        }
    }

    private void responding() {
        state = State.RESPONDING;
        cancelFirstByte();
    }

    /**
     * The whole response is in: the backend is free before the client has read it all, which is when it stops
     * counting as outstanding (least-outstanding balancing depends on it). Its connection is reused only when the
     * whole request went out too (a backend may answer before the body's end).
     */
    private void complete() {
        BackendPool.Upstream up = upstream;
        upstream = null;
        up.channel.config().setAutoRead(true);
        RequestBody body = exchange.body();
        loop.pool.release(up, reusable && body.ended() && body.drained());
        end();
        target.succeeded();
    }

    @Override
    public void flushToClient() {
        exchange.flushToClient();
    }

    @Override
    public void backendWritabilityChanged() {
        exchange.updateClientRead();
        clientWritabilityChanged();
    }

    /** The client's connection drained: the backend may send more of its response. */
    void clientWritabilityChanged() {
        if (state == State.RESPONDING && upstream != null && exchange.clientWritable()) {
            upstream.channel.config().setAutoRead(true);
        }
    }

    /** The backend connection closed (or broke) while this attempt held it. */
    @Override
    public void backendClosed(BackendPool.Upstream up, Throwable cause) {
        if (up != upstream) {
            return;
        }
        upstream = null;
        if (!exchange.live()) {
            end();
            return;
        }
        if (upgrade && state == State.RESPONDING) {
            return; // spliced: the splice handles its own closing
        }
        end();
        if (!exchange.awaitingResponse()) {
            // The backend failed mid-response: the status is out, so the client's connection is cut.
            if (!exchange.clientWritable()) {
                // Not the backend: the client stopped reading, its answer backed up to the backend's connection, which
                // then sat silent until its idle timeout. The client's doing, never counted against the backend.
                loop.path.metrics.clientError("response_stalled");
            } else {
                loop.path.failed(target, describe(cause == null ? new java.nio.channels.ClosedChannelException() : cause)
                        + " during the response");
            }
            exchange.cut(target);
            return;
        }
        failedAfterSending(FailureKind.FAILED_AFTER_SENDING, cause == null ? "connection closed" : describe(cause));
    }

    /**
     * The backend sent what is not HTTP: an unreadable head, or a broken chunk in its body. Its connection is
     * closed (the codec would read nothing more from it). Before the head went out the attempt failed like a
     * dropped connection; after it, the client's connection is cut, so a truncated body is never framed as complete.
     */
    private void malformed(Throwable cause) {
        String reason = "malformed response" + (cause == null || cause.getMessage() == null ? "" : " (" + cause.getMessage() + ")");
        abandon();
        if (!exchange.awaitingResponse()) {
            loop.path.failed(target, reason);
            exchange.cut(target);
            return;
        }
        failedAfterSending(FailureKind.FAILED_AFTER_SENDING, reason);
    }

    /** Gives up on this backend: its connection closed (never reused), its count ended. */
    void abandon() {
        BackendPool.Upstream up = upstream;
        if (up != null) {
            upstream = null;
            loop.pool.release(up, false);
        }
        end();
    }

    /** The exchange is over; a spliced WebSocket keeps its connection (the splice owns it now). */
    void close(boolean spliced) {
        if (spliced) {
            end();
        } else {
            abandon();
        }
    }

    private void end() {
        cancelFirstByte();
        state = State.OVER;
        if (counted) {
            counted = false;
            target.end();
        }
    }

    private void cancelFirstByte() {
        if (firstByte != null) {
            firstByte.cancel();
            firstByte = null;
        }
    }

    static String describe(Throwable t) {
        if (t instanceof io.netty.channel.ConnectTimeoutException) {
            return "connect timeout";
        }
        if (t instanceof java.net.ConnectException) {
            return "connection refused";
        }
        if (t instanceof java.util.concurrent.TimeoutException) {
            return "timeout";
        }
        String m = t.getMessage();
        if (t instanceof java.nio.channels.ClosedChannelException || m != null && m.toLowerCase(java.util.Locale.ROOT).contains("closed")) {
            return "connection closed";
        }
        if (m != null && m.toLowerCase(java.util.Locale.ROOT).contains("reset")) {
            return "connection reset";
        }
        return t.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }
}
