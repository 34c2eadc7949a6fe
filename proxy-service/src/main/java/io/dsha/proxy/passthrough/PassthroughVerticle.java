package io.dsha.proxy.passthrough;

import io.dsha.api.state.HealthStatus;
import io.dsha.api.state.Verdict;
import io.dsha.api.topology.AdminState;
import io.dsha.api.topology.Backend;
import io.dsha.proxy.config.ProxyConfig;
import io.dsha.proxy.balance.RoutingTable;
import io.dsha.proxy.balance.Target;
import io.dsha.proxy.listener.Acceptor;
import io.dsha.proxy.listener.BorrowedLoops;
import io.dsha.proxy.listener.Clients;
import io.dsha.proxy.listener.DataPlane;
import io.dsha.proxy.listener.ListenerVerticle;
import io.dsha.proxy.ops.LoopLag;
import io.dsha.proxy.transport.Transports;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * One event loop of the TLS passthrough listener: the connections its {@link Acceptor} hands it
 * are read until their ClientHello names a server ({@link HelloHandler}), routed by the routing
 * decision like an HTTP request (the active backend, or spread by weight or fewest open
 * connections in ACTIVE_ACTIVE), connected by a Netty {@link Bootstrap} on the client channel's own
 * event loop (so both halves of a session, and every step of setting it up, run on one thread) —
 * a refused or timed-out connect moves on to the next backend before the client's first byte has
 * left, so the client never notices — and then relayed byte for byte by a {@link Relay} on each
 * side. The proxy never decrypts anything and holds no key.
 *
 * <p>Both channels are plain Netty, with no Vert.x stream in between: the relay passes pooled buffers
 * on without copying them, and supports half-close, which Vert.x's {@code NetSocket} cannot express.
 */
public final class PassthroughVerticle extends AbstractVerticle implements ListenerVerticle {

    private static final Logger LOG = Logger.getLogger(PassthroughVerticle.class);

    private final DataPlane path;
    private final ProxyConfig.Passthrough settings;
    private final Acceptor acceptor;
    private final Set<Session> sessions = ConcurrentHashMap.newKeySet();
    private final Clients clients;
    /** Backend connections: Vert.x's transport (epoll when available) and resolver, the client's event loop. */
    private Bootstrap backends;
    private Context context;
    private LoopLag lag;

    public PassthroughVerticle(DataPlane path, ProxyConfig config, Acceptor acceptor) {
        this.path = path;
        this.settings = config.passthrough();
        this.acceptor = acceptor;
        this.clients = new Clients(path, true);
    }

    @Override
    public void start(Promise<Void> started) {
        context = vertx.getOrCreateContext();
        EventLoop own = BorrowedLoops.current(vertx);
        backends = new Bootstrap()
                .channelFactory(Transports.channelFactory(vertx))
                .resolver(Transports.resolver(vertx))
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, path.connectTimeoutMs()))
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .handler(new Connecting());
        lag = LoopLag.start(own, path.metrics());
        acceptor.register(own, this::accepted);
        started.complete();
    }

    /** A connection the listener accepted for this loop: its pipeline is empty, and it reads once set up. */
    private void accepted(Channel channel) {
        if (!clients.admit(channel)) {
            return;
        }
        channel.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
        channel.pipeline().addLast("dsha-hello", new HelloHandler(this, settings.helloMaxBytes(), settings.helloTimeout().toMillis()));
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
        backends.clone(channel.eventLoop()).connect(target.address()).addListener((ChannelFuture f) -> {
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
        Session session = new Session(channel, backend, target, path.metrics().tcp(target.id()), serverName, path.accessLog());
        session.onFinish(() -> sessions.remove(session));
        sessions.add(session);
        backend.pipeline().replace(backend.pipeline().first(), "dsha-relay", new Relay(session, channel, false));
        channel.pipeline().replace(hello, "dsha-relay", new Relay(session, backend, true));
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
        clients.closeAll(); // each relay closes its backend side
        stopped.complete();
    }
}
