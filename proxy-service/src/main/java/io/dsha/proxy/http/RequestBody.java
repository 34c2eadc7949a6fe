package io.dsha.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.ArrayDeque;
import java.util.Set;

/**
 * A request's body as the client sends it, and how it goes to a backend. Every body is first
 * {@link Mode#HOLDING held}: read in full before a backend connection is taken (a client sending
 * slowly holds a buffer of ours, never a backend connection), so that it can be sent again to
 * another backend. A body that outgrows the retry buffer (or the proxy's total for held bodies) is
 * {@link Mode#STREAMING streamed} instead: what was read goes first, the rest as it comes, and the
 * request can no longer be sent again once it went out. Runs on the exchange's event loop.
 */
final class RequestBody {

    /** Methods whose request may go without a body framing when it has none. */
    private static final Set<HttpMethod> BODYLESS_BY_DEFAULT = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS,
            HttpMethod.DELETE, HttpMethod.TRACE);

    /** Where the body stands; moves HOLDING → HELD, or HOLDING → STREAMING, then RELEASED. */
    enum Mode {
        /** Being read, kept in memory; no backend connection is taken yet. */
        HOLDING,
        /** Read in full and kept: the request may be sent, and sent again elsewhere. */
        HELD,
        /** Too large to hold: passed on as it is read, never sent twice once it went out. */
        STREAMING,
        /** Let go: an answer has begun, or the exchange is over. */
        RELEASED,
    }

    /** What {@link #take} did with a part of the body. */
    enum Taken {
        /** Kept; more is to come before anything goes to a backend. */
        KEPT,
        /** The last part: the whole body is held, the request may go. */
        COMPLETE,
        /** Too large to hold: streaming begins with what was read (queued); the request may go. */
        STREAMING,
        /** A part of a streamed body, for the caller to pass on ({@link #pass}). */
        PASS_ON,
        /** Over {@code dsha.limits.max-body}: nothing of it goes on, the part is released. */
        TOO_LARGE,
    }

    /** What bounds the bodies a proxy reads ({@link DataPath} for the proxy's own). */
    interface Budget {
        /** {@code dsha.limits.max-body}: a larger body is refused. */
        long maxBodyBytes();

        /** {@code dsha.limits.retry-buffer}: a larger body is streamed. */
        int retryBufferBytes();

        /** Counts {@code n} more held bytes if the proxy's total allows it; false (nothing counted): stream instead. */
        boolean hold(int n);

        void unhold(int n);
    }

    private final Budget budget;
    private final ByteBufAllocator alloc;
    /** The Content-Length the client declared, or -1. */
    private final long declared;
    /** Whether the client said it sends a body (Content-Length over 0, or Transfer-Encoding). */
    private final boolean announced;
    private Mode mode = Mode.HOLDING;
    private boolean ended;
    /** What was read while holding (made at its first byte: most held requests have none). */
    private CompositeByteBuf holding;
    /** The whole body, once {@link Mode#HELD}. */
    private ByteBuf held;
    /** Parts of a streamed body read before a backend could take them. */
    private ArrayDeque<HttpContent> queued;
    private long streamed;
    /** Bytes counted in the proxy's total of held bodies ({@link Budget#hold}). */
    private int accounted;

    RequestBody(Budget budget, ByteBufAllocator alloc, HttpHeaders headers) {
        this.budget = budget;
        this.alloc = alloc;
        this.declared = contentLength(headers.get(HttpHeaderNames.CONTENT_LENGTH));
        this.announced = declared > 0 || headers.contains(HttpHeaderNames.TRANSFER_ENCODING);
    }

    long declared() {
        return declared;
    }

    /** Whether the client said it sends a body. */
    boolean announced() {
        return announced;
    }

    Mode mode() {
        return mode;
    }

    /** The whole request was read (its last part, even empty, came). */
    boolean ended() {
        return ended;
    }

    /** The whole request was read, or it has no body (its empty end is only a formality). */
    boolean complete() {
        return ended || !announced;
    }

    /** Held in full: the request may be sent again. */
    boolean held() {
        return mode == Mode.HELD;
    }

    /** The whole body, while {@link Mode#HELD} (not retained for the caller). */
    ByteBuf heldBody() {
        return held;
    }

    /** Streamed, and the client is still sending it. */
    boolean uploading() {
        return mode == Mode.STREAMING && !ended;
    }

    /** Nothing of a streamed body waits to go. */
    boolean drained() {
        return queued == null || queued.isEmpty();
    }

    /** The client's last part arrived (whatever is then done with it). */
    void end() {
        ended = true;
    }

    /** Takes a part of the body; what is kept is retained, the part itself released unless {@link Taken#PASS_ON}. */
    Taken take(HttpContent c) {
        boolean last = c instanceof LastHttpContent;
        ByteBuf data = c.content();
        if (mode == Mode.STREAMING) {
            streamed += data.readableBytes();
            if (declared < 0 && streamed > budget.maxBodyBytes()) {
                // Counted as it streams: past the limit nothing more goes on, not even the end, so the backend never
                // sees a truncated body as complete.
                c.release();
                return Taken.TOO_LARGE;
            }
            return Taken.PASS_ON;
        }
        int sofar = holding == null ? 0 : holding.readableBytes();
        int after = sofar + data.readableBytes();
        if (after <= budget.retryBufferBytes() && after <= budget.maxBodyBytes() && (!data.isReadable() || budget.hold(data.readableBytes()))) {
            accounted += data.readableBytes();
            if (data.isReadable()) {
                if (holding == null) {
                    holding = alloc.compositeBuffer(64);
                }
                holding.addComponent(true, data.retain());
            }
            c.release();
            if (!last) {
                return Taken.KEPT;
            }
            mode = Mode.HELD;
            held = holding == null ? Unpooled.EMPTY_BUFFER : holding;
            holding = null;
            return Taken.COMPLETE;
        }
        // Too large to hold (or the proxy holds all it may of bodies now): streamed. What was held is on its way out.
        unhold();
        CompositeByteBuf prefix = holding == null ? alloc.compositeBuffer(64) : holding;
        holding = null;
        prefix.addComponent(true, data.retain());
        c.release();
        if (prefix.readableBytes() > budget.maxBodyBytes()) {
            prefix.release();
            mode = Mode.RELEASED;
            return Taken.TOO_LARGE;
        }
        mode = Mode.STREAMING;
        streamed = prefix.readableBytes();
        queue(last ? new DefaultLastHttpContent(prefix) : new DefaultHttpContent(prefix));
        return Taken.STREAMING;
    }

    /** A streamed part ({@link Taken#PASS_ON}): to {@code backend} now, or queued until one is ready (null). */
    void pass(HttpContent c, Channel backend) {
        if (backend != null) {
            backend.writeAndFlush(c, backend.voidPromise());
        } else {
            queue(c);
        }
    }

    private void queue(HttpContent c) {
        if (queued == null) {
            queued = new ArrayDeque<>(4);
        }
        queued.add(c);
    }

    /**
     * Writes the request to a backend's connection, in HTTP/1.1 with its framing set here: a held body with its
     * Content-Length, a streamed one as declared or chunked.
     *
     * @return whether the whole request is now on its way (its first-byte wait runs from then)
     */
    boolean writeTo(Channel ch, HttpRequest req, NettyLoop loop) {
        HttpHeaders headers = req.headers();
        if (mode == Mode.HELD) {
            headers.remove(HttpHeaderNames.TRANSFER_ENCODING);
            if (held.isReadable() || announced || !BODYLESS_BY_DEFAULT.contains(req.method())) {
                headers.set(HttpHeaderNames.CONTENT_LENGTH, held.readableBytes());
            } else {
                headers.remove(HttpHeaderNames.CONTENT_LENGTH);
            }
            ch.write(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, req.method(), req.uri(), held.retainedDuplicate(), headers,
                    EmptyHttpHeaders.INSTANCE), ch.voidPromise());
            loop.flushSoon(ch);
            return true;
        }
        if (declared >= 0) {
            headers.remove(HttpHeaderNames.TRANSFER_ENCODING);
        } else if (announced) {
            headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        } else if (!BODYLESS_BY_DEFAULT.contains(req.method())) {
            headers.set(HttpHeaderNames.CONTENT_LENGTH, 0); // HTTP/1.1 without either framing header: no body
        }
        ch.write(new DefaultHttpRequest(HttpVersion.HTTP_1_1, req.method(), req.uri(), headers), ch.voidPromise());
        if (queued != null) {
            HttpContent c;
            while ((c = queued.poll()) != null) {
                ch.write(c, ch.voidPromise());
            }
        }
        ch.flush();
        return ended;
    }

    /** The answer began: the request will not be sent again, so a held body is let go (a streamed one goes on). */
    void answerBegan() {
        if (held != null) {
            held.release();
            held = null;
            mode = Mode.RELEASED;
        }
        unhold();
    }

    /** The exchange is over: everything kept is let go. */
    void release() {
        if (holding != null) {
            holding.release();
            holding = null;
        }
        if (held != null) {
            held.release();
            held = null;
        }
        unhold();
        if (queued != null) {
            HttpContent c;
            while ((c = queued.poll()) != null) {
                c.release();
            }
        }
        if (mode != Mode.STREAMING) {
            mode = Mode.RELEASED;
        }
    }

    private void unhold() {
        if (accounted > 0) {
            budget.unhold(accounted);
            accounted = 0;
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
}
