package io.dsha.proxy.passthrough;

import io.dsha.api.state.HealthStatus;
import io.dsha.api.state.Verdict;
import io.dsha.api.topology.AdminState;
import io.dsha.api.topology.Backend;
import io.dsha.proxy.config.ProxyConfig;
import io.dsha.proxy.balance.RoutingTable;
import io.dsha.proxy.balance.Target;
import io.dsha.proxy.listener.DataPlane;
import io.dsha.proxy.listener.ListenerVerticle;
import io.dsha.proxy.ops.LoopLag;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.impl.ContextInternal;
import io.vertx.core.impl.VertxInternal;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.impl.NetSocketInternal;
import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * One event loop of the TLS passthrough listener: a Vert.x {@link NetServer} whose connections
 * are read until their ClientHello names a server ({@link HelloHandler}), routed by the routing
 * decision like an HTTP request (the active backend, or spread by weight or fewest open
 * connections in ACTIVE_ACTIVE), connected by a Netty {@link Bootstrap} on the client channel's own
 * event loop (so both halves of a session, and every step of setting it up, run on one thread) —
 * a refused or timed-out connect moves on to the next backend before the client's first byte has
 * left, so the client never notices — and then relayed byte for byte by a {@link Relay} on each
 * side. The proxy never decrypts anything and holds no key.
 *
 * <p>Once connected, both channels leave Vert.x's stream handling for plain Netty handlers: the
 * relay passes pooled buffers on without copying them, and supports half-close, which
 * {@link NetSocket} cannot express.
 */
public final class PassthroughVerticle extends AbstractVerticle implements ListenerVerticle {

    private static final Logger LOG = Logger.getLogger(PassthroughVerticle.class);

    private final DataPlane path;
    private final ProxyConfig.Passthrough settings;
    private final boolean accessLog;
    private final String host;
    private final int port;
    private final Set<Session> sessions = ConcurrentHashMap.newKeySet();
    /** Every accepted channel still open: they left Vert.x's tracking when their handlers were replaced. */
    private final Set<Channel> clients = ConcurrentHashMap.newKeySet();
    private NetServer server;
    /** Backend connections: Vert.x's transport (epoll when available) and resolver, the client's event loop. */
    private Bootstrap backends;
    private Context context;
    private LoopLag lag;

    public PassthroughVerticle(DataPlane path, ProxyConfig config, String host, int port) {
        this.path = path;
        this.settings = config.passthrough();
        this.accessLog = config.accessLog();
        this.host = host;
        this.port = port;
    }

