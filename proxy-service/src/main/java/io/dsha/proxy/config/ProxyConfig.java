package io.dsha.proxy.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import java.time.Duration;
import java.util.Optional;

/**
 * Everything the proxy reads from configuration ({@code dsha.*}), checked at start. The data
 * listener's address comes from the topology's {@code listener}; {@code quarkus.http.port} is the
 * management port ({@code /q/health}, {@code /q/metrics}).
 */
@ConfigMapping(prefix = "dsha")
public interface ProxyConfig {

    /**
     * Base URL of the control plane, e.g. {@code http://127.0.0.1:9470}; or several separated by commas (the
     * replicas of one control plane), tried in turn when one does not answer.
     */
    @WithName("control-plane.url")
    String controlPlaneUrl();

    /** Bearer token for the control plane (the agent token); or {@code dsha.agent-token-file}. */
    Optional<String> agentToken();

    /**
     * A file holding the agent token (and nothing else; mode 0600), read at start instead of {@code dsha.agent-token}, so
     * the token shows neither on the command line nor in the environment. Setting both is an error. Read by
     * {@code io.dsha.api.secret.TokenFileInterceptor}, which gives {@link #agentToken()} the file's content.
     */
    Optional<String> agentTokenFile();

    /**
     * The most records on ingest routes on their way to one instance at once (never two of one source). More lets
     * a backlog replay faster.
     */
    @WithName("ingest.window")
    @WithDefault("16")
    @Min(1)
    @jakarta.validation.constraints.Max(1024)
    int ingestWindow();

    /** Where the last routing snapshot is kept, so the proxy can start while the control plane is away (and the ingest journal, in {@code ingest/}). */
    @WithDefault("state/proxy")
    String stateDir();

    /**
     * The name this proxy reports under (its votes, its traffic, its line in {@code GET /api/v1/proxies}). Default: the
     * host's name, so that two proxies on two hosts are told apart; set it where several proxies share a host.
     */
    Optional<@jakarta.validation.constraints.Pattern(regexp = "[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}",
            message = "must be 1 to 128 characters of letters, digits, '.', '_', ':', '@' or '-'") String> proxyId();

    Tls tls();

    Listener listener();

    Balance balance();

    Timeouts timeouts();

    Limits limits();

    Ejection ejection();

    Passthrough passthrough();

    /** How many event loops (server + client pairs) serve the data path; 0 means one per core. */
    @WithDefault("0")
    @Min(0)
    @Max(256)
    int eventLoops();

    /**
     * The kernel interface of every socket: AUTO (io_uring where the kernel allows it, else epoll),
     * IO_URING (refused at start where it is not available), EPOLL (never io_uring). Read by Vert.x
     * as it starts ({@code io.dsha.proxy.transport.Transports}); written {@code auto}, {@code io_uring}, {@code epoll}.
     */
    @WithDefault("auto")
    SocketTransport transport();

    enum SocketTransport {
        AUTO, IO_URING, EPOLL
    }

    AccessLogConfig accessLog();

    /**
     * One line per request (and per passthrough connection), formatted on the event loop into a batch and written
     * by a thread of its own (AccessLog, in the ops package); when that thread falls behind, lines are dropped
     * and counted, never waited for.
     */
    interface AccessLogConfig {
        /** {@code dsha.access-log.enabled}. */
        @WithDefault("true")
        boolean enabled();

        /** {@code text} (space-separated, {@code key=value} fields) or {@code json} (an object per line). */
        @WithDefault("text")
        Format format();

        enum Format {
            TEXT, JSON
        }

        /** A file to append to; standard output when not set. */
        Optional<String> file();

        /** The most bytes of lines waiting for the writer, all event loops together; past it, lines are dropped. */
        @WithDefault("4194304")
        @Min(131072)
        @Max(268435456)
        long bufferBytes();
    }

    /**
     * How often backend host names are looked up again in the background. Requests connect to the last
     * address found, so none waits on DNS (a lookup that fails or stalls keeps the last address).
     */
    @WithName("dns.refresh")
    @WithDefault("5s")
    Duration dnsRefresh();

