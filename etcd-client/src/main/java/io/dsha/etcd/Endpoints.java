package io.dsha.etcd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The endpoints and their HTTP/1.1 clients (the gateway speaks HTTP/1.1 only: etcd hands an h2c connection to its gRPC
 * server), with failover: a request that finds no answer (refused, reset, silent for the request timeout) or a 5xx
 * goes to the next endpoint at once, and the endpoint that answered is the first tried by the next request.
 * Thread-safe.
 */
final class Endpoints {

    /**
     * gRPC metadata through the gateway ({@code Grpc-Metadata-*} headers): etcd then refuses a request at once where its
     * member has no leader (UNAVAILABLE, so the next endpoint is tried), and ends a watch whose member loses its leader,
     * instead of leaving it open and silent in a minority partition (clientv3's WithRequireLeader).
     */
    static final String REQUIRE_LEADER = "Grpc-Metadata-hasleader";

    /** One endpoint: a pooled client for unary calls, another for watch streams (each holds a connection). */
    record Endpoint(URI uri, String name, HttpClient unary, HttpClient streams) {
    }

    private final List<Endpoint> endpoints;
    private final AtomicInteger preferred = new AtomicInteger();
    private final long timeoutMs;
    private final Context own;

    Endpoints(Vertx vertx, EtcdOptions options) {
        this.timeoutMs = options.requestTimeout().toMillis();
        this.own = EventLoops.context(vertx);
        List<Endpoint> list = new ArrayList<>();
        for (URI uri : options.endpoints()) {
            list.add(new Endpoint(uri, name(uri), vertx.createHttpClient(clientOptions(uri, options), new PoolOptions().setHttp1MaxSize(16)),
                    vertx.createHttpClient(clientOptions(uri, options), new PoolOptions().setHttp1MaxSize(64))));
        }
        this.endpoints = List.copyOf(list);
    }

    private static String name(URI uri) {
        return uri.toString().replaceAll("/+$", "");
    }