    @Override
    public void start(Promise<Void> started) {
        context = vertx.getOrCreateContext();
        VertxInternal internal = (VertxInternal) vertx;
        backends = new Bootstrap()
                .channelFactory(internal.transport().channelFactory(false))
                .resolver(internal.nettyAddressResolverGroup())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, path.connectTimeoutMs()))
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .handler(new Connecting());
        lag = LoopLag.start(((ContextInternal) context).nettyEventLoop(), path.metrics());
        server = vertx.createNetServer(new NetServerOptions().setTcpNoDelay(true)).connectHandler(this::accepted);
        server.listen(port, host).<Void>mapEmpty().onComplete(started);
    }

    @Override
    public int actualPort() {
        return server.actualPort();
    }

    private void accepted(NetSocket socket) {
        ChannelHandlerContext vertxHandler = ((NetSocketInternal) socket).channelHandlerContext();
        Channel channel = vertxHandler.channel();
        if (path.shuttingDown()) {
            path.metrics().rejected("shutting_down");
            channel.close();
            return;
        }
        if (!path.admit()) {
            channel.close();
            return;
        }
        path.begin();
        path.metrics().connectionOpened();
        clients.add(channel);
        channel.closeFuture().addListener(f -> {
            clients.remove(channel);
            path.released();
            path.end();
            path.metrics().connectionClosed();
        });
        channel.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
        channel.pipeline().replace(vertxHandler.handler(), "dsha-hello",
                new HelloHandler(this, settings.helloMaxBytes(), settings.helloTimeout().toMillis()));
    }

    void rejected(Channel channel, String reason) {
        path.metrics().rejected(reason);
        LOG.debugf("Passthrough connection from %s turned away: %s", channel.remoteAddress(), reason);
    }

    /** The whole ClientHello is in: check its name, then connect to a backend. Runs on the client's event loop. */
    void route(Channel channel, HelloHandler hello, String serverName) {
        ChannelHandlerContext ctx = channel.pipeline().context(hello);
        RoutingTable table = path.routing().table();
        if (serverName == null && settings.missingSni() == ProxyConfig.SniPolicy.REJECT) {
            hello.reject(ctx, "missing_sni", HelloHandler.alert(HelloHandler.UNRECOGNIZED_NAME));
            return;
        }
        if (serverName != null && !serves(table, serverName) && settings.unknownSni() == ProxyConfig.SniPolicy.REJECT) {
            hello.reject(ctx, "unknown_sni", HelloHandler.alert(HelloHandler.UNRECOGNIZED_NAME));
            return;
        }
        List<Target> candidates = table == null ? List.of() : table.candidates(path.policy(), System.nanoTime(), path.maxAttempts());
        attempt(channel, hello, serverName, candidates, 0);
    }

    private boolean serves(RoutingTable table, String name) {
        if (table != null && table.topology().fqdn() != null && table.topology().fqdn().toLowerCase(Locale.ROOT).equals(name)) {
            return true;
        }
        return settings.serverNames().map(list -> list.stream().anyMatch(n -> n.toLowerCase(Locale.ROOT).equals(name))).orElse(false);
    }

    private void attempt(Channel channel, HelloHandler hello, String serverName, List<Target> candidates, int i) {
        if (!channel.isActive()) {
            return; // the client left while we were connecting
        }
        if (i >= candidates.size()) {
            hello.reject(channel.pipeline().context(hello), "no_backend", null);
            return;
        }
        Target target = candidates.get(i);
        if (i > 0) {
            path.metrics().retried();
        }
        backends.clone(channel.eventLoop()).connect(target.host(), target.port()).addListener((ChannelFuture f) -> {
            if (!f.isSuccess()) {
                if (!path.connectFailed(target, "connect failed: " + f.cause().getMessage(), f.cause())) {
                    hello.reject(channel.pipeline().context(hello), "no_backend", null);
                    return;
                }
                attempt(channel, hello, serverName, candidates, i + 1);
                return;
            }
            Channel backend = f.channel();
            if (!channel.isActive()) {
                backend.close();
                return;
            }
            target.succeeded();
            relay(channel, hello, backend, target, serverName);
        });
    }

    private void relay(Channel channel, HelloHandler hello, Channel backend, Target target, String serverName) {
        Session session = new Session(channel, backend, target, path.metrics().tcp(target.id()), serverName, accessLog);
        session.onFinish(() -> sessions.remove(session));
        sessions.add(session);
        backend.pipeline().replace(backend.pipeline().first(), "dsha-relay", new Relay(session, channel, false));
        channel.pipeline().replace(hello, "dsha-relay", new Relay(session, backend, true));
        ListenerVerticle.takeOver(channel.pipeline());
        long idle = settings.idleTimeout().toNanos();
        if (idle > 0) {
            session.closeWhenIdle(idle);
        }
        if (settings.proxyProtocol()) {
            backend.write(Unpooled.wrappedBuffer(ProxyProtocolV2.header(
                    (InetSocketAddress) channel.remoteAddress(), (InetSocketAddress) channel.localAddress(), serverName)));
        }
        var received = hello.received();
        session.relayed(true, received.readableBytes());
        backend.writeAndFlush(received);
        if (hello.inputShutdown()) {
            channel.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        }
        channel.config().setAutoRead(true);
    }

    /** A backend channel's handler until it is connected; the relay replaces it. */
    @ChannelHandler.Sharable
    private static final class Connecting extends ChannelInboundHandlerAdapter {
    }

    /**
     * Closes the connections of backends the new decision calls DOWN or puts in MAINTENANCE, when
     * so configured; DRAIN keeps them.
     */
    @Override
    public void routingChanged(RoutingTable table) {
        if (!settings.closeOnDown() || context == null) {
            return;
        }
        Set<String> gone = new HashSet<>();
        for (Verdict v : table.snapshot().verdicts()) {
            if (v.status() == HealthStatus.DOWN) {
                gone.add(v.backendId());
            }
        }
        for (Backend b : table.topology().backends()) {
            if (b.adminState() == AdminState.MAINTENANCE) {
                gone.add(b.id());
            }
        }
        if (gone.isEmpty()) {
            return;
        }
        context.runOnContext(v -> {
            for (Session s : List.copyOf(sessions)) {
                if (gone.contains(s.target.id())) {
                    s.close("backend " + s.target.id() + " is down or in maintenance");
                }
            }
        });
    }

    @Override
    public void stop(Promise<Void> stopped) {
        if (lag != null) {
            lag.stop();
        }
        for (Session s : List.copyOf(sessions)) {
            s.ending("proxy stopping");
        }
        for (Channel c : List.copyOf(clients)) {
            c.close(); // its relay closes the backend side
        }
        server.close().onComplete(stopped);
    }
}
