package io.dsha.proxy.http;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.timeout.IdleStateEvent;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Tells the pipeline ({@link IdleStateEvent#ALL_IDLE_STATE_EVENT}) when nothing was read from or
 * written to a connection for {@code timeout}. Netty's {@code IdleStateHandler} does the same with a
 * listener on every write's promise (a promise made for each write, even a void one); here a read or a
 * write only sets a flag, and a check every quarter of the timeout looks at it: four quiet checks in a
 * row make the event, after between one and one and a quarter timeouts of silence. Used from the
 * connection's event loop only.
 */
final class IdleCloser extends ChannelDuplexHandler {

    private static final int QUIET_CHECKS = 4;

    private final long checkNanos;
    private boolean busy;
    private int quietChecks;
    private ScheduledFuture<?> check;

    IdleCloser(long timeoutMillis) {
        this.checkNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(1), TimeUnit.MILLISECONDS.toNanos(timeoutMillis) / QUIET_CHECKS);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive()) {
            start(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        start(ctx);
        super.channelActive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        stop();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        stop();
        super.channelInactive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        busy = true;
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        busy = true;
        ctx.write(msg, promise);
    }

    private void start(ChannelHandlerContext ctx) {
        if (check != null) {
            return;
        }
        check = ctx.executor().scheduleAtFixedRate(() -> check(ctx), checkNanos, checkNanos, TimeUnit.NANOSECONDS);
    }

    private void check(ChannelHandlerContext ctx) {
        if (busy) {
            busy = false;
            quietChecks = 0;
        } else if (++quietChecks >= QUIET_CHECKS) {
            stop();
            ctx.fireUserEventTriggered(IdleStateEvent.ALL_IDLE_STATE_EVENT);
        }
    }

    private void stop() {
        if (check != null) {
            check.cancel(false);
            check = null;
        }
    }
}
