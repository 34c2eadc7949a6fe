package io.dsha.proxy;

import io.dsha.proxy.http.ProxyVerticle;
import io.dsha.proxy.http.DataPath;
import io.dsha.proxy.listener.Acceptor;
import io.dsha.proxy.listener.ListenerVerticle;
import io.dsha.proxy.listener.ReloadableKeyManager;
import io.dsha.proxy.listener.TlsMaterial;
import io.dsha.api.topology.Listener;
import io.dsha.api.topology.TlsMode;
import io.dsha.proxy.config.ProxyConfig;
import io.dsha.proxy.balance.RoutingTable;
import io.dsha.proxy.passthrough.PassthroughVerticle;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.IdentityCipherSuiteFilter;
import io.netty.handler.ssl.OpenSslCachingX509KeyManagerFactory;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.KeyCertOptions;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import javax.net.ssl.X509KeyManager;
import org.jboss.logging.Logger;

/**
 * The data listener: one verticle per event loop, taking the connections that one {@link Acceptor} at the
 * topology's listener address (unless overridden) accepts and spreads over their loops. With {@code tlsMode} TERMINATE, HTTPS with HTTP/2 and HTTP/1.1 by ALPN,
 * TLS 1.2 and 1.3 only; with PASSTHROUGH, a TCP relay routing by SNI that holds no key. Rebinds
 * when the topology moves the listener or changes its TLS mode; reloads the certificate when its
 * files change, without touching open connections.
 */
public final class FrontServer {

    private static final Logger LOG = Logger.getLogger(FrontServer.class);
    private static final Set<String> PROTOCOLS = Set.of("TLSv1.2", "TLSv1.3");
    /** TLS 1.3's suites: BoringSSL always offers them, whatever the list says (the JDK's engine needs them named). */
    private static final Set<String> TLS13_SUITES = Set.of("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256");
    /**
     * Parsed keys kept by BoringSSL's key cache, one per certificate generation (a few KB of native memory each,
     * released with the listener): a process that reloads its certificate daily reaches it after years.
     */
    static final int CACHED_KEY_GENERATIONS = 1024;

    private final Vertx vertx;
    private final DataPath path;
    private final ProxyConfig config;
    private final Optional<TlsMaterial> tls;
    private final int instances;
    private final List<ListenerVerticle> verticles = new ArrayList<>();
    private final List<String> deployments = new ArrayList<>();
    /** The listening socket of the deployed verticles, or null. */
    private Acceptor acceptor;
    private Future<Void> chain = Future.succeededFuture();
    private volatile String boundHost;
    private volatile int boundPort = -1;
    private volatile TlsMode boundMode;
    /** Why the listener is not bound, when it is for a reason the operator must fix. */
    private volatile String configProblem;
    /** Why the last bind failed, until the listener binds; kept while it is tried again. */
    private volatile String bindProblem;
    /** The last bind failure logged: said once per cause, not once per attempt (until the listener binds). */
    private String bindFailureLogged;
    private String wantedKey;
    /** The last routing table, to bind again from after a failure. */
    private RoutingTable lastTable;
    private boolean stopped;
    /** How long after a failed bind the listener is tried again. */
    static final long BIND_RETRY_MS = 1000;
    private List<Object> tlsFingerprint;
    private long reloadTimer = -1;
    /** What every TLS handshake takes its certificate from; a reload swaps its content. */
    private final ReloadableKeyManager keys = new ReloadableKeyManager();
    /** Whether the listener's TLS runs on BoringSSL (else the JDK's SSLEngine). */
    private boolean openSslChosen;

    public FrontServer(Vertx vertx, DataPath path, ProxyConfig config, Optional<TlsMaterial> tls) {
        this.vertx = vertx;
        this.path = path;
        this.config = config;
        this.tls = tls;
        this.instances = config.eventLoops() > 0 ? config.eventLoops() : Runtime.getRuntime().availableProcessors();
    }

