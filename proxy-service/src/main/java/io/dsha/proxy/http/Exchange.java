package io.dsha.proxy.http;

import io.dsha.proxy.balance.RoutingTable;
import io.dsha.proxy.balance.Target;
import io.dsha.proxy.http.RetryPolicy.Decision;
import io.dsha.proxy.http.RetryPolicy.FailureKind;
import io.dsha.api.topology.Ingest;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One client request, from its head to the end of its response: the client's side of it. It asks
 * the {@link RoutingTable} for its candidates, reads the body ({@link RequestBody}: held in full,
 * or streamed), makes one {@link Attempt} per backend tried, relays the response, and answers in
 * place of a backend when it must ({@link ProxyFailure}). When an attempt fails before the response
 * began, {@link RetryPolicy} decides what follows: the next candidate, or this answer. A request on an ingest
 * route (the topology's {@code ingest}) is not balanced: read in full, it goes to {@link io.dsha.proxy.ingest.Ingest},
 * which delivers it to every instance and says what the client is answered. Runs on one
 * event loop, the client's and its backend connections'; not thread-safe.
 */
final class Exchange {

    /** Where the exchange stands toward its client; only ever moves forward. */
    private enum Phase {
        /** No answer has begun: a failed attempt may still be retried, or answered by the proxy. */
        AWAITING_RESPONSE,
        /** An answer has begun (the backend's head, a 101, or the proxy's own): never retried; a failure cuts the connection. */
        RESPONDING,
        /** Over: counted and logged, its resources let go; what still arrives is dropped. */
        DONE,
    }

    private final Front front;
    private final Channel client;
    private final NettyLoop loop;
    private final DataPath path;
    private final HttpRequest req;
    private final long start = System.nanoTime();
    private final boolean h2;
    private final RequestBody body;
    /** The ingest settings when the request is on an ingest route (delivered to every instance), else null. */
    private final Ingest ingest;
    /** Whether the method may be sent again after it may have reached a backend. */
    private final boolean idempotent;
    private final boolean keepAliveWanted;
    private Phase phase = Phase.AWAITING_RESPONSE;
    /** A WebSocket upgrade: its attempts take connections of their own, and end spliced to the client's. */
    private boolean websocket;
    private List<Target> candidates;
    /** Index of the current attempt's backend in {@link #candidates}. */
    private int tried = -1;
    /** The current (or last) attempt; null before the first. */
    private Attempt attempt;
    private final ClientResponse response;
    private Deadlines.Deadline requestDeadline;
    /** While the body is read: the longest silence allowed before its next part (dsha.timeouts.request-body). */
    private Deadlines.Deadline bodyDeadline;
    /** The request body's bytes read from the client (for the access log). */
    private long bytesIn;
    /** From the start to the backend's response head, or -1 (for the access log). */
    private long firstByteNanos = -1;

    Exchange(Front front, HttpRequest req) {
        this.front = front;
        this.client = front.channel();
        this.loop = front.loop();
        this.path = loop.path;
        this.req = req;
        this.h2 = front.h2();
        this.ingest = path.ingestRoute(req);
        this.body = new RequestBody(ingest == null ? path : new RecordBudget(path, ingest.maxRecordBytes()), client.alloc(), req.headers());
        this.idempotent = RetryPolicy.idempotent(req.method());
        this.keepAliveWanted = !h2 && HttpUtil.isKeepAlive(req);
        this.response = new ClientResponse(client, loop, req, h2);
    }

    HttpRequest request() {
        return req;
    }

    RequestBody body() {
        return body;
    }

    boolean requestEnded() {
        return body.ended();
    }

    boolean live() {
        return phase != Phase.DONE;
    }

    boolean awaitingResponse() {
        return phase == Phase.AWAITING_RESPONSE;
    }

    boolean clientWritable() {
        return response.writable();
    }

    void start() {
        path.begin();
        HttpHeaders in = req.headers();
        RoutingTable table = path.routing.table();
        if (table == null) {
            fail(null, ProxyFailure.unavailable("the proxy has no routing decision yet"));
            return;
        }
        if (body.declared() > path.maxBodyBytes) {
            fail(null, ProxyFailure.tooLarge("Content-Length " + body.declared() + " exceeds " + path.maxBodyBytes + " bytes"));
            return;
        }
        if (ingest != null && body.declared() > ingest.maxRecordBytes()) {
            fail(null, ProxyFailure.tooLarge("Content-Length " + body.declared() + " exceeds the largest record, " + ingest.maxRecordBytes()
                    + " bytes (ingest.maxRecordBytes)"));
            return;
        }
        candidates = ingest != null ? List.of() : table.candidates(path.policy, System.nanoTime(), path.maxAttempts);
        if (candidates.isEmpty() && ingest == null) {
            fail(null, ProxyFailure.unavailable(table.reason()));
            return;
        }
        if (!h2 && ingest == null && WebSocketUpgrade.asked(in)) {
            websocket = true;
            // Nothing more is read from the client until the backend has answered the upgrade.
            front.exchangeBlocksReading(true);
            next();
            return;
        }
        boolean expectContinue = !h2 && HttpUtil.is100ContinueExpected(req);
        Headers.upstream(in, front.forwarding(), h2);
        requestDeadline = loop.requestDeadlines.add(start, this::requestExpired);
        if (body.announced() || h2) {
            // HTTP/2 says nothing of a body before its end (END_STREAM): a GET's empty end follows its head at once.
            bodyDeadline = loop.bodyDeadlines.add(start, this::bodyExpired);
        }
        if (expectContinue) {
            // Accepted: the client may send its body (Expect itself is hop-by-hop and does not go on).
            response.proceed();
        }
        // The body is held (RequestBody) until its end, or until it outgrows the retry buffer: no attempt begins before.
    }

    /** A part of the client's body (the last one included, even when empty). */
    void fromClient(HttpContent c) {
        bytesIn += c.content().readableBytes();
        if (c.decoderResult().isFailure()) {
            // A broken chunk: what came before it must never reach a backend as a whole body. The backend's connection
            // (if any) is closed with the body unfinished, and the client is told; the client's fault, not the backend's.
            Throwable cause = c.decoderResult().cause();
            c.release();
            if (live()) {
                path.metrics.clientError("malformed_body");
                fail(null, ProxyFailure.badRequest("the request's body is malformed"
                        + (cause == null || cause.getMessage() == null ? "" : ": " + RequestRules.printable(cause.getMessage()))));
            }
            return;
        }
        boolean last = c instanceof LastHttpContent;
        if (last) {
            body.end();
            Deadlines.cancel(bodyDeadline);
            bodyDeadline = null;
        } else if (bodyDeadline != null) {
            bodyDeadline.cancel();
            bodyDeadline = loop.bodyDeadlines.add(System.nanoTime(), this::bodyExpired);
        }
        if (!live() || websocket) {
            c.release();
            return;
        }
        switch (body.take(c)) {
            case KEPT -> {
            }
            case COMPLETE, STREAMING -> {
                if (ingest != null) {
                    ingest();
                } else {
                    next();
                }
            }
            case TOO_LARGE -> fail(target(), ProxyFailure.tooLarge("the body exceeds " + path.maxBodyBytes + " bytes"));
            case PASS_ON -> {
                Channel backend = attempt == null ? null : attempt.channel();
                body.pass(c, backend);
                if (backend != null) {
                    if (last) {
                        attempt.requestSent();
                    }
                    updateClientRead();
                }
            }
        }
    }

    /** The current attempt's backend, or null before the first. */
    private Target target() {
        return attempt == null ? null : attempt.target;
    }

    /** Tries the next candidate. */
    private void next() {
        if (!live()) {
            return;
        }
        tried++;
        if (tried > 0 && !websocket) {
            path.metrics.retried();
        }
        attempt = Attempt.of(this, loop, candidates.get(tried), websocket);
        if (!websocket) {
            updateClientRead();
        }
        attempt.start();
    }

    /**
     * An attempt failed before any answer began (it has ended, its connection let go, a failure that may have
     * reached the backend counted against it): the next candidate, or the client is answered.
     */
    void attemptFailed(Attempt failed, FailureKind kind, String reason) {
        if (failed != attempt || !live()) {
            return;
        }
        Decision decision = RetryPolicy.decide(kind, idempotent, body.held(), candidates.size() - tried - 1, path.retryOnTimeout);
        if (decision == Decision.RETRY) {
            next();
        } else {
            fail(failed.target, decision.failure(failed.target.id(), reason, websocket));
        }
    }

    /** Reads from the client only while its body has somewhere to go (backpressure on a streamed body). */
    void updateClientRead() {
        Channel backend = attempt == null ? null : attempt.channel();
        boolean blocked = body.uploading() && live() && (backend == null || !backend.isWritable());
        front.exchangeBlocksReading(blocked);
    }

    /** The client's connection drained: the backend may send more of its response. */
    void clientWritabilityChanged() {
        if (attempt != null) {
            attempt.clientWritabilityChanged();
        }
    }

    /**
     * A frozen backend (SIGSTOP, a hung disk) keeps its connections open and answers nothing: the
     * requests it holds would wait for the first-byte timeout. When the control plane's verdict on
     * it turns DOWN, a request held in full (idempotent, so safe to send again) that still awaits
     * its first byte from it goes to the next backend of the new decision at once. Others (a POST
     * that may have been applied) keep waiting for their answer or their timeout.
     */
    void rescueIfStuck(RoutingTable table, long nowNanos) {
        if (!awaitingResponse() || !RetryPolicy.mayResend(idempotent, body.held()) || attempt == null || !attempt.connected()
                || !table.isDown(attempt.target)) {
            return;
        }
        List<Target> fresh = new ArrayList<>(table.candidates(path.policy, nowNanos, path.maxAttempts));
        fresh.remove(attempt.target);
        if (RetryPolicy.decide(FailureKind.DECLARED_DOWN, idempotent, true, fresh.size(), path.retryOnTimeout) != Decision.RETRY) {
            return;
        }
        // The control plane already knows: no ejection or report; the held request goes to what the new decision offers.
        attempt.abandon();
        candidates = fresh;
        tried = -1;
        path.metrics.retried();
        next();
    }

    // ---- an ingest route

    /** The record, read in full, goes to every instance; the client hears what {@link io.dsha.proxy.ingest.Ingest} decides. */
    private void ingest() {
        if (!body.held()) {
            fail(null, ProxyFailure.unavailable("the proxy holds as many request bodies as it may now (dsha.limits.held-body-bytes)"));
            return;
        }
        byte[] bytes = ByteBufUtil.getBytes(body.heldBody());
        body.answerBegan(); // copied: the buffer (and its count against dsha.limits.held-body-bytes) is let go now
        List<Map.Entry<String, String>> headers = req.headers().entries();
        // Who sent it: its connection (an HTTP/2 stream's parent), so one source's records keep their order.
        Object source = (h2 && client.parent() != null ? client.parent() : client).id();
        path.ingest().submit(new io.dsha.proxy.ingest.Ingest.Request(req.method().name(), req.uri(), headers, bytes, source),
                a -> client.eventLoop().execute(() -> ingestAnswered(a)));
    }

    private void ingestAnswered(io.dsha.proxy.ingest.IngestAnswer a) {
        if (!live() || !awaitingResponse()) {
            return;
        }
        phase = Phase.RESPONDING;
        body.answerBegan();
        FullHttpResponse out = new DefaultFullHttpResponse(h2 ? HttpVersion.HTTP_1_1 : req.protocolVersion(), HttpResponseStatus.valueOf(a.status()),
                Unpooled.wrappedBuffer(a.body()));
        if (a.contentType() != null) {
            out.headers().set(HttpHeaderNames.CONTENT_TYPE, a.contentType());
        }
        out.headers().set(HttpHeaderNames.CONTENT_LENGTH, a.body().length);
        if (a.key() != null) {
            out.headers().set(ingest.idempotencyHeader(), a.key());
        }
        if (a.status() == 503) {
            out.headers().set(HttpHeaderNames.RETRY_AFTER, "1");
        }
        response.answer(out, !h2 && (!keepAliveWanted || path.shuttingDown), false);
        finish(a.backend(), a.status());
    }

    /** What bounds a record's body: the topology's {@code ingest.maxRecordBytes}, held in full (never streamed). */
    private record RecordBudget(DataPath path, int maxRecordBytes) implements RequestBody.Budget {
        @Override
        public long maxBodyBytes() {
            return Math.min(path.maxBodyBytes(), maxRecordBytes);
        }

        @Override
        public int retryBufferBytes() {
            return maxRecordBytes;
        }

        @Override
        public boolean hold(int n) {
            return path.hold(n);
        }

        @Override
        public void unhold(int n) {
            path.unhold(n);
        }
    }

    // ---- the response

    /** The backend's response head: relayed (with what follows it in the same read). */
    void responseHead(HttpResponse resp) {
        phase = Phase.RESPONDING;
        // The answer has begun: the request will not be sent again, so its held body is let go.
        body.answerBegan();
        Headers.downstream(resp.headers());
        // A refused upgrade, a body still coming in: the connection is not reused.
        response.head(resp, keepAliveWanted && !path.shuttingDown && body.ended() && !websocket);
        firstByteNanos = System.nanoTime() - start;
        path.metrics.upstreamLatency(attempt.target.id(), firstByteNanos);
    }

    /** A part of the response's body; with {@code last}, the attempt has completed and the exchange ends. */
    void responseContent(HttpContent c, boolean last) {
        if (!last) {
            response.content(c);
            return;
        }
        response.last((LastHttpContent) c, body.ended());
        finish(attempt.target, response.status());
    }

    /** The backend's read burst ended: what was relayed goes out. */
    void flushToClient() {
        if (live()) {
            response.flush();
        }
    }

    /** The response had begun and cannot be finished: the client's connection is cut. */
    void cut(Target target) {
        response.cut();
        finish(target, response.status());
    }

    void writeUpgrade(Channel backend) {
        backend.writeAndFlush(WebSocketUpgrade.request(req, front.forwarding()), backend.voidPromise());
    }

    void switchProtocols(HttpResponse resp, Channel backend) {
        phase = Phase.RESPONDING;
        Target target = attempt.target;
        response.switchProtocols(resp);
        Splice.join(client, backend, () -> finish(target, 101));
    }

    // ---- deadlines, failures, the end

    private void requestExpired() {
        requestDeadline = null;
        Target late = target();
        if (awaitingResponse() && !body.complete() && client.config().isAutoRead()) {
            // Still reading the client's body, and reading it: the client is slow, not the backend.
            path.metrics.clientError("request_timeout");
            fail(late, ProxyFailure.requestTimeout("the request was not received in full within " + path.requestTimeoutMs + " ms"));
        } else if (awaitingResponse() && !body.complete() && (attempt == null || !attempt.connected())) {
            // Its body waited here, not read, for a backend connection that never came free: nobody's failure to blame.
            fail(late, ProxyFailure.unavailable("no connection to " + (late == null ? "a backend" : late.id()) + " came free within "
                    + path.requestTimeoutMs + " ms"));
        } else if (awaitingResponse() && !body.complete()) {
            // The backend stopped taking the body (the client's reading is paused for it): the backend's doing.
            String reason = "did not take the request's body within " + path.requestTimeoutMs + " ms";
            fail(late, ProxyFailure.timeout(late.id() + " " + reason));
            path.failed(late, reason);
        } else if (awaitingResponse()) {
            String reason = "no complete answer within " + path.requestTimeoutMs + " ms";
            boolean reached = attempt != null && attempt.sent();
            fail(late, ProxyFailure.timeout(reason));
            if (reached) {
                path.failed(late, reason);
            }
        } else {
            cut(late);
        }
    }

    /**
     * The client sent no part of its body for {@code dsha.timeouts.request-body}: 408, the connection closed, and a
     * backend connection that had the body's beginning closed with it (never counted against that backend). A pause
     * of ours (the backend not taking the body as fast) is not the client's silence.
     */
    private void bodyExpired() {
        bodyDeadline = null;
        if (!live() || body.ended()) {
            return;
        }
        if (!client.config().isAutoRead()) {
            bodyDeadline = loop.bodyDeadlines.add(System.nanoTime(), this::bodyExpired);
            return;
        }
        path.metrics.clientError("body_timeout");
        fail(target(), ProxyFailure.requestTimeout("no part of the request's body arrived within " + path.requestBodyTimeoutMs + " ms"));
    }

    /** Answers in place of a backend, or cuts the client's connection when a response had begun. */
    void fail(Target target, ProxyFailure failure) {
        if (!live()) {
            return;
        }
        if (!awaitingResponse()) {
            response.cut();
            finish(target, failure.status());
            return;
        }
        phase = Phase.RESPONDING;
        // An unread body makes the connection unusable (HTTP/2: the stream, reset once the answer is out, else it would
        // stay half-open, and its connection never idle, for as long as the client likes).
        boolean close = !h2 && (!body.complete() || !keepAliveWanted || path.shuttingDown);
        response.answer(failure, close, h2 && !body.complete());
        finish(target, failure.status());
    }

    /** The client left before its answer was complete: 499, and the backend's side is dropped (no ejection, no retry). */
    void clientGone() {
        if (live()) {
            finish(target(), 499);
        }
    }

    private void finish(Target target, int status) {
        finish(target == null ? null : target.id(), status);
    }

    private void finish(String backend, int status) {
        if (!live()) {
            return;
        }
        phase = Phase.DONE;
        Deadlines.cancel(requestDeadline);
        Deadlines.cancel(bodyDeadline);
        requestDeadline = null;
        bodyDeadline = null;
        if (attempt != null) {
            attempt.close(websocket && status == 101);
        }
        body.release();
        path.end();
        path.metrics.request(backend, status);
        io.dsha.proxy.ops.AccessLog log = path.accessLog();
        if (log != null) {
            log.http(client.eventLoop(), front.clientAddress(), req.method().name(), req.uri(), status, bytesIn, response.bytesOut(), backend,
                    tried + 1, System.nanoTime() - start, attempt == null ? -1 : attempt.connectNanos(), firstByteNanos);
        }
        front.exchangeDone(this, !h2 && response.keepAlive() && body.complete() && !websocket);
    }
}
