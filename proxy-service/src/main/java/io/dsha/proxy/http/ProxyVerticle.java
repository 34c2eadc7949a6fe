package io.dsha.proxy.http;

import io.dsha.proxy.listener.Acceptor;
import io.dsha.proxy.listener.BorrowedLoops;
import io.dsha.proxy.listener.Clients;
import io.dsha.proxy.listener.ListenerVerticle;
import io.dsha.proxy.ops.LoopLag;
import io.dsha.proxy.transport.Transports;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Promise;
import javax.net.ssl.SSLException;
import org.jboss.logging.Logger;

/**
 * One event loop of the data path on Netty's HTTP codecs, below Vert.x's HTTP server and client:
 * the listener's {@link Acceptor} hands it the connections accepted for its loop (one instance per
 * event loop), and each one's pipeline is set up with TLS (when terminating), HTTP/1.1 or HTTP/2 (by
 * ALPN, or by the preface on cleartext) and a {@link Front}; backend connections come from
 * this loop's {@link BackendPool}. A request, its backend connection and every timer of it run on
 * this one thread. Vert.x's own HTTP server and client did this job before; this path costs less CPU
 * per request (no Vert.x stream, future or context dispatch per request; BENCHMARKS.md).
 */
public final class ProxyVerticle extends AbstractVerticle implements ListenerVerticle {

    private static final long TICK_MS = 20;
    private static final int MAX_INITIAL_LINE = 4096;

    private static final Logger LOG = Logger.getLogger(ProxyVerticle.class);

    private final DataPath path;
    private final SslContext ssl;
    private final boolean tls;
    private final Acceptor acceptor;
    private final Clients clients;
    private NettyLoop loop;
    private long tick = -1;
    private LoopLag lag;

    /**
     * @param ssl the listener's TLS (ALPN h2 and http/1.1), or null for cleartext
     * @param tls whether clients come over TLS (X-Forwarded-Proto)
     */
    public ProxyVerticle(DataPath path, SslContext ssl, boolean tls, Acceptor acceptor) {
        this.path = path;
        this.ssl = ssl;
        this.tls = tls;
        this.acceptor = acceptor;
        this.clients = new Clients(path, false);
    }

    @Override
    public void start(Promise<Void> started) {
        EventLoop own = BorrowedLoops.current(vertx);
        Bootstrap backends = new Bootstrap()
                .group(own)
                .channelFactory(Transports.channelFactory(vertx))
                .resolver(Transports.resolver(vertx))
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, path.connectTimeoutMs))
                .option(ChannelOption.TCP_NODELAY, true);
        loop = new NettyLoop(path, new BackendPool(backends, path.poolSize, path.maxHeaderBytes, path.idleTimeoutMs), tls);
        // One coarse tick per event loop expires every timeout; no timer per request.
        tick = vertx.setPeriodic(TICK_MS, id -> loop.tick());
        lag = LoopLag.start(own, path.metrics);
        acceptor.register(own, this::accepted);
        started.complete();
    }

    /** A connection the listener accepted for this loop: its pipeline is empty, and it reads once set up. */
    private void accepted(Channel channel) {
        if (!clients.admit(channel)) {
            return;
        }
        ChannelPipeline p = channel.pipeline();
        if (ssl != null) {
            p.addLast("tls", ssl.newHandler(channel.alloc()));
            p.addLast("alpn", new Alpn());
        } else {
            p.addLast("sniff", new PrefaceSniffer(this::http, loop.headerDeadlines));
        }
    }

    /**
     * After the TLS handshake: HTTP/2 or HTTP/1.1 as ALPN chose (HTTP/1.1 when the client offered nothing).
     * Every handshake that does not complete ends in a {@link SslHandshakeCompletionEvent} here (an error, a close,
     * the timeout); Netty's own handling logs the error twice at WARN with a stack trace (a scanner, a client that
     * gives up, a load generator stopping). It is counted by reason instead, and logged at DEBUG.
     */
    private final class Alpn extends ApplicationProtocolNegotiationHandler {

        Alpn() {
            super(ApplicationProtocolNames.HTTP_1_1);
        }

        @Override
        protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
            http(ctx, ApplicationProtocolNames.HTTP_2.equals(protocol));
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof SslHandshakeCompletionEvent done && !done.isSuccess()) {
                String reason = handshakeFailureReason(done.cause());
                path.metrics.handshakeFailed(reason);
                LOG.debugf("TLS handshake with %s failed (%s): %s", ctx.channel().remoteAddress(), reason, done.cause());
            }
            super.userEventTriggered(ctx, evt);
        }

        // Only before the handshake has completed (the handler leaves the pipeline then).
        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /**
     * Why a client's TLS handshake did not complete, as the {@code reason} of
     * {@code dsha_proxy_tls_handshake_failures_total}: {@code timeout} (no complete handshake within Netty's
     * 10 s), {@code tls_error} (not TLS, no protocol or cipher in common, a bad record or alert), or
     * {@code client_closed} (the connection was closed or reset before the handshake ended).
     */
    static String handshakeFailureReason(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof SslHandshakeTimeoutException) {
                return "timeout";
            }
            if (t instanceof SSLException) {
                return "tls_error";
            }
        }
        return "client_closed";
    }

    /** Sets up the connection for HTTP/1.x or HTTP/2, after the handler of {@code ctx}. */
    private void http(ChannelHandlerContext ctx, boolean h2) {
        ChannelPipeline p = ctx.pipeline();
        String after = ctx.name();
        if (h2) {
            ClientClock clock = new ClientClock(loop, true);
            p.addAfter(after, "h2", Http2FrameCodecBuilder.forServer()
                    .initialSettings(Http2Settings.defaultSettings().maxConcurrentStreams(100).maxHeaderListSize(path.maxHeaderBytes))
                    .build());
            p.addAfter("h2", "streams", new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
                @Override
                protected void initChannel(Http2StreamChannel stream) {
                    stream.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(true), new Front(loop, clock));
                }
            }));
            p.addAfter("streams", "clock", clock);
            p.addAfter("clock", "errors", new ConnectionErrors(path.metrics));
        } else {
            ClientClock clock = new ClientClock(loop, false);
            Http1Decoder decoder = new Http1Decoder(new HttpDecoderConfig()
                    .setMaxInitialLineLength(MAX_INITIAL_LINE)
                    .setMaxHeaderSize(path.maxHeaderBytes)
                    .setMaxChunkSize(8192));
            clock.decoder(decoder);
            p.addAfter(after, "clock", clock);
            p.addAfter("clock", "decoder", decoder);
            p.addAfter("decoder", "encoder", new HttpResponseEncoder());
            p.addAfter("encoder", "front", new Front(loop, clock));
        }
    }

    @Override
    public void stop(Promise<Void> stopped) {
        vertx.cancelTimer(tick);
        if (lag != null) {
            lag.stop();
        }
        loop.pool.close();
        clients.closeAll();
        stopped.complete();
    }
}