    /**
     * How long a graceful shutdown (SIGTERM) waits for in-flight requests and passthrough sessions once the
     * listener stopped accepting; what is still open then is closed.
     */
    @WithName("shutdown.grace")
    @WithDefault("30s")
    Duration shutdownGrace();

    /**
     * How long the listener goes on accepting after readiness went down on SIGTERM: the time a keepalived track
     * script or a balancer in front needs to notice and move away (as Kubernetes' preStop pause or Envoy's drain
     * time). Requests accepted meanwhile are answered with {@code Connection: close}. 0 stops accepting at once.
     */
    @WithName("shutdown.delay")
    @WithDefault("0s")
    Duration shutdownDelay();

    /** TLS of the data listener: PEM certificate + key, or a PKCS#12 keystore. */
    interface Tls {
        Optional<String> certFile();

        Optional<String> keyFile();

        Optional<String> keystoreFile();

        Optional<String> keystorePassword();

        /** How often certificate files are checked for changes. */
        @WithDefault("2s")
        Duration reloadInterval();

        /**
         * Who encrypts: OPENSSL (BoringSSL through netty-tcnative; refused at start where it cannot load),
         * JDK (the JVM's SSLEngine), AUTO (OPENSSL where it loads, else JDK).
         */
        @WithDefault("AUTO")
        TlsEngine engine();

        /** The TLS versions offered to clients (TLSv1.2, TLSv1.3). */
        @WithDefault("TLSv1.2,TLSv1.3")
        java.util.List<String> protocols();

        /**
         * The cipher suites offered, by their IANA names: by default Mozilla's "intermediate" set, forward-secret AEAD
         * only (ECDHE with AES-GCM or ChaCha20-Poly1305; TLS 1.3's three). An unknown or unavailable name stops the
         * listener from binding, with the name in the message.
         */
        @WithDefault("TLS_AES_128_GCM_SHA256,TLS_AES_256_GCM_SHA384,TLS_CHACHA20_POLY1305_SHA256,"
                + "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,"
                + "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,"
                + "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256")
        java.util.List<String> ciphers();
    }

    enum TlsEngine {
        AUTO, OPENSSL, JDK
    }

    /** Overrides of the topology's listener, for demos and tests. */
    interface Listener {
        /** Serve plain HTTP instead of HTTPS. Refused unless set explicitly. */
        @WithDefault("false")
        boolean plainHttp();

        /** Bind here instead of the topology's listener host. */
        Optional<String> host();

        /** Bind this port instead of the topology's (0 = any free port). */
        Optional<Integer> port();

        /**
         * The most client connections open at once (all event loops); a connection beyond it is closed as soon as it
         * is accepted, while the open ones are served. Default: half of what the open-file limit leaves after 512.
         */
        Optional<@Min(1) Integer> maxConnections();

        /**
         * SO_REUSEPORT on the listening socket, so that a new proxy process can bind beside a running one and take
         * the new connections before the old one is stopped (a restart that drops nothing). On, as HAProxy's and
         * Envoy's listeners are; off makes a second process on the same address fail to bind.
         */
        @WithDefault("true")
        boolean reusePort();
    }

    /** Spreading over active backends in ACTIVE_ACTIVE. */
    interface Balance {
        /** {@code ROUND_ROBIN} (weighted) or {@code LEAST_OUTSTANDING} (fewest in-flight requests per unit of weight). */
        @WithDefault("ROUND_ROBIN")
        BalancePolicy policy();

        /** The most backends one request is tried on (the first attempt included). */
        @WithDefault("3")
        @Min(1)
        @Max(16)
        int maxAttempts();

        /**
         * An idempotent request held in full whose backend gives no first byte within {@code timeouts.first-byte}
         * is tried on the next backend (a hung instance costs the client that wait, not an error) rather than
         * answered 504. Turn off when slow idempotent requests must never run twice.
         */
        @WithDefault("true")
        boolean retryOnTimeout();

        /** Keep-alive connections per backend and event loop. */
        @WithDefault("64")
        @Min(1)
        int poolSize();
    }

    /** Timeouts: toward the backends (connect, first-byte, idle, request) and of clients (request-header, request-body, client-idle). */
    interface Timeouts {
        @WithDefault("2s")
        Duration connect();

        /** From the request being sent to the response's first byte: a hung backend gives a 504. */
        @WithDefault("30s")
        Duration firstByte();

