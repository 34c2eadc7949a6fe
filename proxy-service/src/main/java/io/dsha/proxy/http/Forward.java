package io.dsha.proxy.http;

import io.dsha.proxy.balance.RoutingTable;
import io.dsha.proxy.balance.Target;
import io.dsha.proxy.http.RetryPolicy.Decision;
import io.dsha.proxy.http.RetryPolicy.FailureKind;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * One client request, from its head to the end of its response. Failover is decided per attempt: a
 * backend that could not be reached (nothing was sent) is skipped at once for the next one; a
 * backend that failed after the request went out, or gave no first byte in time, is retried
 * elsewhere only for an idempotent method whose body is held in full: {@link RetryPolicy} decides, this carries it
 * out. Runs on one event loop, the client's and its backend connections'; not thread-safe.
 */
final class Forward implements BackendPool.Lease, BackendPool.Holder {

    /** Methods whose request may go without a body framing when it has none. */
    private static final Set<HttpMethod> BODYLESS_BY_DEFAULT = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS,
            HttpMethod.DELETE, HttpMethod.TRACE);

    private final Front front;
    private final Channel client;
    private final NettyLoop loop;
    private final DataPath path;
    private final HttpRequest req;
    private final long start = System.nanoTime();
    private final boolean h2;
    private boolean keepAliveWanted;
    private long declaredLength = -1;
    private boolean hadBody;
    private List<Target> candidates;
    /** Whether the body is being held for retries, while it is read. */
    private boolean holding;
    /** What was read of it (made at its first byte: most held requests have none). */
    private CompositeByteBuf held;
    /** The whole body, held for retries; null when it is streamed. */
    private ByteBuf body;
    /** Body parts read before the backend is ready to take them (streamed bodies). */
    private ArrayDeque<HttpContent> pending;
    private boolean streaming;
    private boolean requestEnded;
    private boolean upstreamReady;
    private long streamed;
    private int attempt = -1;
    private Target current;
    private boolean attemptOpen;
    private BackendPool.Upstream upstream;
    /** Where the exchange stands toward its client; only ever moves forward. */
    private Phase phase = Phase.AWAITING_RESPONSE;
    private boolean websocket;
    private boolean skippingInterim;
    private boolean upstreamReusable;
    private boolean bodyless;
    private boolean keepAlive;
    private int status;
    private Deadlines.Deadline firstByteDeadline;
    private Deadlines.Deadline requestDeadline;
    /** While the body is read: the longest silence allowed before its next part (dsha.timeouts.request-body). */
    private Deadlines.Deadline bodyDeadline;
    /** Whether the method may be sent again after it may have reached a backend. */
    private boolean idempotent;
    /** Bytes of this request's body counted in the proxy's total of held bodies ({@link DataPath#hold}). */
    private int heldAccounted;
    /** Whether the whole request (head and body) has been written to the current backend: its first-byte wait runs from then. */
    private boolean requestSent;

    /** The exchange's state toward its client. */
    private enum Phase {
        /** No answer has begun: a failed attempt may still be retried, or answered by the proxy. */
        AWAITING_RESPONSE,
        /** An answer has begun (the backend's head, a 101, or the proxy's own): never retried; a failure cuts the connection. */
        RESPONDING,
        /** Over: counted and logged, its resources let go; what still arrives is dropped. */
        DONE,
    }

    Forward(Front front, HttpRequest req) {
        this.front = front;
        this.client = front.channel();
        this.loop = front.loop();
        this.path = loop.path;
        this.req = req;
        this.h2 = front.h2();
    }

    boolean requestEnded() {
        return requestEnded;
    }

    /** The whole request was read, or it has no body (its empty end is only a formality). */
    private boolean requestComplete() {
        return requestEnded || !hadBody;
    }

    void start() {
        path.begin();
        HttpHeaders in = req.headers();
        keepAliveWanted = !h2 && HttpUtil.isKeepAlive(req);
        declaredLength = contentLength(in.get(HttpHeaderNames.CONTENT_LENGTH));
        hadBody = declaredLength > 0 || in.contains(HttpHeaderNames.TRANSFER_ENCODING);
        RoutingTable table = path.routing.table();
        if (table == null) {
            fail(null, ProxyFailure.unavailable("the proxy has no routing decision yet"));
            return;
        }
        if (declaredLength > path.maxBodyBytes) {
            fail(null, ProxyFailure.tooLarge("Content-Length " + declaredLength + " exceeds " + path.maxBodyBytes + " bytes"));
            return;
        }
        candidates = table.candidates(path.policy, System.nanoTime(), path.maxAttempts);
        if (candidates.isEmpty()) {
            fail(null, ProxyFailure.unavailable(table.reason()));
            return;
        }
        if (!h2 && isWebSocket(in)) {
            websocket(0);
            return;
        }
        boolean expectContinue = !h2 && HttpUtil.is100ContinueExpected(req);
        Headers.upstream(in, front.forwarding(), h2);
        requestDeadline = loop.requestDeadlines.add(start, this::requestExpired);
        if (hadBody || h2) {
            // HTTP/2 says nothing of a body before its end (END_STREAM): a GET's empty end follows its head at once.
            bodyDeadline = loop.bodyDeadlines.add(start, this::bodyExpired);
        }
        if (expectContinue) {
            // Accepted: the client may send its body (Expect itself is hop-by-hop and does not go on).
            client.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE, Unpooled.EMPTY_BUFFER));
        }
        idempotent = RetryPolicy.idempotent(req.method());
        // Every body is held until its end, or until it outgrows the retry buffer, before a backend connection is taken:
        // a client sending its body slowly then holds a buffer of ours, never a backend connection (one byte every 2 s
        // from 128 clients took every pooled connection). A held idempotent request can also be sent again elsewhere.
        holding = true;
    }

    /** A part of the client's body (the last one included, even when empty). */
    void fromClient(HttpContent c) {
        if (c.decoderResult().isFailure()) {
            // A broken chunk: what came before it must never reach a backend as a whole body. The backend's connection
            // (if any) is closed with the body unfinished, and the client is told; the client's fault, not the backend's.
            Throwable cause = c.decoderResult().cause();
            c.release();
            if (phase != Phase.DONE) {
                path.metrics.clientError("malformed_body");
                fail(null, ProxyFailure.badRequest("the request's body is malformed"
                        + (cause == null || cause.getMessage() == null ? "" : ": " + RequestRules.printable(cause.getMessage()))));
            }
            return;
        }
        boolean last = c instanceof LastHttpContent;
        if (last) {
            requestEnded = true;
            cancel(bodyDeadline);
            bodyDeadline = null;
        } else if (bodyDeadline != null) {
            bodyDeadline.cancel();
            bodyDeadline = loop.bodyDeadlines.add(System.nanoTime(), this::bodyExpired);
        }
        if (phase == Phase.DONE || websocket) {
            c.release();
            return;
        }
        ByteBuf data = c.content();
        if (holding) {
            int sofar = held == null ? 0 : held.readableBytes();
            int after = sofar + data.readableBytes();
            if (after <= path.retryBufferBytes && after <= path.maxBodyBytes && (!data.isReadable() || path.hold(data.readableBytes()))) {
                heldAccounted += data.readableBytes();
                if (data.isReadable()) {
                    if (held == null) {
                        held = client.alloc().compositeBuffer(64);
                    }
                    held.addComponent(true, data.retain());
                }
                c.release();
                if (last) {
                    holding = false;
                    body = held == null ? Unpooled.EMPTY_BUFFER : held;
                    held = null;
                    next();
                }
                return;
            }
            // Too large to hold (or the proxy holds all it may of bodies now): this request is streamed, and cannot be
            // retried once it went out. What was held is on its way out: no longer counted as held.
            holding = false;
            unhold();
            CompositeByteBuf prefix = held == null ? client.alloc().compositeBuffer(64) : held;
            held = null;
            prefix.addComponent(true, data.retain());
            c.release();
            if (prefix.readableBytes() > path.maxBodyBytes) {
                prefix.release();
                fail(null, ProxyFailure.tooLarge("the body exceeds " + path.maxBodyBytes + " bytes"));
                return;
            }
            streaming = true;
            streamed = prefix.readableBytes();
            pending().add(last ? new DefaultLastHttpContent(prefix) : new DefaultHttpContent(prefix));
            next();
            return;
        }
        streamed += data.readableBytes();
        if (declaredLength < 0 && streamed > path.maxBodyBytes) {
            // Counted as it streams: past the limit nothing more goes on, not even the end, so the backend never
            // sees a truncated body as complete. The client's fault, not the backend's: no ejection, no retry.
            c.release();
            fail(current, ProxyFailure.tooLarge("the body exceeds " + path.maxBodyBytes + " bytes"));
            return;
        }
        if (upstreamReady && upstream != null) {
            upstream.channel.writeAndFlush(c, upstream.channel.voidPromise());
            if (last) {
                requestSent();
            }
            updateClientRead();
        } else {
            pending().add(c);
        }
    }

    private void unhold() {
        if (heldAccounted > 0) {
            path.unhold(heldAccounted);
            heldAccounted = 0;
        }
    }

    /** The whole request is on its way to the backend: from now, the backend's slowness is the backend's. */
    private void requestSent() {
        requestSent = true;
        if (upstream != null) {
            loop.pool.uploadDone(upstream);
        }
        if (firstByteDeadline == null && phase == Phase.AWAITING_RESPONSE) {
            firstByteDeadline = loop.firstByteDeadlines.add(System.nanoTime(), this, this::firstByteExpired);
        }
    }

    private ArrayDeque<HttpContent> pending() {
        if (pending == null) {
            pending = new ArrayDeque<>(4);
        }
        return pending;
    }

    private void next() {
        if (phase == Phase.DONE) {
            return;
        }
        attempt++;
        if (attempt > 0) {
            path.metrics.retried();
        }
        Target target = candidates.get(attempt);
        current = target;
        requestSent = false;
        attemptOpen = true;
        target.begin();
        upstreamReady = false;
        updateClientRead();
        loop.pool.acquire(target, this);
    }

    @Override
    public boolean wanted() {
        return phase != Phase.DONE;
    }

    @Override
    public boolean uploading() {
        return streaming && !requestEnded;
    }

    @Override
    public void acquired(BackendPool.Upstream connection) {
        if (phase == Phase.DONE) {
            loop.pool.release(connection, true);
            return;
        }
        if (websocket) {
            upgrade(connection);
        } else {
            send(connection);
        }
    }

    @Override
    public void failed(Throwable cause) {
        if (phase == Phase.DONE) {
            return;
        }
        // Nothing reached this backend: any request may go to the next one.
        Target target = current;
        endAttempt();
        FailureKind kind;
        String reason;
        if (cause instanceof BackendPool.Stopping) {
            kind = FailureKind.STOPPING;
            reason = cause.getMessage();
        } else {
            reason = describe(cause);
            // Out of file descriptors (or the like): every backend would fail the same way, and none is at fault.
            kind = path.connectFailed(target, reason, cause) ? FailureKind.CONNECT_FAILED : FailureKind.OUT_OF_FILES;
        }
        Decision decision = RetryPolicy.decide(kind, idempotent, body != null, candidatesLeft(), path.retryOnTimeout);
        if (decision != Decision.RETRY) {
            fail(target, decision.failure(target.id(), reason, websocket));
        } else if (websocket) {
            attempt++;
            websocket(attempt);
        } else {
            next();
        }
    }

    /** Candidates not tried yet by this exchange. */
    private int candidatesLeft() {
        return candidates.size() - attempt - 1;
    }

    private void send(BackendPool.Upstream up) {
        upstream = up;
        up.owner = this;
        requestSent = false;
        HttpHeaders headers = req.headers();
        Channel ch = up.channel;
        if (body != null) {
            headers.remove(HttpHeaderNames.TRANSFER_ENCODING);
            if (body.isReadable() || hadBody || !BODYLESS_BY_DEFAULT.contains(req.method())) {
                headers.set(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
            } else {
                headers.remove(HttpHeaderNames.CONTENT_LENGTH);
            }
            ch.write(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, req.method(), req.uri(), body.retainedDuplicate(), headers,
                    EmptyHttpHeaders.INSTANCE), ch.voidPromise());
            loop.flushSoon(ch);
            upstreamReady = true;
            requestSent();
            return;
        }
        if (declaredLength >= 0) {
            headers.remove(HttpHeaderNames.TRANSFER_ENCODING);
        } else if (hadBody) {
            headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        } else if (!BODYLESS_BY_DEFAULT.contains(req.method())) {
            headers.set(HttpHeaderNames.CONTENT_LENGTH, 0); // HTTP/1.1 without either framing header: no body
        }
        ch.write(new DefaultHttpRequest(HttpVersion.HTTP_1_1, req.method(), req.uri(), headers), ch.voidPromise());
        if (pending != null) {
            HttpContent c;
            while ((c = pending.poll()) != null) {
                ch.write(c, ch.voidPromise());
            }
        }
        ch.flush();
        upstreamReady = true;
        if (requestEnded) {
            requestSent();
        }
        updateClientRead();
    }

    /** Reads from the client only while its body has somewhere to go (backpressure on a streamed body). */
    private void updateClientRead() {
        boolean blocked = streaming && !requestEnded && phase != Phase.DONE
                && (!upstreamReady || upstream == null || !upstream.channel.isWritable());
        front.exchangeBlocksReading(blocked);
    }

    @Override
    public void backendWritabilityChanged() {
        updateClientRead();
        clientWritabilityChanged();
    }

    /** The client's connection drained: the backend may send more of its response. */
    void clientWritabilityChanged() {
        if (phase != Phase.AWAITING_RESPONSE && upstream != null && client.isWritable()) {
            upstream.channel.config().setAutoRead(true);
        }
    }

    private void firstByteExpired() {
        firstByteDeadline = null;
        if (phase != Phase.AWAITING_RESPONSE) {
            return;
        }
        abandonUpstream();
        endAttempt();
        attemptFailed(FailureKind.FIRST_BYTE_TIMEOUT, "no response within " + path.firstByteTimeoutMs + " ms");
    }

    /**
     * A frozen backend (SIGSTOP, a hung disk) keeps its connections open and answers nothing: the
     * requests it holds would wait for the first-byte timeout. When the control plane's verdict on
     * it turns DOWN, a request held in full (idempotent, so safe to send again) that still awaits
     * its first byte from it goes to the next backend of the new decision at once. Others (a POST
     * that may have been applied) keep waiting for their answer or their timeout.
     */
    void rescueIfStuck(RoutingTable table, long nowNanos) {
        if (phase != Phase.AWAITING_RESPONSE || !RetryPolicy.mayResend(idempotent, body != null) || upstream == null || current == null
                || !table.isDown(current)) {
            return;
        }
        List<Target> next = new ArrayList<>(table.candidates(path.policy, nowNanos, path.maxAttempts));
        next.remove(current);
        if (RetryPolicy.decide(FailureKind.DECLARED_DOWN, idempotent, true, next.size(), path.retryOnTimeout) != Decision.RETRY) {
            return;
        }
        abandonUpstream();
        endAttempt();
        cancel(firstByteDeadline);
        firstByteDeadline = null;
        // The control plane already knows: no ejection or report; the held request goes to what the new decision offers.
        candidates = next;
        attempt = -1;
        path.metrics.retried();
        next();
    }

    /** The backend connection closed (or broke) while this exchange held it. */
    @Override
    public void backendClosed(BackendPool.Upstream up, Throwable cause) {
        if (up != upstream) {
            return;
        }
        upstream = null;
        if (phase == Phase.DONE) {
            endAttempt();
            return;
        }
        Target target = current;
        if (websocket && phase != Phase.AWAITING_RESPONSE && status == 101) {
            return; // spliced: the splice handles its own closing
        }
        if (phase != Phase.AWAITING_RESPONSE) {
            // The backend failed mid-response: the status is out, so the client's connection is cut.
            endAttempt();
            if (!client.isWritable()) {
                // Not the backend: the client stopped reading, its answer backed up to the backend's connection, which
                // then sat silent until its idle timeout. The client's doing, never counted against the backend.
                path.metrics.clientError("response_stalled");
            } else {
                path.failed(target, describe(cause == null ? new java.nio.channels.ClosedChannelException() : cause)
                        + " during the response");
            }
            client.close();
            finish(target, status);
            return;
        }
        endAttempt();
        attemptFailed(FailureKind.FAILED_AFTER_SENDING, cause == null ? "connection closed" : describe(cause));
    }

    /**
     * The backend sent what is not HTTP: an unreadable head, or a broken chunk in its body. Its connection
     * is closed (the codec would read nothing more from it). Before the head went out the attempt failed
     * like a dropped connection (a held request goes to the next backend, else 502); after it, the client's
     * connection is cut, so a truncated body is never framed as complete.
     */
    private void malformed(Throwable cause) {
        String reason = "malformed response" + (cause == null || cause.getMessage() == null ? "" : " (" + cause.getMessage() + ")");
        Target target = current;
        abandonUpstream();
        endAttempt();
        if (phase != Phase.AWAITING_RESPONSE) {
            path.failed(target, reason);
            client.close();
            finish(target, status);
            return;
        }
        attemptFailed(FailureKind.FAILED_AFTER_SENDING, reason);
    }

    /** The attempt on {@code current} failed after the request went out, or timed out waiting for its first byte. */
    private void attemptFailed(FailureKind kind, String reason) {
        cancel(firstByteDeadline);
        firstByteDeadline = null;
        Target target = current;
        path.failed(target, reason);
        // The request may have reached the backend (it may even still be working on it): sent again only when
        // idempotent and held in full.
        Decision decision = RetryPolicy.decide(kind, idempotent, body != null, candidatesLeft(), path.retryOnTimeout);
        if (decision == Decision.RETRY) {
            next();
        } else {
            fail(target, decision.failure(target.id(), reason, false));
        }
    }

    /** What the backend sends: the response's head, its parts, or (once upgraded) raw bytes. */
    @Override
    public void fromBackend(BackendPool.Upstream up, Object msg) {
        if (up != upstream || phase == Phase.DONE) {
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
            if (code == 101 && websocket) {
                switchProtocols(resp);
                ReferenceCountUtil.release(msg);
                return;
            }
            if (code >= 100 && code < 200) {
                // Interim (100 Continue, 103 Early Hints): not relayed; its (empty) end is skipped too.
                skippingInterim = true;
                ReferenceCountUtil.release(msg);
                return;
            }
            relayHead(resp);
        }
        if (msg instanceof HttpContent c) {
            if (skippingInterim) {
                if (c instanceof LastHttpContent) {
                    skippingInterim = false;
                }
                c.release();
                return;
            }
            relayContent(c);
        } else if (!(msg instanceof HttpResponse)) {
            ReferenceCountUtil.release(msg);
        }
    }

    private void relayHead(HttpResponse resp) {
        phase = Phase.RESPONDING;
        // The answer has begun: the request will not be sent again, so its held body is let go.
        if (body != null) {
            body.release();
            body = null;
        }
        unhold();
        cancel(firstByteDeadline);
        firstByteDeadline = null;
        status = resp.status().code();
        HttpHeaders h = resp.headers();
        upstreamReusable = HttpUtil.isKeepAlive(resp) && !websocket;
        Headers.downstream(h);
        bodyless = req.method() == HttpMethod.HEAD || status == 204 || status == 304;
        if (!h2) {
            // A refused upgrade, a body still coming in: the connection is not reused.
            keepAlive = keepAliveWanted && !path.shuttingDown && requestEnded && !websocket;
            if (!bodyless && !h.contains(HttpHeaderNames.CONTENT_LENGTH)) {
                if (req.protocolVersion().equals(HttpVersion.HTTP_1_1)) {
                    h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
                } else {
                    keepAlive = false; // an HTTP/1.0 client reads such a body to the connection's end
                }
            }
            if (!keepAlive) {
                // Shutting down, or the client asked: finish this one, and the client opens its next connection elsewhere.
                h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            } else if (!req.protocolVersion().equals(HttpVersion.HTTP_1_1)) {
                h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            }
        }
        path.metrics.upstreamLatency(current.id(), System.nanoTime() - start);
        // Written with what follows it in the same read: a small response, head and body, goes out as one buffer.
        // The backend's own head object goes on, in the client's HTTP version.
        resp.setProtocolVersion(h2 ? HttpVersion.HTTP_1_1 : req.protocolVersion());
        head = resp;
    }

    /** The response's head, not yet written (it goes with the first part of the body). */
    private HttpResponse head;

    private void writeHead() {
        if (head != null) {
            client.write(head, client.voidPromise());
            head = null;
        }
    }

    private void relayContent(HttpContent c) {
        if (!(c instanceof LastHttpContent)) {
            writeHead();
            client.write(c, client.voidPromise());
            if (!client.isWritable() && upstream != null) {
                upstream.channel.config().setAutoRead(false);
            }
            return;
        }
        // The backend is free once its whole response is in, before the client has read it all: that is when it
        // stops counting as outstanding (least-outstanding balancing depends on it).
        Target target = current;
        BackendPool.Upstream up = upstream;
        upstream = null;
        up.channel.config().setAutoRead(true);
        // Reused only when the whole request went out too (a backend may answer before the body's end).
        loop.pool.release(up, upstreamReusable && requestEnded && (pending == null || pending.isEmpty()));
        endAttempt();
        target.succeeded();
        Object out = c;
        if (head != null) {
            out = new DefaultFullHttpResponse(head.protocolVersion(), head.status(), c.content(), head.headers(),
                    ((LastHttpContent) c).trailingHeaders());
            head = null;
        }
        if (!h2 && !(keepAlive && requestEnded) || h2 && !requestEnded) {
            // HTTP/2: a backend that answered before the body's end; the stream is reset once the answer is out.
            client.write(out).addListener(ChannelFutureListener.CLOSE);
        } else {
            client.write(out, client.voidPromise());
        }
        loop.flushSoon(client);
        finish(target, status);
    }

    @Override
    public void flushToClient() {
        if (phase != Phase.DONE) {
            writeHead();
            client.flush();
        }
    }

    // ---- WebSocket: the upgrade request goes to a backend on a connection of its own; once it answers 101,
    // both connections leave HTTP and their bytes are spliced.

    private static boolean isWebSocket(HttpHeaders in) {
        String upgrade = in.get(HttpHeaderNames.UPGRADE);
        return upgrade != null && upgrade.equalsIgnoreCase("websocket");
    }

    private void websocket(int index) {
        websocket = true;
        attempt = index;
        current = candidates.get(index);
        // Nothing more is read from the client until the backend has answered the upgrade.
        front.exchangeBlocksReading(true);
        loop.pool.connectUnpooled(current, this);
    }

    private void upgrade(BackendPool.Upstream up) {
        upstream = up;
        up.owner = this;
        HttpHeaders headers = req.headers();
        String upgrade = headers.get(HttpHeaderNames.UPGRADE);
        Headers.upstream(headers, front.forwarding(), false);
        headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
        headers.set(HttpHeaderNames.UPGRADE, upgrade);
        up.channel.writeAndFlush(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, req.method(), req.uri(), Unpooled.EMPTY_BUFFER, headers,
                EmptyHttpHeaders.INSTANCE), up.channel.voidPromise());
    }

    private void switchProtocols(HttpResponse resp) {
        phase = Phase.RESPONDING;
        status = 101;
        Target target = current;
        BackendPool.Upstream up = upstream;
        client.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, resp.status(), Unpooled.EMPTY_BUFFER, resp.headers(),
                EmptyHttpHeaders.INSTANCE));
        Splice.join(client, up.channel, () -> finish(target, 101));
    }

    // ---- deadlines, failures, the end

    private void requestExpired() {
        requestDeadline = null;
        Target late = current;
        if (phase == Phase.AWAITING_RESPONSE && !requestComplete() && client.config().isAutoRead()) {
            // Still reading the client's body, and reading it: the client is slow, not the backend.
            path.metrics.clientError("request_timeout");
            fail(late, ProxyFailure.requestTimeout("the request was not received in full within " + path.requestTimeoutMs + " ms"));
        } else if (phase == Phase.AWAITING_RESPONSE && !requestComplete() && upstream == null) {
            // Its body waited here, not read, for a backend connection that never came free: nobody's failure to blame.
            fail(late, ProxyFailure.unavailable("no connection to " + (late == null ? "a backend" : late.id()) + " came free within "
                    + path.requestTimeoutMs + " ms"));
        } else if (phase == Phase.AWAITING_RESPONSE && !requestComplete()) {
            // The backend stopped taking the body (the client's reading is paused for it): the backend's doing.
            String reason = "did not take the request's body within " + path.requestTimeoutMs + " ms";
            fail(late, ProxyFailure.timeout(late.id() + " " + reason));
            path.failed(late, reason);
        } else if (phase == Phase.AWAITING_RESPONSE) {
            String reason = "no complete answer within " + path.requestTimeoutMs + " ms";
            boolean reached = late != null && requestSent;
            fail(late, ProxyFailure.timeout(reason));
            if (reached) {
                path.failed(late, reason);
            }
        } else {
            client.close();
            finish(current, status);
        }
    }

    /**
     * The client sent no part of its body for {@code dsha.timeouts.request-body}: 408, the connection closed, and a
     * backend connection that had the body's beginning closed with it (never counted against that backend). A pause
     * of ours (the backend not taking the body as fast) is not the client's silence.
     */
    private void bodyExpired() {
        bodyDeadline = null;
        if (phase == Phase.DONE || requestEnded) {
            return;
        }
        if (!client.config().isAutoRead()) {
            bodyDeadline = loop.bodyDeadlines.add(System.nanoTime(), this::bodyExpired);
            return;
        }
        path.metrics.clientError("body_timeout");
        fail(current, ProxyFailure.requestTimeout("no part of the request's body arrived within " + path.requestBodyTimeoutMs + " ms"));
    }

    /** Answers in place of a backend, or cuts the client's connection when a response had begun. */
    void fail(Target target, ProxyFailure failure) {
        if (phase == Phase.DONE) {
            return;
        }
        if (phase != Phase.AWAITING_RESPONSE) {
            client.close();
            finish(target, failure.status());
            return;
        }
        phase = Phase.RESPONDING;
        status = failure.status();
        // An unread body makes the connection unusable (HTTP/2: the stream, reset once the answer is out, else it would
        // stay half-open, and its connection never idle, for as long as the client likes).
        boolean close = !h2 && (!requestComplete() || !keepAliveWanted || path.shuttingDown);
        boolean resetStream = h2 && !requestComplete();
        keepAlive = !close;
        ChannelFuture written = client.writeAndFlush(failure.response(h2 ? HttpVersion.HTTP_1_1 : req.protocolVersion(), close));
        if (close || resetStream) {
            written.addListener(ChannelFutureListener.CLOSE);
        }
        finish(target, failure.status());
    }

    /** The client left before its answer was complete: 499, and the backend's side is dropped (no ejection, no retry). */
    void clientGone() {
        if (phase != Phase.DONE) {
            finish(current, 499);
        }
    }

    private void abandonUpstream() {
        BackendPool.Upstream up = upstream;
        if (up != null) {
            upstream = null;
            loop.pool.release(up, false);
        }
    }

    private void endAttempt() {
        if (attemptOpen) {
            attemptOpen = false;
            current.end();
        }
    }

    private void finish(Target target, int status) {
        if (phase == Phase.DONE) {
            return;
        }
        phase = Phase.DONE;
        cancel(firstByteDeadline);
        cancel(requestDeadline);
        cancel(bodyDeadline);
        firstByteDeadline = null;
        requestDeadline = null;
        bodyDeadline = null;
        if (!(websocket && status == 101)) {
            abandonUpstream();
        }
        endAttempt();
        if (held != null) {
            held.release();
            held = null;
        }
        if (body != null) {
            body.release();
            body = null;
        }
        unhold();
        if (pending != null) {
            HttpContent c;
            while ((c = pending.poll()) != null) {
                c.release();
            }
        }
        path.end();
        String backend = target == null ? null : target.id();
        path.metrics.request(backend, status);
        path.access(front.clientAddress(), req.method().name(), req.uri(), status, backend, start, Math.max(0, attempt));
        front.exchangeDone(this, !h2 && keepAlive && requestComplete() && !websocket);
    }

    private static void cancel(Deadlines.Deadline d) {
        if (d != null) {
            d.cancel();
        }
    }

    /** A Content-Length header's value, or -1 when absent or malformed. */
    static long contentLength(String header) {
        if (header == null) {
            return -1;
        }
        try {
            return Long.parseLong(header.trim());
        } catch (NumberFormatException e) {
            return -1;
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
