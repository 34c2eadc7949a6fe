package io.dsha.proxy.http;

import io.dsha.proxy.balance.Target;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.IdentityHashMap;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * Keep-alive HTTP/1.1 connections to the backends, for one event loop: every connection is made
 * on that loop, so a request and both of its connections stay on one thread. Per backend at most
 * {@code maxPerTarget} connections are open (connected or connecting); a request beyond that
 * waits, first come first served, for one to come back. An idle connection is reused last in,
 * first out (the warmest one); one that stays silent for the idle timeout, in use or not, is
 * closed. Not thread-safe: used from its event loop only.
 */
final class BackendPool {

    private static final Logger LOG = Logger.getLogger(BackendPool.class);

    /** Why a lease was refused: the pool is closing with its listener; no backend is at fault. */
    static final class Stopping extends IllegalStateException {
        Stopping() {
            super("the proxy is stopping");
        }
    }

    /** Who waits for a connection. */
    interface Lease {
        void acquired(Upstream connection);

        void failed(Throwable cause);

        /** False once the request gave up (its client left, its deadline passed): a connection goes to the next one. */
        boolean wanted();

        /**
         * Whether the connection would carry a body still coming from the client (streamed, beyond the retry buffer):
         * such leases hold at most half of a backend's connections, so slow uploads never take them all.
         */
        default boolean uploading() {
            return false;
        }
    }

    /**
     * Who holds a connection, once {@link Lease#acquired}: what the backend sends, and how the connection ends, go
     * to it. The pool knows its leases and holders by these two interfaces only, never the exchange behind them.
     */
    interface Holder {
        /** A message from the backend (a response head, part of a body, or raw bytes once upgraded). */
        void fromBackend(Upstream connection, Object msg);

        /** The backend's read burst ended: flush what was relayed to the client. */
        void flushToClient();

        /** The backend connection's writability changed (for the request body's back-pressure). */
        void backendWritabilityChanged();

        /** The connection closed; {@code cause} says why when it broke (null for a plain close). */
        void backendClosed(Upstream connection, Throwable cause);
    }

    private static final class PerTarget {
        final ArrayDeque<Upstream> idle = new ArrayDeque<>();
        final ArrayDeque<Lease> waiting = new ArrayDeque<>();
        /** Uploads waiting for their share of the connections. */
        final ArrayDeque<Lease> waitingUploads = new ArrayDeque<>();
        int open;
        /** Connections carrying an upload now. */
        int uploads;
        /** Connections being made for an upload. */
        int connectingUploads;
    }

    private final Bootstrap bootstrap;
    private final io.netty.channel.EventLoop loop;
    private final int maxPerTarget;
    /** The most connections per backend that uploads (bodies still coming from their clients) may hold at once. */
    private final int maxUploads;
    private final Map<Target, PerTarget> targets = new IdentityHashMap<>();
    private boolean closed;