        /** Silence on an upstream connection while a request is in flight. */
        @WithDefault("60s")
        Duration idle();

        /** The whole exchange, body included. */
        @WithDefault("300s")
        Duration request();

        /**
         * From a connection's first byte (or the previous answer) to a request's complete head: a client slower than
         * this gets 408 and its connection is closed (slowloris; HAProxy's {@code timeout http-request}).
         */
        @WithDefault("10s")
        Duration requestHeader();

        /** The longest silence while a request's body is read: then 408, and the connection is closed. */
        @WithDefault("30s")
        Duration requestBody();

        /**
         * An idle keep-alive connection (HTTP/1.1 between requests, HTTP/2 with no stream open) is closed after this
         * long (HTTP/2 with a GOAWAY first); HAProxy's {@code timeout http-keep-alive}/{@code timeout client}.
         */
        @WithDefault("60s")
        Duration clientIdle();
    }

    /** Size limits: larger requests get 413 (body) or 431 (headers). */
    interface Limits {
        @WithDefault("16384")
        @Min(1024)
        int maxHeaderBytes();

        @WithDefault("104857600")
        @Min(0)
        long maxBodyBytes();

        /**
         * Every request's body is read up to this size before a backend connection is taken (a slow client then
         * holds a buffer, not a backend connection); an idempotent request held in full can be retried elsewhere.
         */
        @WithDefault("65536")
        @Min(0)
        int retryBufferBytes();

        /**
         * The most bytes of request bodies held at once, all clients together; past it, a body is streamed to its
         * backend as it arrives (and a slow one then holds a connection, within half of the pool). Default: 128 MiB,
         * or half of the JVM's direct memory when that is less (held bytes are Netty's direct buffers).
         */
        Optional<@Min(0) Long> heldBodyBytes();
    }

    /** Local ejection of a backend that failed on real traffic, until the control plane's verdict arrives. */
    interface Ejection {
        @WithDefault("1s")
        Duration base();

        @WithDefault("30s")
        Duration max();
    }

    /**
     * The TCP relay used when the topology's {@code tlsMode} is PASSTHROUGH: the proxy reads the
     * ClientHello's server name and forwards the TLS bytes untouched; it holds no key.
     */
    interface Passthrough {
        /**
         * Server names accepted besides the topology's {@code fqdn} (lower case, no trailing dot). A
         * ClientHello naming anything else is an unknown SNI.
         */
        Optional<java.util.List<String>> serverNames();

        /** A ClientHello whose SNI is neither the FQDN nor a listed name: REJECT (TLS alert unrecognized_name, then close) or ROUTE anyway. */
        @WithDefault("REJECT")
        SniPolicy unknownSni();

        /**
         * A ClientHello with no SNI (clients that connect by IP address never send one): ROUTE (the
         * default, so such clients keep working) or REJECT (TLS alert, then close).
         */
        @WithDefault("ROUTE")
        SniPolicy missingSni();

        /** A client that has not sent its whole ClientHello after this long is disconnected. */
        @WithDefault("5s")
        Duration helloTimeout();

        /** The most bytes read while waiting for a whole ClientHello (post-quantum key shares make them ~2 KiB). */
        @WithDefault("16384")
        @Min(512)
        @Max(262144)
        int helloMaxBytes();

        /** A relayed connection silent in both directions for this long is closed. */
        @WithDefault("1h")
        Duration idleTimeout();

        /** Send a PROXY protocol v2 header (client address, SNI as authority) to the backend before the TLS bytes. */
        @WithDefault("false")
        boolean proxyProtocol();

        /**
         * Close the open connections of a backend the control plane declares DOWN or puts in
         * MAINTENANCE (haproxy's on-marked-down shutdown-sessions): clients reconnect and land on a
         * live backend instead of waiting on a frozen one. DRAIN never closes anything.
         */
        @WithDefault("true")
        boolean closeOnDown();
    }

    /** What the passthrough relay does with a ClientHello whose server name it does not serve. */
    enum SniPolicy {
        REJECT, ROUTE
    }

    enum BalancePolicy {
        ROUND_ROBIN, LEAST_OUTSTANDING
    }
}