    private HttpClientOptions clientOptions(URI uri, EtcdOptions options) {
        boolean tls = "https".equalsIgnoreCase(uri.getScheme());
        HttpClientOptions o = new HttpClientOptions()
                .setDefaultHost(uri.getHost())
                .setDefaultPort(uri.getPort() > 0 ? uri.getPort() : tls ? 443 : 80)
                .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, timeoutMs))
                .setKeepAlive(true)
                .setSsl(tls);
        if (tls) {
            options.caFile().ifPresent(ca -> o.setTrustOptions(new PemTrustOptions().addCertPath(ca.toString())));
            options.certFile().ifPresent(cert -> o.setKeyCertOptions(new PemKeyCertOptions()
                    .setCertPath(cert.toString()).setKeyPath(options.keyFile().orElseThrow().toString())));
        }
        return o;
    }

    List<Endpoint> all() {
        return endpoints;
    }

    long timeoutMs() {
        return timeoutMs;
    }

    int preferred() {
        return preferred.get();
    }

    void prefer(int index) {
        preferred.set(index);
    }

    /** POSTs {@code body} to the preferred endpoint, then to the others in turn while none answers. */
    Future<JsonNode> call(String path, ObjectNode body) {
        Buffer json = Buffer.buffer(body.toString());
        return attempt(path, json, preferred.get(), endpoints.size(), new ArrayList<>());
    }

    private Future<JsonNode> attempt(String path, Buffer body, int index, int triesLeft, List<String> failures) {
        Endpoint e = endpoints.get(index);
        return post(e, path, body).transform(ar -> {
            if (ar.succeeded() || !retriable(ar.cause())) {
                preferred.set(index);
                return ar.succeeded() ? Future.succeededFuture(ar.result()) : Future.failedFuture(ar.cause());
            }
            if (endpoints.size() == 1) {
                return Future.failedFuture(ar.cause());
            }
            failures.add(ar.cause().getMessage());
            if (triesLeft == 1) {
                return Future.failedFuture(new EtcdException("no etcd endpoint answered POST " + path + ": " + String.join("; ", failures),
                        ar.cause()));
            }
            return attempt(path, body, (index + 1) % endpoints.size(), triesLeft - 1, failures);
        });
    }

    private static boolean retriable(Throwable t) {
        return !(t instanceof EtcdException e) || e.retriable();
    }

    /** POSTs {@code body} to {@code e} alone. */
    Future<JsonNode> callOne(Endpoint e, String path, ObjectNode body) {
        return post(e, path, Buffer.buffer(body.toString()));
    }

    /**
     * Runs {@code exchange} on this client's own event-loop context, whatever thread calls: its pooled connections then
     * live on that one loop. Not merely tidy: exchanges started elsewhere lost response bodies now and then (a 200 read as
     * empty: "not a JSON object"), from plain threads (tests) and from the control plane's worker threads writing the
     * state (bench/propagation.sh --store etcd: 3 refused changes in 600), most likely the race of
     * eclipse-vertx/vert.x#4106 and #5825: a pooled connection answers on another event loop, and the callback that
     * asks for the body runs on the request's context after the body has gone by. The answer comes back on the
     * caller's context where the caller runs on an event loop (an Election, a LeasedKey: their state is confined to
     * it); a worker or plain thread waits for it, and gets it on this client's loop.
     */
    private <T> Future<T> onContext(Supplier<Future<T>> exchange) {
        Context caller = Vertx.currentContext();
        if (caller == own) {
            return started(exchange);
        }
        boolean back = caller != null && Context.isOnEventLoopThread();
        Promise<T> result = Promise.promise();
        own.runOnContext(v -> started(exchange).onComplete(ar -> {
            if (back) {
                caller.runOnContext(x -> result.handle(ar));
            } else {
                result.handle(ar);
            }
        }));
        return result.future();
    }

    /** The exchange, or its failure where it could not even start (a closed client throws): never thrown at the caller. */
    private static <T> Future<T> started(Supplier<Future<T>> exchange) {
        try {
            return exchange.get();
        } catch (RuntimeException e) {
            return Future.failedFuture(e);
        }
    }

    private Future<JsonNode> post(Endpoint e, String path, Buffer body) {
        return onContext(() -> exchange(e, path, body));
    }

    private Future<JsonNode> exchange(Endpoint e, String path, Buffer body) {
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setURI(path).setIdleTimeout(timeoutMs)
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json").putHeader(REQUIRE_LEADER, "true");
        return e.unary().request(options)
                .compose(req -> req.send(body))
                .compose(resp -> resp.body().map(b -> answer(e, "POST " + path, resp, b)))
                .recover(t -> Future.failedFuture(t instanceof EtcdException ? t : noAnswer(e, "POST " + path, t)));
    }

    /** {@code GET /health}: the member's own verdict. */
    Future<EndpointHealth> health(Endpoint e) {
        return onContext(() -> healthExchange(e))
                .otherwise(t -> new EndpointHealth(e.uri(), false, Optional.of(noAnswer(e, "GET /health", t).getMessage())));
    }

    private Future<EndpointHealth> healthExchange(Endpoint e) {
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setURI("/health").setIdleTimeout(timeoutMs);
        return e.unary().request(options)
                .compose(req -> req.send())
                .compose(resp -> resp.body().map(b -> {
                    String text = b.toString().trim();
                    boolean healthy = resp.statusCode() == 200 && text.replace(" ", "").contains("\"health\":\"true\"");
                    return new EndpointHealth(e.uri(), healthy, healthy ? Optional.empty()
                            : Optional.of("HTTP " + resp.statusCode() + ": " + text));
                }));
    }

    static EtcdException noAnswer(Endpoint e, String what, Throwable cause) {
        String why = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        return new EtcdException("etcd at " + e.name() + " did not answer " + what + ": " + why, cause);
    }

    /**
     * The answer's JSON, or the error it carries. A server-streaming method called with one request (lease keep-alive)
     * answers {"result":{..}}: the result is returned.
     */
    static JsonNode answer(Endpoint e, String what, HttpClientResponse resp, Buffer body) {
        JsonNode json;
        try {
            json = EtcdJson.parse(body.getBytes());
        } catch (Exception notJson) {
            throw new EtcdException(e.name(), what, resp.statusCode(), -1, body.length() == 0 ? "(empty answer)" : body.toString());
        }
        if (json == null || !json.isObject()) {
            throw new EtcdException(e.name(), what, resp.statusCode(), -1, "not a JSON object: \"" + body + "\"");
        }
        EtcdJson.Error error = EtcdJson.error(json);
        if (error != null || resp.statusCode() != 200) {
            int status = error != null && error.httpStatus() != 0 ? error.httpStatus() : resp.statusCode();
            throw new EtcdException(e.name(), what, status, error == null ? -1 : error.grpcCode(), error == null ? json.toString() : error.message());
        }
        return json.has("result") && !json.has("header") ? json.get("result") : json;
    }

    Future<Void> close() {
        List<Future<Void>> closing = new ArrayList<>();
        for (Endpoint e : endpoints) {
            closing.add(e.unary().close());
            closing.add(e.streams().close());
        }
        return Future.all(closing).mapEmpty();
    }
}
