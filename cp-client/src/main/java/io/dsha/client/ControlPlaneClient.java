package io.dsha.client;

import io.dsha.api.json.DshaJson;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The control plane's REST API over HTTP, non-blocking, with a bearer token on every request. With
 * several URLs, a request that finds no answer (refused, reset, timed out) or a 5xx goes to the next one
 * at once, and the URL that answered is the first tried by the next request; with one URL there is one
 * try, whose result is returned as it is. Thread-safe.
 */
public final class ControlPlaneClient {

    /** What came back: the status, and the body (empty when there was none). */
    public record Reply(int status, Buffer body) {

        /** The body as {@code type}, ignoring fields this version does not know (a newer control plane may add some). */
        public <T> T read(Class<T> type) {
            try {
                return DshaJson.readTolerant(body.getBytes(), type);
            } catch (Exception e) {
                throw new IllegalStateException("unreadable answer from the control plane: " + e.getMessage(), e);
            }
        }

        @Override
        public String toString() {
            return status + ": " + body;
        }
    }

    private record Endpoint(String url, String basePath, HttpClient http) {
    }

    private final List<Endpoint> endpoints;
    private final ControlPlaneUrls urls;
    private final Optional<String> token;
    private final Map<String, String> headers;
    private final AtomicInteger preferred = new AtomicInteger();
    private final Context own;

    public ControlPlaneClient(Vertx vertx, ControlPlaneUrls urls, Optional<String> token) {
        this(vertx, urls, token, Map.of());
    }

    /** {@code headers}: sent with every request besides the token (the launcher names itself in {@code X-Dsha-Actor}). */
    public ControlPlaneClient(Vertx vertx, ControlPlaneUrls urls, Optional<String> token, Map<String, String> headers) {
        Objects.requireNonNull(vertx, "vertx");
        this.urls = Objects.requireNonNull(urls, "urls");
        this.token = Objects.requireNonNull(token, "token");
        this.headers = Map.copyOf(headers);
        this.own = ownEventLoop(vertx);
        this.endpoints = urls.urls().stream().map(u -> endpoint(vertx, u)).toList();
    }

    private static Endpoint endpoint(Vertx vertx, URI uri) {
        boolean ssl = "https".equalsIgnoreCase(uri.getScheme());
        int port = uri.getPort() > 0 ? uri.getPort() : ssl ? 443 : 80;
        String basePath = uri.getPath() == null || uri.getPath().equals("/") ? "" : uri.getPath().replaceAll("/+$", "");
        HttpClient http = vertx.createHttpClient(new HttpClientOptions()
                .setDefaultHost(uri.getHost())
                .setDefaultPort(port)
                .setSsl(ssl)
                .setConnectTimeout(2000)
                .setKeepAlive(true)
                .setMaxPoolSize(4));
        return new Endpoint(uri.toString().replaceAll("/+$", ""), basePath, http);
    }

    /** A new event-loop context, also where the caller runs on a worker or another context (asked from a plain thread). */
    private static Context ownEventLoop(Vertx vertx) {
        if (Vertx.currentContext() == null) {
            return vertx.getOrCreateContext();
        }
        java.util.concurrent.CompletableFuture<Context> made = new java.util.concurrent.CompletableFuture<>();
        Thread t = new Thread(() -> made.complete(vertx.getOrCreateContext()), "dsha-cp-client-context");
        t.setDaemon(true);
        t.start();
        return made.join();
    }

    /** The URL the next request goes to first: the one that answered last. */
    public String url() {
        return endpoints.get(preferred.get()).url();
    }

    public ControlPlaneUrls urls() {
        return urls;
    }

    /** {@code timeoutMs}: how long the answer may keep silent (a long-poll's own wait included). */
    public Future<Reply> get(String path, long timeoutMs) {
        return send(HttpMethod.GET, path, null, timeoutMs);
    }

    /** POSTs {@code body} as JSON. */
    public Future<Reply> post(String path, Object body, long timeoutMs) {
        return send(HttpMethod.POST, path, body, timeoutMs);
    }

    /** PUTs {@code body} as JSON. */
    public Future<Reply> put(String path, Object body, long timeoutMs) {
        return send(HttpMethod.PUT, path, body, timeoutMs);
    }

    /** {@code body}: sent as JSON, or nothing when null. */
    public Future<Reply> send(HttpMethod method, String path, Object body, long timeoutMs) {
        Buffer json;
        try {
            json = body == null ? null : Buffer.buffer(DshaJson.mapper().writeValueAsBytes(body));
        } catch (Exception e) {
            return Future.failedFuture(e);
        }
        int first = preferred.get();
        return onContext(() -> attempt(method, path, json, timeoutMs, first, endpoints.size()));
    }

    /**
     * Runs {@code exchange} on this client's own event-loop context, whatever thread calls, so that its pooled
     * connections live on that one loop. Started on a plain thread (the checker's reporter thread) or another context,
     * an exchange now and then lost its body: a pooled connection answered on another event loop before the body was
     * asked for, a 200 read as empty (eclipse-vertx/vert.x#4106; ControlPlaneClientTest showed it in 2 runs of 3). The
     * answer comes back on the caller's context where the caller runs on an event loop; a worker or plain thread waits
     * for it and gets it on this client's loop. The etcd client does the same.
     */
    private <T> Future<T> onContext(Supplier<Future<T>> exchange) {
        Context caller = Vertx.currentContext();
        if (caller == own) {
            return exchange.get();
        }
        boolean back = caller != null && Context.isOnEventLoopThread();
        Promise<T> result = Promise.promise();
        own.runOnContext(v -> exchange.get().onComplete(ar -> {
            if (back) {
                caller.runOnContext(x -> result.handle(ar));
            } else {
                result.handle(ar);
            }
        }));
        return result.future();
    }

    private Future<Reply> attempt(HttpMethod method, String path, Buffer body, long timeoutMs, int index, int triesLeft) {
        Endpoint e = endpoints.get(index);
        Future<Reply> reply = exchange(e, method, path, body, timeoutMs);
        if (triesLeft == 1) {
            return reply.onSuccess(r -> preferred.set(index));
        }
        int next = (index + 1) % endpoints.size();
        return reply.transform(ar -> {
            if (ar.succeeded() && ar.result().status() < 500) {
                preferred.set(index);
                return Future.succeededFuture(ar.result());
            }
            return attempt(method, path, body, timeoutMs, next, triesLeft - 1);
        });
    }

    private Future<Reply> exchange(Endpoint e, HttpMethod method, String path, Buffer body, long timeoutMs) {
        RequestOptions options = new RequestOptions().setMethod(method).setURI(e.basePath() + path).setIdleTimeout(timeoutMs);
        token.ifPresent(t -> options.putHeader(HttpHeaders.AUTHORIZATION, "Bearer " + t));
        headers.forEach(options::putHeader);
        if (body != null) {
            options.putHeader(HttpHeaders.CONTENT_TYPE, "application/json");
        }
        return e.http().request(options)
                .compose(req -> body == null ? req.send() : req.send(body))
                .compose(resp -> resp.body().map(b -> new Reply(resp.statusCode(), b)));
    }

    public Future<Void> close() {
        return Future.all(endpoints.stream().map(e -> e.http().close()).toList()).mapEmpty();
    }
}