    /**
     * @param bootstrap its group (the event loop), channel factory and options set; its handler is set here
     */
    BackendPool(Bootstrap bootstrap, int maxPerTarget, int maxHeaderBytes, long idleTimeoutMs) {
        this.maxPerTarget = maxPerTarget;
        this.loop = (io.netty.channel.EventLoop) bootstrap.config().group().next();
        this.maxUploads = Math.max(1, maxPerTarget / 2);
        int headerLimit = Math.max(8192, maxHeaderBytes);
        this.bootstrap = bootstrap.handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast("codec", new HttpClientCodec(8192, headerLimit, 8192, false, false));
                if (idleTimeoutMs > 0) {
                    ch.pipeline().addLast("idle", new IdleCloser(idleTimeoutMs));
                }
                ch.pipeline().addLast("upstream", new Upstream(BackendPool.this));
            }
        });
    }

    /** Gives the lease a connection to {@code target}: an idle one, a new one, or the next one to come back. */
    void acquire(Target target, Lease lease) {
        PerTarget p = targets.computeIfAbsent(target, t -> new PerTarget());
        if (lease.uploading() && uploadShareFull(p) && !closed) {
            // Half the connections are carrying bodies that clients are still sending: the rest stay for the others.
            p.waitingUploads.add(lease);
            return;
        }
        Upstream idle;
        while ((idle = p.idle.pollLast()) != null) {
            if (idle.channel.isActive()) {
                give(p, idle, lease);
                return;
            }
        }
        if (p.open < maxPerTarget && !closed) {
            connect(target, p, lease);
        } else if (closed) {
            lease.failed(new Stopping());
        } else {
            p.waiting.add(lease);
        }
    }

    /** A connection of its own, outside the pool and its limit (a WebSocket keeps it for as long as it lasts). */
    void connectUnpooled(Target target, Lease lease) {
        connect(target, null, lease);
    }

    private void connect(Target target, PerTarget p, Lease lease) {
        boolean forUpload = p != null && lease.uploading();
        if (p != null) {
            p.open++;
        }
        if (forUpload) {
            p.connectingUploads++;
        }
        bootstrap.connect(target.address()).addListener((ChannelFuture f) -> {
            if (!loop.inEventLoop()) {
                // A channel that could not even be created (no file descriptor left: EMFILE) fails on Netty's global
                // executor; the pool and the exchange are the event loop's alone.
                loop.execute(() -> connected(f, target, p, lease, forUpload));
            } else {
                connected(f, target, p, lease, forUpload);
            }
        });
    }

    private void connected(ChannelFuture f, Target target, PerTarget p, Lease lease, boolean forUpload) {
        if (forUpload) {
            p.connectingUploads--;
            // Its place in the share is free again unless the connection goes on to carry the upload (give counts it):
            // the body may have ended meanwhile, and an upload waiting for the share must not wait for another's end.
            try {
                finishConnect(f, target, p, lease);
            } finally {
                serveWaitingUploads(target, p);
            }
            return;
        }
        finishConnect(f, target, p, lease);
    }

    private void finishConnect(ChannelFuture f, Target target, PerTarget p, Lease lease) {
        if (!f.isSuccess()) {
            if (p != null) {
                p.open--;
                serveWaiting(target, p);
                serveWaitingUploads(target, p);
            }
            lease.failed(f.cause());
            return;
        }
        Upstream up = (Upstream) f.channel().pipeline().get("upstream");
        up.target = target;
        up.pooled = p != null;
        if (lease.wanted()) {
            give(p, up, lease);
        } else {
            release(up, true);
        }
    }

    private void give(PerTarget p, Upstream up, Lease lease) {
        if (p != null && lease.uploading()) {
            up.upload = true;
            p.uploads++;
        }
        lease.acquired(up);
    }

    /** The upload on {@code up} is over (its whole body went out, or its exchange ended): its share is free again. */
    void uploadDone(Upstream up) {
        if (!up.upload) {
            return;
        }
        up.upload = false;
        PerTarget p = targets.get(up.target);
        if (p == null) {
            return;
        }
        p.uploads--;
        serveWaitingUploads(up.target, p);
    }

    /** Connections carrying uploads, and being made for them, fill the share uploads may hold. */
    private boolean uploadShareFull(PerTarget p) {
        return p.uploads + p.connectingUploads >= maxUploads;
    }

    private void serveWaitingUploads(Target target, PerTarget p) {
        Lease next;
        while (!uploadShareFull(p) && !closed && (next = p.waitingUploads.poll()) != null) {
            if (next.wanted()) {
                acquire(target, next);
            }
        }
    }

    /** A connection is done with its exchange: reused when it can be (a whole exchange went through it), else closed. */
    void release(Upstream up, boolean reusable) {
        uploadDone(up);
        up.owner = null;
        if (!reusable || !up.pooled || closed || !up.channel.isActive()) {
            up.channel.close();
            return;
        }
        PerTarget p = targets.get(up.target);
        Lease next;
        while ((next = p.waiting.poll()) != null) {
            if (next.wanted()) {
                if (next.uploading() && uploadShareFull(p)) {
                    p.waitingUploads.add(next); // its turn comes with the share, not with this connection
                    continue;
                }
                give(p, up, next);
                return;
            }
        }
        p.idle.addLast(up);
    }

    private void closed(Upstream up) {
        if (!up.pooled || up.target == null) {
            return;
        }
        uploadDone(up);
        PerTarget p = targets.get(up.target);
        if (p == null) {
            return;
        }
        p.open--;
        p.idle.remove(up);
        serveWaiting(up.target, p);
        if (p.open == 0 && p.waiting.isEmpty() && p.waitingUploads.isEmpty()) {
            targets.remove(up.target);
        }
    }

    /** Room for another connection: the first request still waiting gets a new one. */
    private void serveWaiting(Target target, PerTarget p) {
        while (p.open < maxPerTarget && !closed) {
            Lease next = p.waiting.poll();
            if (next == null) {
                return;
            }
            if (next.wanted()) {
                if (next.uploading() && uploadShareFull(p)) {
                    p.waitingUploads.add(next);
                } else {
                    connect(target, p, next);
                }
            }
        }
    }

    /** Closes the idle connections and refuses new ones; connections in use close when their exchange ends. */
    void close() {
        closed = true;
        // Told after the walk: a lease told may ask again (refused at once), which must not change what is walked.
        java.util.List<Lease> refused = new java.util.ArrayList<>();
        for (PerTarget p : targets.values()) {
            for (Upstream up : p.idle) {
                up.channel.close();
            }
            p.idle.clear();
            refused.addAll(p.waiting);
            p.waiting.clear();
            refused.addAll(p.waitingUploads);
            p.waitingUploads.clear();
        }
        for (Lease l : refused) {
            l.failed(new Stopping());
        }
    }

    /**
     * One backend connection's end of the pipeline: what the backend sends goes to the {@link Holder} of the
     * connection; a connection that breaks tells it why.
     */
    static final class Upstream extends ChannelInboundHandlerAdapter {
        private final BackendPool pool;
        Channel channel;
        Target target;
        boolean pooled;
        /** Whether it carries an upload, counted in its backend's share. */
        boolean upload;
        /** The exchange using this connection; null while it is idle. */
        Holder owner;
        private Throwable cause;

        Upstream(BackendPool pool) {
            this.pool = pool;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            channel = ctx.channel();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            Holder o = owner;
            if (o == null) {
                // Nothing is expected on an idle connection: it is out of step, not reusable.
                ReferenceCountUtil.release(msg);
                ctx.close();
                return;
            }
            o.fromBackend(this, msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            Holder o = owner;
            if (o != null) {
                o.flushToClient();
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            Holder o = owner;
            if (o != null) {
                o.backendWritabilityChanged();
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof IdleStateEvent) {
                cause = new java.util.concurrent.TimeoutException("idle timeout");
                ctx.close();
            } else {
                ctx.fireUserEventTriggered(evt);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable t) {
            LOG.debugf("Backend connection %s: %s", ctx.channel().remoteAddress(), t.toString());
            if (cause == null) {
                cause = t;
            }
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            pool.closed(this);
            Holder o = owner;
            owner = null;
            if (o != null) {
                o.backendClosed(this, cause);
            }
        }
    }
}
