package io.dsha.proxy.passthrough;

import io.dsha.proxy.balance.Target;
import io.dsha.proxy.ops.ProxyMetrics;
import io.netty.channel.Channel;
import java.net.SocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import io.dsha.proxy.ops.AccessLog;

/**
 * One relayed connection: the client's channel, the backend's, what went through, and the
 * bookkeeping done exactly once when both channels have closed.
 */
final class Session {

    final Channel client;
    final Channel backend;
    final Target target;
    private final ProxyMetrics.Tcp meters;
    private final String serverName;
    private final String clientAddress;
    private final long startNanos = System.nanoTime();
    /** Null when off. */
    private final AccessLog accessLog;
    private volatile Runnable onFinish = () -> { };
    private final AtomicInteger closed = new AtomicInteger();
    private long upstream;
    private long downstream;
    private volatile String ending;
    /** When a byte last went through, either way (System.nanoTime); read by the idle check. */
    private long lastActivity = startNanos;

    Session(Channel client, Channel backend, Target target, ProxyMetrics.Tcp meters, String serverName, AccessLog accessLog) {
        this.client = client;
        this.backend = backend;
        this.target = target;
        this.meters = meters;
        this.serverName = serverName;
        SocketAddress remote = client.remoteAddress();
        this.clientAddress = remote instanceof java.net.InetSocketAddress inet && inet.getAddress() != null ? inet.getAddress().getHostAddress()
                : String.valueOf(remote);
        this.accessLog = accessLog;
        target.begin();
        meters.connections.increment();
        meters.open.incrementAndGet();
    }

    /** Runs once, when both channels have closed. */
    void onFinish(Runnable r) {
        onFinish = r;
    }

    /** Bytes read from one side, about to be written to the other. Called on the event loop of that side. */
    void relayed(boolean fromClient, int bytes) {
        lastActivity = System.nanoTime();
        if (fromClient) {
            upstream += bytes;
            meters.upstreamBytes.increment(bytes);
        } else {
            downstream += bytes;
            meters.downstreamBytes.increment(bytes);
        }
    }

    /**
     * Closes the session once nothing went through either way for {@code idleNanos}. One timer per session,
     * moved on when it finds traffic since (cheaper than watching every read and write: Netty's
     * IdleStateHandler made a promise and a listener for each write). Both channels share the event loop.
     */
    void closeWhenIdle(long idleNanos) {
        checkIdleIn(idleNanos, idleNanos);
    }

    private void checkIdleIn(long delayNanos, long idleNanos) {
        client.eventLoop().schedule(() -> {
            if (closed.get() > 0) {
                return;
            }
            long quiet = System.nanoTime() - lastActivity;
            if (quiet >= idleNanos) {
                close("idle timeout");
            } else {
                checkIdleIn(idleNanos - quiet, idleNanos);
            }
        }, delayNanos, TimeUnit.NANOSECONDS);
    }

    /** Why the session is ending, for the access log; the first reason wins. */
    void ending(String why) {
        if (ending == null) {
            ending = why;
        }
    }

    /** One of the two channels closed; the second one finishes the session. */
    void channelClosed() {
        if (closed.incrementAndGet() == 2) {
            target.end();
            meters.open.decrementAndGet();
            onFinish.run();
            if (accessLog != null) {
                io.netty.channel.EventLoop loop = client.eventLoop();
                accessLog.tcp(loop.inEventLoop() ? loop : null, clientAddress, serverName, target.id(), upstream, downstream,
                        System.nanoTime() - startNanos, ending == null ? "closed" : ending);
            }
        }
    }

    /** Closes both sides now (shutdown deadline, backend declared down). */
    void close(String why) {
        ending(why);
        client.close();
        backend.close();
    }
}
