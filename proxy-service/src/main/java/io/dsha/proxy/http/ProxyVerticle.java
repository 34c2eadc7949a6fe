package io.dsha.proxy.http;

import io.vertx.core.AbstractVerticle;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.PoolOptions;

/**
 * One event loop of the data path: a server instance (Vert.x spreads accepted connections over
 * the instances) and its own pooled client to the backends, so a request never changes thread.
 */
final class ProxyVerticle extends AbstractVerticle implements ListenerVerticle {

    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(ProxyVerticle.class);

    private static final long TICK_MS = 20;

    private final DataPath path;
    private final HttpServerOptions serverOptions;
    private final String host;
    private final int port;
    private HttpServer server;
    private HttpClient client;
    private long tick = -1;

    ProxyVerticle(DataPath path, HttpServerOptions serverOptions, String host, int port) {
        this.path = path;
        this.serverOptions = serverOptions;
        this.host = host;
        this.port = port;
    }

    @Override
    public void start(Promise<Void> started) {
        client = vertx.httpClientBuilder().with(new HttpClientOptions()
                        .setKeepAlive(true)
                        .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, path.connectTimeoutMs))
                        .setTcpNoDelay(true)
                        // Silence on a backend connection, in flight or idle in the pool, closes it.
                        .setIdleTimeout((int) Math.max(1, path.idleTimeoutMs))
                        .setIdleTimeoutUnit(java.util.concurrent.TimeUnit.MILLISECONDS)
                        .setMaxWebSockets(1024))
                .with(new PoolOptions().setHttp1MaxSize(path.poolSize).setMaxWaitQueueSize(-1))
                // A backend connection that breaks (a reset when the backend dies) fails its request, which the
                // exchange handles, reports and retries. Without a handler Vert.x also logs each one at ERROR with
                // its stack trace, on the event loop: 16 of them when a backend dies under load, tens of ms.
                .withConnectHandler(c -> c.exceptionHandler(e -> LOG.debugf("Backend connection %s: %s", c.remoteAddress(), e.toString())))
                .build();
        ProxyHandler handler = new ProxyHandler(client, path, serverOptions.isSsl());
        // One coarse tick per event loop expires every timeout; no timer per request.
        tick = vertx.setPeriodic(TICK_MS, id -> handler.tick());
        server = vertx.createHttpServer(serverOptions)
                .connectionHandler(c -> {
                    path.metrics.connectionOpened();
                    c.closeHandler(v -> path.metrics.connectionClosed());
                })
                .requestHandler(handler);
        server.listen(port, host).<Void>mapEmpty().onComplete(started);
    }

    @Override
    public int actualPort() {
        return server.actualPort();
    }

    @Override
    public void stop(Promise<Void> stopped) {
        vertx.cancelTimer(tick);
        server.close().compose(v -> client.close()).onComplete(stopped);
    }
}
