package io.dsha.proxy.listener;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.AbstractEventExecutorGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.vertx.core.Vertx;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fixed list of event loops that belong to Vert.x, as a Netty {@link EventLoopGroup}: what a
 * {@code ServerBootstrap} registers accepted channels with, one loop after the other. It never shuts
 * them down (Vert.x does, when it closes): the shutdown methods refuse.
 */
public final class BorrowedLoops extends AbstractEventExecutorGroup implements EventLoopGroup {

    private final List<EventLoop> loops;
    private final AtomicInteger next = new AtomicInteger();

    BorrowedLoops(List<EventLoop> loops) {
        if (loops.isEmpty()) {
            throw new IllegalArgumentException("no event loops");
        }
        this.loops = List.copyOf(loops);
    }

    /**
     * The event loop of the calling thread among Vert.x's (the one running a verticle's {@code start()}, for a
     * verticle on an event-loop context), found through public API.
     *
     * @throws IllegalStateException when not called on one of Vert.x's event loops
     */
    @SuppressWarnings("deprecation") // public in Vert.x 4, though deprecated; this is the one place that asks it
    public static EventLoop current(Vertx vertx) {
        for (EventExecutor e : vertx.nettyEventLoopGroup()) {
            if (e.inEventLoop()) {
                return (EventLoop) e;
            }
        }
        throw new IllegalStateException("not on one of Vert.x's event loops: " + Thread.currentThread().getName());
    }

    /** The loops, in the order {@link #next()} takes them. */
    List<EventLoop> loops() {
        return loops;
    }

    @Override
    public EventLoop next() {
        return loops.get(Math.floorMod(next.getAndIncrement(), loops.size()));
    }

    @Override
    public Iterator<EventExecutor> iterator() {
        return Collections.<EventExecutor>unmodifiableList(loops).iterator();
    }

    @Override
    public ChannelFuture register(Channel channel) {
        return next().register(channel);
    }

    @Override
    public ChannelFuture register(ChannelPromise promise) {
        return next().register(promise);
    }

    @Deprecated
    @Override
    public ChannelFuture register(Channel channel, ChannelPromise promise) {
        return next().register(channel, promise);
    }

    @Override
    public Future<?> shutdownGracefully(long quietPeriod, long timeout, TimeUnit unit) {
        throw refused();
    }

    @Deprecated
    @Override
    public void shutdown() {
        throw refused();
    }

    @Override
    public Future<?> terminationFuture() {
        throw refused();
    }

    private static UnsupportedOperationException refused() {
        return new UnsupportedOperationException("these event loops belong to Vert.x, which shuts them down");
    }

    @Override
    public boolean isShuttingDown() {
        return loops.stream().allMatch(EventExecutor::isShuttingDown);
    }

    @Override
    public boolean isShutdown() {
        return loops.stream().allMatch(EventExecutor::isShutdown);
    }

    @Override
    public boolean isTerminated() {
        return loops.stream().allMatch(EventExecutor::isTerminated);
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        for (EventLoop loop : loops) {
            long left = deadline - System.nanoTime();
            if (left <= 0 || !loop.awaitTermination(left, TimeUnit.NANOSECONDS)) {
                return false;
            }
        }
        return true;
    }
}
