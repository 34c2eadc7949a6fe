package io.dsha.proxy.http;

import io.dsha.proxy.balance.RoutingTable;
import io.dsha.proxy.balance.Target;
import io.netty.channel.ConnectTimeoutException;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketBase;
import io.vertx.core.http.WebSocketConnectOptions;
import java.net.ConnectException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeoutException;

/**
 * Forwards one request to a backend and its answer back, on one event loop. Failover is decided
 * per attempt: a backend that could not be reached (nothing was sent) is skipped at once for the
 * next one; a backend that failed after the request went out, or gave no first byte in time, is
 * retried elsewhere only for an idempotent method whose body is held in full. Otherwise a backend
 * that does not answer in time gives a 504.
 */
final class ProxyHandler implements Handler<HttpServerRequest> {

    private static final Set<HttpMethod> IDEMPOTENT = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS, HttpMethod.PUT,
            HttpMethod.DELETE, HttpMethod.TRACE);

    private final HttpClient client;
    private final DataPath path;
    private final boolean tls;
    private final Deadlines requestDeadlines;
    private final Deadlines firstByteDeadlines;

    ProxyHandler(HttpClient client, DataPath path, boolean tls) {
        this.client = client;
        this.path = path;
        this.tls = tls;
        this.requestDeadlines = new Deadlines(path.requestTimeoutMs);
        this.firstByteDeadlines = new Deadlines(path.firstByteTimeoutMs);
    }

    /** The routing decision whose DOWN backends were last looked for among the requests awaiting an answer. */
    private RoutingTable lookedAt;

    /** Expires timeouts, and hands on requests stuck at a backend declared DOWN; called by the event loop's periodic tick. */
    void tick() {
        long now = System.nanoTime();
        RoutingTable table = path.routing.table();
        if (table != lookedAt) {
            lookedAt = table;
            if (table != null && table.anyDown()) {
                for (Object waiting : firstByteDeadlines.subjects()) {
                    ((Exchange) waiting).rescueIfStuck(table, now);
                }
            }
        }
        firstByteDeadlines.expire(now);
        requestDeadlines.expire(now);
    }

    @Override
    public void handle(HttpServerRequest req) {
        req.pause();
        new Exchange(req).start();
    }

    /** One client request, from its headers to the end of the response. Runs on one event loop; not thread-safe. */
    private final class Exchange {
        private final HttpServerRequest req;
        private final long start = System.nanoTime();
        private List<Target> candidates;
        private MultiMap headers;
        /** The whole body, when held for retries; null when it is streamed. */
        private Buffer body;
        /** What was read of a body found too large to hold, to be sent before the rest of it streams. */
        private Buffer prefix;
        private int attempt = -1;
        private Target current;
        private HttpClientRequest upstream;
        private boolean responded;
        private boolean finished;
        private boolean firstByteExpired;
        private boolean bodyTooLarge;
        /** Where to go once the backend awaited was declared DOWN and its request reset; null otherwise. */
        private List<Target> rescue;
        /** False only while a backend's response is being relayed and the backend still counts as outstanding. */
        private boolean released = true;
        private Deadlines.Deadline firstByteDeadline;
        private Deadlines.Deadline requestDeadline;

        Exchange(HttpServerRequest req) {
            this.req = req;
        }

        void start() {
            path.begin();
            req.response().closeHandler(v -> clientGone());
            RoutingTable table = path.routing.table();
            if (table == null) {
                fail(null, ProxyFailure.unavailable("the proxy has no routing decision yet"));
                return;
            }
            long length = contentLength();
            if (length > path.maxBodyBytes) {
                fail(null, ProxyFailure.tooLarge("Content-Length " + length + " exceeds " + path.maxBodyBytes + " bytes"));
                return;
            }
            candidates = table.candidates(path.policy, System.nanoTime(), path.maxAttempts);
            if (candidates.isEmpty()) {
                fail(null, ProxyFailure.unavailable(table.reason()));
                return;
            }
            if (isWebSocket()) {
                websocket(0);
                return;
            }
            headers = Headers.upstream(req, tls);
            requestDeadline = requestDeadlines.add(start, () -> {
                requestDeadline = null;
                if (!responded) {
                    // Answered (and finished) before the reset, whose echo from the backend's side must not
                    // count as a second failure or start a retry.
                    Target late = current;
                    fail(late, ProxyFailure.timeout("no complete answer within " + path.requestTimeoutMs + " ms"));
                    if (upstream != null) {
                        upstream.reset();
                    }
                    if (late != null) {
                        path.failed(late, "no complete answer within " + path.requestTimeoutMs + " ms");
                    }
                } else {
                    req.response().reset();
                    finish(current, req.response().getStatusCode());
                }
            });
            if (IDEMPOTENT.contains(req.method()) && length <= path.retryBufferBytes) {
                hold();
            } else {
                next();
            }
        }

        /**
         * Reads the body of an idempotent request (of a length within the retry buffer, or unknown: chunked, or
         * HTTP/2, where even a GET says nothing of its body before its end) so it can be sent again to another
         * backend. A body that turns out larger than the retry buffer is streamed instead, what was read first.
         */
        private void hold() {
            Buffer held = Buffer.buffer();
            req.exceptionHandler(e -> fail(null, ProxyFailure.badGateway("the client's body could not be read: " + describe(e))));
            req.handler(chunk -> {
                if (held.length() + chunk.length() <= path.retryBufferBytes) {
                    held.appendBuffer(chunk);
                    return;
                }
                // Too large to hold: this request is streamed, and cannot be retried once it went out.
                req.pause();
                req.handler(null);
                req.endHandler(null);
                held.appendBuffer(chunk);
                if (held.length() > path.maxBodyBytes) {
                    fail(null, ProxyFailure.tooLarge("the body exceeds " + path.maxBodyBytes + " bytes"));
                    return;
                }
                prefix = held;
                next();
            });
            req.endHandler(v -> {
                body = held;
                next();
            });
            req.resume();
        }

        private long contentLength() {
            return ProxyHandler.contentLength(req.getHeader("content-length"));
        }

        private void next() {
            if (finished) {
                return;
            }
            attempt++;
            if (attempt > 0) {
                path.metrics.retried();
            }
            Target target = candidates.get(attempt);
            current = target;
            target.begin();
            RequestOptions options = new RequestOptions()
                    .setMethod(req.method())
                    .setHost(target.host())
                    .setPort(target.port())
                    .setURI(req.uri())
                    .setHeaders(headers)
                    .setConnectTimeout(path.connectTimeoutMs);
            client.request(options).onComplete(ar -> {
                if (finished) {
                    target.end();
                    if (ar.succeeded()) {
                        ar.result().reset();
                    }
                    return;
                }
                if (ar.failed()) {
                    // Nothing reached this backend: any request may go to the next one.
                    target.end();
                    String reason = describe(ar.cause());
                    path.failed(target, reason);
                    if (attempt + 1 < candidates.size()) {
                        next();
                    } else {
                        fail(target, ProxyFailure.unavailable("no backend could be reached; last: " + target.id() + " " + reason));
                    }
                    return;
                }
                send(target, ar.result());
            });
        }

        private void send(Target target, HttpClientRequest creq) {
            upstream = creq;
            firstByteDeadline = firstByteDeadlines.add(System.nanoTime(), this, () -> {
                firstByteDeadline = null;
                firstByteExpired = true;
                creq.reset();
            });
            var sent = body != null ? creq.send(body) : stream(creq);
            sent.onComplete(ar -> {
                cancel(firstByteDeadline);
                firstByteDeadline = null;
                if (finished) {
                    target.end();
                    return;
                }
                if (ar.succeeded()) {
                    relay(target, ar.result());
                    return;
                }
                target.end();
                if (rescue != null) {
                    // Declared DOWN while this request waited for its answer: the control plane already knows,
                    // so no ejection or report; the held request goes to what the new decision offers.
                    candidates = rescue;
                    rescue = null;
                    attempt = -1;
                    path.metrics.retried();
                    next();
                    return;
                }
                if (bodyTooLarge) {
                    // The client's fault, not the backend's: no ejection, no retry.
                    fail(target, ProxyFailure.tooLarge("the body exceeds " + path.maxBodyBytes + " bytes"));
                    return;
                }
                boolean expired = firstByteExpired;
                firstByteExpired = false;
                String reason = expired ? "no response within " + path.firstByteTimeoutMs + " ms" : describe(ar.cause());
                path.failed(target, reason);
                if (body != null && attempt + 1 < candidates.size() && (!expired || path.retryOnTimeout)) {
                    // The request may have reached the backend (it may even still be working on it), but it is
                    // idempotent and held in full.
                    next();
                } else if (expired) {
                    fail(target, ProxyFailure.timeout(target.id() + ": " + reason));
                } else {
                    fail(target, ProxyFailure.badGateway(target.id() + ": " + reason + " after the request was sent"));
                }
            });
        }

        /**
         * Sends the client's body as it streams to the backend. A Content-Length was checked against the
         * limit at the start; a body of unknown length is counted, and the exchange is cut off (413)
         * once it passes the limit. What was read of it while trying to hold it goes first.
         */
        private Future<HttpClientResponse> stream(HttpClientRequest creq) {
            if (prefix == null && contentLength() >= 0) {
                return creq.send(req);
            }
            long limit = path.maxBodyBytes;
            creq.setChunked(true);
            if (prefix != null) {
                // Written before the pipe starts (send() would set chunked again, which Vert.x refuses once data went out).
                creq.write(prefix);
                limit -= prefix.length();
                prefix = null;
            }
            new LimitedBody(req, limit, () -> {
                bodyTooLarge = true;
                creq.reset();
            }).pipeTo(creq);
            return creq.response();
        }

        /**
         * A frozen backend (SIGSTOP, a hung disk) keeps its connections open and answers nothing: the
         * requests it holds would wait for the first-byte timeout. When the control plane's verdict on
         * it turns DOWN, a request held in full (idempotent, so safe to send again) that still awaits
         * its first byte from it goes to the next backend of the new decision at once. Others (a POST
         * that may have been applied) keep waiting for their answer or their timeout.
         */
        void rescueIfStuck(RoutingTable table, long nowNanos) {
            if (finished || responded || body == null || upstream == null || current == null || rescue != null
                    || !table.isDown(current)) {
                return;
            }
            List<Target> next = new java.util.ArrayList<>(table.candidates(path.policy, nowNanos, path.maxAttempts));
            next.remove(current);
            if (next.isEmpty()) {
                return;
            }
            rescue = next;
            upstream.reset();
        }

        private void relay(Target target, HttpClientResponse resp) {
            responded = true;
            rescue = null;
            HttpServerResponse out = req.response();
            out.setStatusCode(resp.statusCode());
            if (req.version() != HttpVersion.HTTP_2 && resp.statusMessage() != null) {
                out.setStatusMessage(resp.statusMessage());
            }
            Headers.downstream(resp.headers(), out.headers());
            if (path.shuttingDown && req.version() != HttpVersion.HTTP_2) {
                // Shutting down: finish this one, and tell the client to open its next connection elsewhere.
                out.putHeader("connection", "close");
            }
            boolean bodyless = req.method() == HttpMethod.HEAD || resp.statusCode() == 204 || resp.statusCode() == 304;
            if (!bodyless && !out.headers().contains("content-length") && req.version() != HttpVersion.HTTP_2) {
                out.setChunked(true);
            }
            long upstreamNanos = System.nanoTime() - start;
            path.metrics.upstreamLatency(target.id(), upstreamNanos);
            released = false;
            // Relayed by hand rather than with pipeTo: a client that leaves mid-response must not make
            // the relay write into a closed response (Vert.x's pipe then throws on the event loop).
            long[] remaining = {bodyless ? -1 : ProxyHandler.contentLength(resp.getHeader("content-length"))};
            Buffer[] last = {null};
            resp.handler(chunk -> {
                if (finished || out.closed()) {
                    return;
                }
                if (remaining[0] > 0) {
                    remaining[0] -= chunk.length();
                    if (remaining[0] <= 0) {
                        // The last byte the client waits for: the backend is free before the client can
                        // send its next request, so that request sees the true outstanding counts.
                        release(target);
                        // Sent with the end: one write (and one flush) for the rest of the response, which for
                        // a small one is the whole of it, head included.
                        last[0] = chunk;
                        return;
                    }
                }
                out.write(chunk);
                if (out.writeQueueFull()) {
                    resp.pause();
                    out.drainHandler(v -> resp.resume());
                }
            });
            resp.exceptionHandler(e -> {
                // The backend failed mid-response: the status is out, so the client's connection is cut.
                release(target);
                if (!finished) {
                    path.failed(target, describe(e) + " during the response");
                    out.reset();
                    finish(target, resp.statusCode());
                }
            });
            resp.endHandler(v -> {
                // The backend is free once its whole response is in, before the client has read it all:
                // that is when it stops counting as outstanding (least-outstanding balancing depends on it).
                release(target);
                target.succeeded();
                if (finished || out.closed()) {
                    return;
                }
                (last[0] == null ? out.end() : out.end(last[0])).onComplete(ar -> finish(target, resp.statusCode()));
            });
        }

        private void websocket(int index) {
            Target target = candidates.get(index);
            current = target;
            MultiMap in = req.headers();
            WebSocketConnectOptions options = new WebSocketConnectOptions()
                    .setHost(target.host())
                    .setPort(target.port())
                    .setURI(req.uri())
                    .setConnectTimeout(path.connectTimeoutMs);
            String protocols = in.get("sec-websocket-protocol");
            if (protocols != null) {
                for (String p : protocols.split(",")) {
                    options.addSubProtocol(p.trim());
                }
            }
            MultiMap fwd = Headers.upstream(req, tls);
            for (var e : fwd) {
                String n = e.getKey().toLowerCase(java.util.Locale.ROOT);
                if (!n.startsWith("sec-websocket-") && !n.equals("host")) {
                    options.addHeader(e.getKey(), e.getValue());
                }
            }
            client.webSocket(options).onComplete(ar -> {
                if (ar.failed()) {
                    path.failed(target, describe(ar.cause()));
                    if (index + 1 < candidates.size()) {
                        websocket(index + 1);
                    } else {
                        fail(target, ProxyFailure.unavailable("no backend accepted the WebSocket: " + describe(ar.cause())));
                    }
                    return;
                }
                WebSocket up = ar.result();
                req.toWebSocket().onComplete(down -> {
                    if (down.failed()) {
                        up.close();
                        finish(target, 400);
                        return;
                    }
                    responded = true;
                    splice(down.result(), up);
                    splice(up, down.result());
                    down.result().closeHandler(v -> finish(target, 101));
                });
            });
        }

        private void splice(WebSocketBase from, WebSocketBase to) {
            from.frameHandler(frame -> {
                if (frame.isClose() || frame.isPing() || frame.type() == io.vertx.core.http.WebSocketFrameType.PONG) {
                    return;
                }
                to.writeFrame(frame);
                if (to.writeQueueFull()) {
                    from.pause();
                    to.drainHandler(v -> from.resume());
                }
            });
            from.closeHandler(v -> {
                if (!to.isClosed()) {
                    Short code = from.closeStatusCode();
                    to.close(code == null ? (short) 1000 : code, from.closeReason());
                }
            });
            from.exceptionHandler(e -> to.close());
        }

        private boolean isWebSocket() {
            String upgrade = req.getHeader("upgrade");
            return upgrade != null && upgrade.equalsIgnoreCase("websocket");
        }

        private void fail(Target target, ProxyFailure failure) {
            if (finished) {
                return;
            }
            HttpServerResponse out = req.response();
            if (responded || out.headWritten()) {
                out.reset();
                finish(target, failure.status());
                return;
            }
            responded = true;
            out.setStatusCode(failure.status()).putHeader("content-type", "application/json");
            if (failure.status() == 503) {
                out.putHeader("retry-after", "1");
            }
            if (req.version() != HttpVersion.HTTP_2 && !req.isEnded()) {
                // The body was not read: the connection cannot be reused safely.
                out.putHeader("connection", "close");
            }
            out.end(failure.json());
            finish(target, failure.status());
        }

        /** The chosen backend's response is over (or abandoned): it no longer counts as outstanding. Idempotent. */
        private void release(Target target) {
            if (!released) {
                released = true;
                target.end();
            }
        }

        private void clientGone() {
            if (!finished) {
                // Finished first: resetting the backend's stream below makes its side fail at once (on this
                // thread), and that failure is the client's doing, not the backend's: no ejection, no retry.
                Target target = current;
                finish(target, 499);
                if (upstream != null) {
                    upstream.reset();
                }
                if (target != null) {
                    release(target);
                }
            }
        }

        private void finish(Target target, int status) {
            if (finished) {
                return;
            }
            finished = true;
            cancel(firstByteDeadline);
            cancel(requestDeadline);
            path.end();
            String backend = target == null ? null : target.id();
            path.metrics.request(backend, status);
            path.access(req.remoteAddress() == null ? "-" : req.remoteAddress().hostAddress(), req.method().name(), req.path(), status,
                    backend, start, Math.max(0, attempt));
        }

        private void cancel(Deadlines.Deadline d) {
            if (d != null) {
                d.cancel();
            }
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
        if (t instanceof ConnectTimeoutException) {
            return "connect timeout";
        }
        if (t instanceof ConnectException) {
            return "connection refused";
        }
        if (t instanceof TimeoutException) {
            return "timeout";
        }
        String m = t.getMessage();
        if (m != null && m.toLowerCase(java.util.Locale.ROOT).contains("closed")) {
            return "connection closed";
        }
        if (m != null && m.toLowerCase(java.util.Locale.ROOT).contains("reset")) {
            return "connection reset";
        }
        return t.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }
}
