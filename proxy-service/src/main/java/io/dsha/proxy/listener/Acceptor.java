package io.dsha.proxy.listener;

import io.dsha.proxy.transport.Transports;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetServerOptions;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * The data listener's socket: one listening channel at the listener's address, and the event loops its
 * connections are spread over. Vert.x's public {@code NetServer} gives no supported way to own an accepted
 * connection's pipeline (the listeners used to take it over through Vert.x's internals), so the listener is a
 * plain Netty {@link ServerBootstrap} on Vert.x's own event loops; the only Vert.x internals left are the
 * transport's channel factories, socket options and resolver, in {@link Transports}.
 *
 * <p>Each verticle of the listener, in its {@code start()}, {@link #register registers} its event loop and what
 * takes a new connection on it; then the listener is {@link #bind bound}. The first loop registered accepts
 * (as a worker of HAProxy or NGINX accepts for itself: there is no acceptor thread of Vert.x's in between), and
 * each accepted connection is registered with the next loop in turn, whose verticle sets up its pipeline (from
 * empty). On {@link #close} it stops accepting; the connections it handed over stay with their verticles.
 *
 * <p>The sockets are Vert.x's transport's (io_uring, epoll or NIO) with the options a Vert.x {@code NetServer}
 * gave them: SO_REUSEADDR (and SO_REUSEPORT when asked), the default accept backlog (Netty's, the system's SOMAXCONN), TCP_NODELAY, pooled
 * buffers.
 */
public final class Acceptor {

    private static final Logger LOG = Logger.getLogger(Acceptor.class);

    private final Vertx vertx;
    private final String host;
    private final int port;
    private final boolean reusePort;
    /** The callbacks that take a connection on each loop, the loops in order of registration. Guarded by this. */
    private final Map<EventLoop, Takers> takers = new IdentityHashMap<>();
    private final List<EventLoop> order = new ArrayList<>();
    private boolean binding;
    private boolean closed;
    private Channel server;

    /** @param port 0 for a free port (then {@link #port()} says which) */
    public Acceptor(Vertx vertx, String host, int port) {
        this(vertx, host, port, false);
    }

    /**
     * @param port 0 for a free port (then {@link #port()} says which)
     * @param reusePort SO_REUSEPORT: another process may bind the same address beside this one, and the kernel
     *     spreads new connections over both
     */
    public Acceptor(Vertx vertx, String host, int port, boolean reusePort) {
        this.vertx = vertx;
        this.host = host;
        this.port = port;
        this.reusePort = reusePort;
    }

    /**
     * Adds {@code loop} to those the listener's connections go to: {@code take} is given each connection
     * registered with it, on {@code loop}, before the connection has read anything and with its pipeline empty.
     * Several callbacks on one loop take its connections in turn. Only before {@link #bind}.
     */
    public synchronized void register(EventLoop loop, Consumer<Channel> take) {
        if (binding || closed) {
            throw new IllegalStateException("the listener is already bound");
        }
        takers.computeIfAbsent(loop, l -> {
            order.add(l);
            return new Takers();
        }).list.add(take);
    }

    /** Binds the listener (once every loop is {@link #register registered}): the port bound, or why not. */
    public Future<Integer> bind() {
        BorrowedLoops loops;
        Map<EventLoop, Takers> byLoop;
        synchronized (this) {
            if (binding || closed || order.isEmpty()) {
                return Future.failedFuture(new IllegalStateException(order.isEmpty() ? "no event loop registered" : "bound or closed already"));
            }
            binding = true;
            loops = new BorrowedLoops(order);
            byLoop = new IdentityHashMap<>(takers);
        }
        EventLoop accepting = loops.loops().get(0);
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(accepting, loops)
                .channelFactory(Transports.serverChannelFactory(vertx))
                .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        byLoop.get(channel.eventLoop()).take(channel);
                    }
                });
        Transports.configure(vertx, new NetServerOptions().setReuseAddress(true).setReusePort(reusePort).setTcpNoDelay(true), bootstrap);
        Promise<Integer> bound = Promise.promise();
        Transports.resolver(vertx).getResolver(accepting).resolve(InetSocketAddress.createUnresolved(host, port)).addListener(resolved -> {
            if (!resolved.isSuccess()) {
                bound.fail(resolved.cause());
                return;
            }
            bootstrap.bind((InetSocketAddress) resolved.getNow()).addListener((ChannelFuture f) -> {
                if (!f.isSuccess()) {
                    bound.fail(f.cause());
                } else if (bound(f.channel())) {
                    bound.complete(port());
                } else {
                    f.channel().close();
                    bound.fail(new IllegalStateException("the listener was closed while it was being bound"));
                }
            });
        });
        return bound.future();
    }

    private synchronized boolean bound(Channel channel) {
        if (closed) {
            return false;
        }
        server = channel;
        return true;
    }

    /** The port bound, or -1 before and once closed. */
    public synchronized int port() {
        return server == null || closed ? -1 : ((InetSocketAddress) server.localAddress()).getPort();
    }

    /**
     * Stops accepting; the connections taken stay open. Once this completes, no connection goes to a verticle any
     * more and the port refuses connections (on Java NIO a moment later: the JDK closes a socket registered with a
     * selector at the selector's next select, and resets what waited in its backlog).
     */
    public Future<Void> close() {
        Channel channel;
        synchronized (this) {
            closed = true;
            channel = server;
        }
        if (channel == null) {
            return Future.succeededFuture();
        }
        Promise<Void> done = Promise.promise();
        try {
            channel.eventLoop().execute(() -> {
                Transports.stopListening(channel);
                channel.close().addListener(f -> done.complete());
            });
        } catch (RejectedExecutionException e) {
            done.complete(); // Vert.x has closed: its loops closed their channels
        }
        return done.future();
    }

    /** The callbacks of one loop, taking its connections in turn; used on that loop only. */
    private static final class Takers {
        final List<Consumer<Channel>> list = new ArrayList<>();
        int next;

        void take(Channel channel) {
            Consumer<Channel> take = list.get(next);
            next = (next + 1) % list.size();
            take.accept(channel);
        }
    }
}