    /** The port the data listener is bound to, or -1 before it is. */
    public int port() {
        return boundPort;
    }

    public String host() {
        return boundHost;
    }

    public boolean listening() {
        return boundPort > 0;
    }

    /** The scheme clients use: https, unless a terminating listener was configured for plain HTTP. */
    public String scheme() {
        return boundMode == TlsMode.TERMINATE && tls.isEmpty() ? "http" : "https";
    }

    public TlsMode tlsMode() {
        return boundMode;
    }

    /** Why the data listener is not bound, when the configuration cannot serve the topology; else null. */
    public String problem() {
        String c = configProblem;
        return c != null ? c : bindProblem;
    }

    /** Called with each new routing table: binds, or rebinds when the listener moved or its TLS mode changed. */
    public synchronized void onTable(RoutingTable table) {
        for (ListenerVerticle v : verticles) {
            v.routingChanged(table);
        }
        Listener l = table.topology().listener();
        TlsMode mode = table.topology().tlsMode();
        String host = config.listener().host().orElse(l.host());
        int port = config.listener().port().orElse(l.port());
        String key = host + ":" + port + " " + mode;
        lastTable = table;
        if (stopped || key.equals(wantedKey)) {
            return;
        }
        wantedKey = key;
        if (mode == TlsMode.TERMINATE && tls.isEmpty() && !config.listener().plainHttp()) {
            configProblem = "the topology asks for TLS termination but this proxy has no certificate: set dsha.tls.cert-file and "
                    + "dsha.tls.key-file (PEM), or dsha.tls.keystore-file and dsha.tls.keystore-password (PKCS#12); "
                    + "plain HTTP needs dsha.listener.plain-http=true (demos and tests only)";
            LOG.error("Data listener not bound: " + configProblem);
            chain = chain.transform(ar -> undeployAll());
            return;
        }
        configProblem = null;
        if (mode == TlsMode.PASSTHROUGH && (tls.isPresent() || config.listener().plainHttp())) {
            LOG.info("TLS passthrough: the certificate settings (dsha.tls.*, dsha.listener.plain-http) are not used; each backend presents its own");
        }
        chain = chain.transform(ar -> undeployAll()).transform(ar -> deploy(host, port, mode)).onFailure(e -> {
            String why = "the data listener could not bind " + host + ":" + port + " (" + e.getMessage() + "); trying again every "
                    + BIND_RETRY_MS / 1000 + " s";
            // Said once per cause, not once a second.
            synchronized (this) {
                if (!why.equals(bindFailureLogged)) {
                    LOG.errorf("Not ready: %s", why);
                    bindFailureLogged = why;
                }
            }
            bindProblem = why;
            synchronized (this) {
                wantedKey = null;
            }
            vertx.setTimer(BIND_RETRY_MS, id -> retryBind(key));
        });
    }

    /** Binds again after a failure (the address in use, say during another process's shutdown), unless the table moved on. */
    private synchronized void retryBind(String key) {
        RoutingTable table = lastTable;
        if (wantedKey == null && table != null && !stopped) {
            LOG.debugf("Binding the data listener again (%s)", key);
            onTable(table);
        }
    }

