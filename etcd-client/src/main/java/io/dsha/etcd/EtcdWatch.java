package io.dsha.etcd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.parsetools.RecordParser;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A watch of every key under a prefix from a revision on: {@code POST /v3/watch} with one create request, answered by
 * a stream of newline-delimited JSON objects {"result":{..}} that stays open (the gateway reads the whole request body
 * before it answers, so nothing more can be sent on the stream: no cancel or progress request, hence a new stream
 * per watch and cancelling by closing the connection). It opens on the client's preferred endpoint, trying the others
 * when that one does not answer, and then stays there: while it is open, that endpoint is asked for its status at
 * each request timeout, so that a member that stops answering (frozen, cut off) ends the watch as a crashed one does.
 *
 * <p>The watch ends once, on its own: the stream broke or ended, the endpoint stopped answering, etcd canceled it (its
 * member lost the leader), or the revision asked for was compacted ({@link EtcdCompactedException}); the end handler
 * hears why, and the caller watches again from {@link #nextRevision()}, another endpoint being tried first if this one
 * failed. Events and the end are handed over on one Vert.x context, in order, never at the same time; nothing is
 * handed over after {@link #cancel()}.
 */
public final class EtcdWatch {

    /** Hears how a watch ended and the revision to watch from again to miss nothing ({@link #nextRevision()}). */
    @FunctionalInterface
    public interface EndHandler {
        void ended(EtcdException cause, long nextRevision);
    }

    private final Endpoints endpoints;
    private final Context context;
    private final Bytes prefix;
    private final long fromRevision;
    private final Consumer<WatchEvent> onEvent;
    private final EndHandler onEnd;
    private final Promise<Void> created = Promise.promise();
    private volatile long nextRevision;
    private volatile Endpoints.Endpoint endpoint;
    private volatile boolean ended;
    private HttpClientRequest request;
    private long checkTimer = -1;

    EtcdWatch(Endpoints endpoints, Context context, Bytes prefix, long fromRevision, Consumer<WatchEvent> onEvent, EndHandler onEnd) {
        this.endpoints = endpoints;
        this.context = context;
        this.prefix = prefix;
        this.fromRevision = fromRevision;
        this.nextRevision = fromRevision;
        this.onEvent = onEvent;
        this.onEnd = onEnd;
    }

    void start() {
        context.runOnContext(v -> open(endpoints.preferred(), endpoints.all().size(), new ArrayList<>()));
    }

    /** Completes once etcd has created the watch: every change made after that is seen. Fails where the watch never opened. */
    public Future<Void> created() {
        return created.future();
    }

    /**
     * The revision to watch from to miss nothing: the last event's mod revision + 1 (the revision asked for while none
     * came; after a watch "from now", the revision etcd had at its creation + 1).
     */
    public long nextRevision() {
        return nextRevision;
    }

    /** The endpoint the watch streams from (null before it opened). */
    public String endpoint() {
        Endpoints.Endpoint e = endpoint;
        return e == null ? null : e.name();
    }

    /** Whether the watch has ended or was cancelled. */
    public boolean ended() {
        return ended;
    }

    /** Closes the stream; nothing is handed over afterwards. Any thread. */
    public void cancel() {
        ended = true;
        context.runOnContext(v -> {
            close();
            created.tryFail(new EtcdException("the watch was cancelled", null));
        });
    }

    private ObjectNode createRequest() {
        ObjectNode create = EtcdJson.rangeRequest(prefix, prefix.prefixEnd());
        if (fromRevision > 0) {
            create.put("start_revision", Long.toString(fromRevision));
        }
        ObjectNode body = EtcdJson.object();
        body.set("create_request", create);
        return body;
    }

    private void open(int index, int triesLeft, List<String> failures) {
        if (ended) {
            return;
        }
        Endpoints.Endpoint e = endpoints.all().get(index);
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setURI("/v3/watch")
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json").putHeader(Endpoints.REQUIRE_LEADER, "true");
        Promise<HttpClientResponse> answered = Promise.promise();
        long timer = context.owner().setTimer(endpoints.timeoutMs(), t -> answered.tryFail(
                new EtcdException("etcd at " + e.name() + " did not answer POST /v3/watch within " + endpoints.timeoutMs() + " ms", null)));
        e.streams().request(options).onComplete(ar -> {
            if (ar.failed()) {
                answered.tryFail(ar.cause());
                return;
            }
            HttpClientRequest req = ar.result();
            if (answered.future().isComplete() || ended) {
                req.reset();
                return;
            }
            request = req;
            req.send(Buffer.buffer(createRequest().toString())).onComplete(sent -> {
                if (sent.succeeded()) {
                    answered.tryComplete(sent.result());
                } else {
                    answered.tryFail(sent.cause());
                }
            });
        });
        answered.future().onComplete(ar -> {
            context.owner().cancelTimer(timer);
            if (ended) {
                close();
            } else if (ar.succeeded() && ar.result().statusCode() == 200) {
                attached(index, e, ar.result());
            } else if (ar.succeeded()) {
                ar.result().body().onComplete(body -> openFailed(index, triesLeft, failures,
                        body.succeeded() ? error(e, ar.result(), body.result()) : Endpoints.noAnswer(e, "POST /v3/watch", body.cause())));
            } else {
                close();
                openFailed(index, triesLeft, failures,
                        ar.cause() instanceof EtcdException ex ? ex : Endpoints.noAnswer(e, "POST /v3/watch", ar.cause()));
            }
        });
    }

    private static EtcdException error(Endpoints.Endpoint e, HttpClientResponse resp, Buffer body) {
        try {
            Endpoints.answer(e, "POST /v3/watch", resp, body);
            return new EtcdException(e.name(), "POST /v3/watch", resp.statusCode(), -1, body.toString());
        } catch (EtcdException ex) {
            return ex;
        }
    }

    private void openFailed(int index, int triesLeft, List<String> failures, EtcdException cause) {
        int count = endpoints.all().size();
        if (!cause.retriable() || triesLeft == 1) {
            EtcdException end = count == 1 || !cause.retriable() ? cause
                    : new EtcdException("no etcd endpoint opened a watch: " + String.join("; ", failures) + "; " + cause.getMessage(), cause);
            end(end);
            return;
        }
        failures.add(cause.getMessage());
        open((index + 1) % count, triesLeft - 1, failures);
    }

    private void attached(int index, Endpoints.Endpoint e, HttpClientResponse resp) {
        endpoint = e;
        endpoints.prefer(index);
        RecordParser lines = RecordParser.newDelimited("\n", line -> {
            if (!ended && line.length() > 0) {
                message(e, line);
            }
        });
        resp.handler(lines);
        resp.exceptionHandler(t -> end(Endpoints.noAnswer(e, "the watch stream (it broke)", t)));
        resp.endHandler(v -> end(new EtcdException("etcd at " + e.name() + " ended the watch stream", null)));
        scheduleCheck(e);
    }

    private void message(Endpoints.Endpoint e, Buffer line) {
        JsonNode json;
        try {
            json = EtcdJson.parse(line.getBytes());
        } catch (Exception ex) {
            end(new EtcdException("etcd at " + e.name() + " sent an unreadable watch response: " + line, ex));
            return;
        }
        EtcdJson.Error error = EtcdJson.error(json);
        if (error != null) {
            end(new EtcdException(e.name(), "the watch", error.httpStatus(), error.grpcCode(), error.message()));
            return;
        }
        JsonNode result = json.path("result");
        if (result.path("canceled").asBoolean(false)) {
            long compact = EtcdJson.int64(result, "compact_revision");
            end(compact > 0 ? new EtcdCompactedException(e.name(), nextRevision, compact)
                    : new EtcdException(e.name(), "the watch", 200, -1, "canceled: " + result.path("cancel_reason").asText("no reason given")));
            return;
        }
        if (result.path("created").asBoolean(false)) {
            if (fromRevision <= 0) {
                nextRevision = EtcdJson.headerRevision(result) + 1;
            }
            created.tryComplete();
        }
        for (WatchEvent event : EtcdJson.watchEvents(result)) {
            nextRevision = event.kv().modRevision() + 1;
            try {
                onEvent.accept(event);
            } catch (RuntimeException ex) {
                end(new EtcdException("the watch's event handler failed on " + event + ": " + ex, ex));
                return;
            }
            if (ended) {
                return;
            }
        }
    }

    /** Asks the watch's endpoint for its status each request timeout, one check at a time. */
    private void scheduleCheck(Endpoints.Endpoint e) {
        checkTimer = context.owner().setTimer(endpoints.timeoutMs(), t -> {
            checkTimer = -1;
            if (ended) {
                return;
            }
            endpoints.callOne(e, "/v3/maintenance/status", EtcdJson.object()).onComplete(ar -> {
                if (ended) {
                    return;
                }
                if (ar.failed()) {
                    end(new EtcdException("etcd at " + e.name() + " stopped answering while watching: " + ar.cause().getMessage(), ar.cause()));
                } else {
                    scheduleCheck(e);
                }
            });
        });
    }

    private void end(EtcdException cause) {
        if (ended) {
            return;
        }
        ended = true;
        close();
        created.tryFail(cause);
        onEnd.ended(cause, nextRevision);
    }

    private void close() {
        if (checkTimer >= 0) {
            context.owner().cancelTimer(checkTimer);
            checkTimer = -1;
        }
        if (request != null) {
            request.reset();
            request = null;
        }
    }
}
