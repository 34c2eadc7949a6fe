package io.dsha.controlplane;

import io.dsha.api.json.DshaJson;
import io.dsha.api.problem.Problem;
import io.dsha.etcd.EventLoops;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.net.URI;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * Changes reach whichever control plane a client asks; only the leader applies them. On a control
 * plane that does not lead, every change to the API ({@code POST}, {@code PUT}, {@code DELETE},
 * {@code PATCH} under {@code /api/v1/}: operators' changes, checkers' and proxies' reports) goes on
 * to the leader as it came (its headers, its token, its body), and the leader's answer comes back as
 * it is: an {@code If-Match} that names a stale revision gets 412 whichever control plane was asked.
 * Reads are answered here, from this control plane's mirror of the state, except those of what only the leader
 * holds in memory (the proxies' traffic and status), which go on to it too. When no control plane
 * leads (an election under way, etcd without quorum), a change is answered 503 with
 * {@code Retry-After}; a change already forwarded once is never forwarded again (the lead moved
 * while it travelled).
 */
@ApplicationScoped
public class LeaderForwarding {

    private static final Logger LOG = Logger.getLogger(LeaderForwarding.class);
    static final String FORWARDED_BY = "X-Dsha-Forwarded-By";
    private static final Set<HttpMethod> CHANGES = Set.of(HttpMethod.POST, HttpMethod.PUT, HttpMethod.DELETE, HttpMethod.PATCH);
    /**
     * Reads of what only the leader holds, in memory (the proxies' traffic reports, which reach it as changes do):
     * forwarded like changes, so that every control plane shows the same proxies and rates.
     */
    private static final Set<String> LEADER_READS = Set.of("/api/v1/traffic", "/api/v1/proxies");
    /** Hop-by-hop headers (RFC 9110 §7.6.1), not passed on in either direction. */
    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-connection", "te", "trailer",
            "transfer-encoding", "upgrade", "host", "content-length");

    /** What a follower reads of a change before it forwards it: Quarkus's own default limit on a request body. */
    static final int MAX_BODY_BYTES = 10 * 1024 * 1024;

    private HttpClient http;
    private Context own;

    void routes(@Observes Router router, Replication replication, Vertx vertx, ControlPlaneConfig config) {
        if (!replication.replicated()) {
            return;
        }
        own = EventLoops.context(vertx);
        http = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout((int) config.etcd().requestTimeout().toMillis())
                .setKeepAlive(true));
        // Before the REST layer reads the body.
        router.route("/api/v1/*").order(-100).handler(ctx -> forwardIfFollowing(ctx, replication, config));
    }

    private void forwardIfFollowing(RoutingContext ctx, Replication replication, ControlPlaneConfig config) {
        HttpServerRequest in = ctx.request();
        boolean leaderRead = in.method() == HttpMethod.GET && LEADER_READS.contains(in.path());
        if (!(CHANGES.contains(in.method()) || leaderRead) || replication.decides()) {
            ctx.next();
            return;
        }
        Optional<Replication.Member> leader = replication.leader();
        if (leader.isEmpty() || in.getHeader(FORWARDED_BY) != null) {
            unavailable(ctx.response(), (leader.isEmpty() ? "no control plane leads now (" + replication.role().reason() + ")"
                    : "the lead moved while the change was forwarded") + store(config));
            return;
        }
        long declared = contentLength(in);
        if (declared > MAX_BODY_BYTES) {
            tooLarge(ctx.response());
            return;
        }
        // The body is read here in full (a change is small: a topology, a report), bounded, then the exchange with the
        // leader runs on this forwarder's own event loop and the answer is written back on the request's: a Vert.x
        // client's answer read from another context may lose its body (eclipse-vertx/vert.x#4106), as the services'
        // and the etcd clients once did.
        Context here = Vertx.currentContext();
        Buffer body = Buffer.buffer();
        HttpServerResponse out = ctx.response();
        in.handler(chunk -> {
            if (body.length() + chunk.length() > MAX_BODY_BYTES) {
                in.handler(null);
                tooLarge(out);
                return;
            }
            body.appendBuffer(chunk);
        });
        in.exceptionHandler(e -> LOG.debugf("A change to forward was not read in full: %s", e.toString()));
        in.endHandler(v -> {
            if (out.ended() || out.headWritten()) {
                return;
            }
            RequestOptions options = options(in, leader.get(), config);
            own.runOnContext(x -> exchange(options, body).onComplete(ar -> here.runOnContext(y -> answer(out, leader.get(), ar, config))));
        });
        in.resume();
    }

    private static long contentLength(HttpServerRequest in) {
        try {
            String v = in.getHeader("Content-Length");
            return v == null ? -1 : Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static RequestOptions options(HttpServerRequest in, Replication.Member leader, ControlPlaneConfig config) {
        URI target = URI.create(leader.url());
        RequestOptions options = new RequestOptions().setMethod(in.method()).setHost(target.getHost())
                .setPort(target.getPort() < 0 ? 80 : target.getPort()).setURI(in.uri())
                .setTimeout(config.etcd().requestTimeout().toMillis() * 2);
        in.headers().forEach((name, value) -> {
            if (!HOP_BY_HOP.contains(name.toLowerCase(java.util.Locale.ROOT))) {
                options.addHeader(name, value);
            }
        });
        options.putHeader(FORWARDED_BY, config.replicaId().orElse("a follower"));
        return options;
    }

    /** The leader's answer: status, headers, body. */
    private record Answer(int status, MultiMap headers, Buffer body) {
    }

    private Future<Answer> exchange(RequestOptions options, Buffer body) {
        return http.request(options).compose(req -> req.send(body))
                .compose(resp -> resp.body().map(b -> new Answer(resp.statusCode(), resp.headers(), b)));
    }

    private static void answer(HttpServerResponse out, Replication.Member leader, AsyncResult<Answer> ar, ControlPlaneConfig config) {
        if (out.ended() || out.closed()) {
            return;
        }
        if (ar.failed()) {
            LOG.warnf("A change could not be forwarded to the leader %s at %s: %s", leader.id(), leader.url(), ar.cause().toString());
            unavailable(out, "the leader " + leader.id() + " at " + leader.url() + " did not answer: " + ar.cause().getMessage() + store(config));
            return;
        }
        Answer a = ar.result();
        out.setStatusCode(a.status());
        a.headers().forEach((name, value) -> {
            if (!HOP_BY_HOP.contains(name.toLowerCase(java.util.Locale.ROOT))) {
                out.headers().add(name, value);
            }
        });
        out.end(a.body());
    }

    private static void tooLarge(HttpServerResponse out) {
        if (out.headWritten()) {
            return;
        }
        String body;
        try {
            body = DshaJson.mapper().writeValueAsString(new Problem("about:blank", "Payload too large", 413,
                    "a change is at most " + MAX_BODY_BYTES + " bytes", List.of()));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        out.setStatusCode(413).putHeader("Content-Type", Problem.MEDIA_TYPE).putHeader("Connection", "close").end(body);
    }

    /** Names the store a change waits for: a leader is elected through etcd, and no change is made without one. */
    private static String store(ControlPlaneConfig config) {
        return "; a change needs the leader, elected through the state's store (etcd at " + String.join(",", config.etcd().endpoints().orElse(List.of()))
                + ", prefix " + config.etcd().prefix() + "): if this lasts, check that etcd answers and has its quorum (GET /api/v1/cluster)";
    }

    private static void unavailable(HttpServerResponse out, String why) {
        String body;
        try {
            body = DshaJson.mapper().writeValueAsString(new Problem("about:blank", "No leader", 503, why + "; send the change again", List.of()));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        out.setStatusCode(503).putHeader("Content-Type", Problem.MEDIA_TYPE).putHeader("Retry-After", "1").end(body);
    }
}