    private Future<Void> deploy(String host, int port, TlsMode mode) {
        boolean clientTls = mode == TlsMode.TERMINATE && tls.isPresent();
        SslContext ssl = null;
        if (clientTls) {
            try {
                ssl = sslContext();
            } catch (IOException | RuntimeException e) {
                return Future.failedFuture(e);
            }
        }
        String description = mode == TlsMode.PASSTHROUGH ? "TLS passthrough by SNI"
                : clientTls ? "TLS termination, " + (openSslChosen ? io.netty.handler.ssl.OpenSsl.versionString() + " (netty-tcnative)" : "JDK SSLEngine")
                : "plain HTTP";
        Acceptor listener = new Acceptor(vertx, host, port, config.listener().reusePort());
        List<Future<String>> all = new ArrayList<>();
        List<ListenerVerticle> created = new ArrayList<>();
        for (int i = 0; i < instances; i++) {
            ListenerVerticle v = mode == TlsMode.PASSTHROUGH
                    ? new PassthroughVerticle(path, config, listener)
                    : new ProxyVerticle(path, ssl, clientTls, listener);
            created.add(v);
            all.add(vertx.deployVerticle(v, new DeploymentOptions()));
        }
        // Every verticle has registered its loop once deployed; then the port is bound. What deployed is
        // recorded first, so that a failure (a verticle, or the bind) undeploys it.
        return Future.join(all).transform(deployed -> {
            synchronized (this) {
                acceptor = listener;
                verticles.addAll(created);
                for (Future<String> f : all) {
                    if (f.succeeded()) {
                        deployments.add(f.result());
                    }
                }
            }
            Future<Integer> bound = deployed.succeeded() ? listener.bind() : Future.failedFuture(deployed.cause());
            return bound.recover(e -> undeployAll().transform(ar -> Future.failedFuture(e)));
        }).map(actualPort -> {
            synchronized (this) {
                boundHost = host;
                boundMode = mode;
                boundPort = actualPort;
                bindProblem = null;
                bindFailureLogged = null;
            }
            LOG.infof("Data listener on %s://%s:%d (%s, %d event loops)", scheme(), host, boundPort, description, instances);
            if (mode == TlsMode.TERMINATE) {
                startReloading();
            }
            return null;
        });
    }

