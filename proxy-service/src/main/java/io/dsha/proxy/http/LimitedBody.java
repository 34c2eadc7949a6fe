package io.dsha.proxy.http;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

/**
 * A client's body of unknown length (chunked, or HTTP/2 without Content-Length) on its way to a
 * backend, counted: past {@code limit} bytes nothing more is passed on, not even the end (so the
 * backend never sees a truncated body as complete), and {@code overflow} runs once to abort the
 * exchange. Runs on the request's event loop.
 */
final class LimitedBody implements ReadStream<Buffer> {

    private final ReadStream<Buffer> in;
    private final long limit;
    private final Runnable overflow;
    private long seen;
    private boolean over;

    LimitedBody(ReadStream<Buffer> in, long limit, Runnable overflow) {
        this.in = in;
        this.limit = limit;
        this.overflow = overflow;
    }

    @Override
    public ReadStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
        in.exceptionHandler(handler);
        return this;
    }

    @Override
    public ReadStream<Buffer> handler(Handler<Buffer> handler) {
        in.handler(handler == null ? null : buf -> {
            if (over) {
                return;
            }
            seen += buf.length();
            if (seen > limit) {
                over = true;
                overflow.run();
                return;
            }
            handler.handle(buf);
        });
        return this;
    }

    @Override
    public ReadStream<Buffer> pause() {
        in.pause();
        return this;
    }

    @Override
    public ReadStream<Buffer> resume() {
        in.resume();
        return this;
    }

    @Override
    public ReadStream<Buffer> fetch(long amount) {
        in.fetch(amount);
        return this;
    }

    @Override
    public ReadStream<Buffer> endHandler(Handler<Void> handler) {
        in.endHandler(handler == null ? null : v -> {
            if (!over) {
                handler.handle(v);
            }
        });
        return this;
    }
}