    /**
     * The listener's TLS: TLS 1.2 and 1.3, HTTP/2 and HTTP/1.1 offered by ALPN, the certificate taken at each
     * handshake from a key manager whose content a reload swaps.
     */
    private SslContext sslContext() throws IOException {
        tlsFingerprint = tls.get().fingerprint();
        keys.use(tls.get().load(vertx));
        openSslChosen = openSsl();
        try {
            javax.net.ssl.KeyManagerFactory kmf = KeyCertOptions.wrap(keys).getKeyManagerFactory(vertx);
            if (openSslChosen) {
                // Without this, BoringSSL gets the key as PEM and parses it again at every handshake (a quarter of a
                // new connection's CPU; BENCHMARKS.md, "New TLS connections"). Netty caches the parsed key and
                // chain per alias; ours carry the generation a reload made, so a new certificate is a new entry and is
                // never served from an old one. Up to CACHED_KEY_GENERATIONS reloads are cached, later ones parsed.
                kmf = new OpenSslCachingX509KeyManagerFactory(kmf, CACHED_KEY_GENERATIONS);
            }
            List<String> protocols = config.tls().protocols();
            List<String> unknownProtocols = protocols.stream().filter(p -> !PROTOCOLS.contains(p)).toList();
            if (!unknownProtocols.isEmpty() || protocols.isEmpty()) {
                throw new IllegalArgumentException("dsha.tls.protocols: " + unknownProtocols + " (expected: one or more of " + PROTOCOLS + ")");
            }
            List<String> ciphers = config.tls().ciphers();
            List<String> unavailable = ciphers.stream().filter(c -> !cipherAvailable(c)).toList();
            if (!unavailable.isEmpty()) {
                throw new IllegalArgumentException("dsha.tls.ciphers: not available with " + (openSslChosen ? "BoringSSL" : "the JDK's SSLEngine")
                        + ": " + unavailable + " (IANA names, e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)");
            }
            return SslContextBuilder.forServer(kmf)
                    .sslProvider(openSslChosen ? SslProvider.OPENSSL : SslProvider.JDK)
                    .protocols(protocols)
                    .ciphers(ciphers, IdentityCipherSuiteFilter.INSTANCE)
                    .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                            ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1))
                    .build();
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("the listener's TLS could not be set up: " + e.getMessage(), e);
        }
    }

    private boolean cipherAvailable(String name) {
        if (TLS13_SUITES.contains(name)) {
            return true;
        }
        if (openSslChosen) {
            return io.netty.handler.ssl.OpenSsl.isCipherSuiteAvailable(name);
        }
        try {
            return List.of(javax.net.ssl.SSLContext.getDefault().getSupportedSSLParameters().getCipherSuites()).contains(name);
        } catch (java.security.NoSuchAlgorithmException e) {
            return false;
        }
    }

    /**
     * Whether the listener's TLS runs on BoringSSL (netty-tcnative): about half the CPU of the JDK's
     * SSLEngine per record on this path (BENCHMARKS.md). OPENSSL where it cannot load is a start-up error.
     */
    private boolean openSsl() {
        ProxyConfig.TlsEngine engine = config.tls().engine();
        if (engine == ProxyConfig.TlsEngine.JDK) {
            return false;
        }
        boolean available = io.vertx.core.net.OpenSSLEngineOptions.isAvailable() && io.vertx.core.net.OpenSSLEngineOptions.isAlpnAvailable();
        if (!available && engine == ProxyConfig.TlsEngine.OPENSSL) {
            Throwable why = io.netty.handler.ssl.OpenSsl.unavailabilityCause();
            throw new IllegalStateException("dsha.tls.engine=OPENSSL, but BoringSSL (netty-tcnative) cannot be used here"
                    + (why == null ? " (no ALPN support)" : ": " + why.getMessage()) + "; use AUTO or JDK");
        }
        return available;
    }

    private void startReloading() {
        if (tls.isEmpty() || reloadTimer >= 0) {
            return;
        }
        long every = Math.max(100, config.tls().reloadInterval().toMillis());
        // Ordered: a check that outlasts the interval is not overlapped by the next (which would load the same files again).
        reloadTimer = vertx.setPeriodic(every, id -> vertx.executeBlocking(() -> {
            List<Object> now = tls.get().fingerprint();
            if (now.equals(tlsFingerprint)) {
                return null;
            }
            X509KeyManager loaded = tls.get().load(vertx);
            tlsFingerprint = now;
            return loaded;
        }, true).onSuccess(loaded -> {
            if (loaded != null) {
                keys.use(loaded);
                LOG.infof("Certificate reloaded from %s", tls.get().files());
            }
        }).onFailure(e -> LOG.warnf("Certificate files changed but could not be loaded (keeping the current certificate): %s", e.getMessage())));
    }

    /** Stops accepting first, then undeploys the verticles (which close their connections). */
    private Future<Void> undeployAll() {
        List<String> ids;
        Acceptor listening;
        synchronized (this) {
            ids = List.copyOf(deployments);
            listening = acceptor;
            acceptor = null;
            deployments.clear();
            verticles.clear();
            boundPort = -1;
            boundMode = null;
        }
        Future<Void> closed = listening == null ? Future.succeededFuture() : listening.close();
        return closed.transform(ar -> {
            List<Future<Void>> all = new ArrayList<>();
            for (String id : ids) {
                all.add(vertx.undeploy(id));
            }
            return Future.all(all).mapEmpty();
        });
    }

    /**
     * Graceful shutdown: the listening socket closes and no other is bound, while the connections it took stay
     * with their verticles. Another process bound beside it ({@code SO_REUSEPORT}) takes the new connections;
     * the kernel hands it those that waited in this socket's queue where {@code net.ipv4.tcp_migrate_req=1}.
     */
    public Future<Void> stopAccepting() {
        Acceptor listening;
        synchronized (this) {
            stopped = true;
            listening = acceptor;
        }
        return listening == null ? Future.succeededFuture() : listening.close();
    }

    /** Stops the listener (and its keep-alive connections). */
    public Future<Void> stop() {
        if (reloadTimer >= 0) {
            vertx.cancelTimer(reloadTimer);
        }
        synchronized (this) {
            stopped = true;
            chain = chain.transform(ar -> undeployAll());
            return chain;
        }
    }
}
