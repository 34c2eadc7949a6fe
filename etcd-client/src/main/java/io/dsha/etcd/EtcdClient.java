package io.dsha.etcd;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * etcd v3 through its JSON gRPC gateway ({@code POST /v3/...} over HTTP/1.1, see the module's README): key ranges,
 * puts, deletes, transactions, leases, watches and each endpoint's status, non-blocking. Every request goes to the
 * endpoint that answered last and, where that one does not answer (refused, reset, silent for the request timeout) or
 * answers 5xx (no leader, timed out), to the next at once; a 4xx is etcd's answer and is returned as it is. A failed
 * future holds an {@link EtcdException} that names the endpoint and says what etcd said.
 *
 * <p>As with any etcd client, a write whose answer did not come (a timeout, a broken connection) may still have been
 * applied, and is then applied again by the next endpoint: guard writes that must happen once with a transaction's
 * compare (a revision, a version), and read a failed compare's outcome before concluding.
 *
 * <p>Thread-safe: a request made on a Vert.x context completes on it; one made on another thread runs, and completes,
 * on a context of this client's own.
 */
public final class EtcdClient {

    private final Vertx vertx;
    private final EtcdOptions options;
    private final Endpoints endpoints;

    public EtcdClient(Vertx vertx, EtcdOptions options) {
        this.vertx = Objects.requireNonNull(vertx, "vertx");
        this.options = Objects.requireNonNull(options, "options");
        this.endpoints = new Endpoints(vertx, options);
    }

    /** The Vert.x this client runs on (an {@link Election}'s timers run there too). */
    Vertx vertx() {
        return vertx;
    }

    public EtcdOptions options() {
        return options;
    }

    /** The endpoint the next request goes to first: the one that answered last. */
    public URI endpoint() {
        return endpoints.all().get(endpoints.preferred()).uri();
    }

    /** The key alone (an empty result where it does not exist), with the store's revision. */
    public Future<RangeResult> range(Bytes key) {
        return endpoints.call("/v3/kv/range", EtcdJson.rangeRequest(key, Bytes.EMPTY)).map(EtcdJson::rangeResult);
    }

    /** Every key that starts with {@code prefix}, in key order, with the store's revision. */
    public Future<RangeResult> rangePrefix(Bytes prefix) {
        return endpoints.call("/v3/kv/range", EtcdJson.rangeRequest(prefix, prefix.prefixEnd())).map(EtcdJson::rangeResult);
    }

    public Future<PutResult> put(Bytes key, Bytes value) {
        return put(key, value, 0);
    }

    /** {@code leaseId}: the lease the key goes with when it expires or is revoked, 0 for none. */
    public Future<PutResult> put(Bytes key, Bytes value, long leaseId) {
        return endpoints.call("/v3/kv/put", EtcdJson.putRequest(key, value, leaseId)).map(a -> new PutResult(EtcdJson.headerRevision(a)));
    }

    public Future<DeleteResult> delete(Bytes key) {
        return endpoints.call("/v3/kv/deleterange", EtcdJson.rangeRequest(key, Bytes.EMPTY)).map(EtcdJson::deleteResult);
    }

    public Future<DeleteResult> deletePrefix(Bytes prefix) {
        return endpoints.call("/v3/kv/deleterange", EtcdJson.rangeRequest(prefix, prefix.prefixEnd())).map(EtcdJson::deleteResult);
    }

    /** If every compare holds, runs {@code success}, otherwise {@code failure}, atomically, at one new revision. */
    public Future<TxnResult> txn(List<Compare> compares, List<Op> success, List<Op> failure) {
        return endpoints.call("/v3/kv/txn", EtcdJson.txnRequest(compares, success, failure)).map(EtcdJson::txnResult);
    }

    /** A new lease of {@code ttlSeconds}; etcd may give a longer TTL (its minimum is about 1.5 election timeouts). */
    public Future<LeaseGrant> leaseGrant(long ttlSeconds) {
        ObjectNode body = EtcdJson.object().put("TTL", Long.toString(ttlSeconds));
        return endpoints.call("/v3/lease/grant", body).map(a -> new LeaseGrant(EtcdJson.int64(a, "ID"), EtcdJson.int64(a, "TTL")));
    }

    /**
     * Renews the lease once (one request on the keep-alive stream) and returns its TTL from now, in seconds; 0 where
     * the lease is gone (expired or revoked): etcd then leaves the TTL out, it does not refuse.
     */
    public Future<Long> leaseKeepAliveOnce(long leaseId) {
        return endpoints.call("/v3/lease/keepalive", leaseId(leaseId)).map(a -> EtcdJson.int64(a, "TTL"));
    }

    /** The lease's remaining TTL in seconds, without renewing it; -1 where it is gone. */
    public Future<Long> leaseTimeToLive(long leaseId) {
        return endpoints.call("/v3/lease/timetolive", leaseId(leaseId)).map(a -> EtcdJson.int64(a, "TTL"));
    }

    /** Revokes the lease, deleting its keys: true; false where it was already gone (etcd's NOT_FOUND). */
    public Future<Boolean> leaseRevoke(long leaseId) {
        return endpoints.call("/v3/lease/revoke", leaseId(leaseId)).map(a -> true).recover(t -> t instanceof EtcdException e
                && e.grpcCode() == EtcdException.NOT_FOUND ? Future.succeededFuture(false) : Future.failedFuture(t));
    }

    private static ObjectNode leaseId(long id) {
        return EtcdJson.object().put("ID", Long.toString(id));
    }

    /** Compacts the history up to {@code revision}: a watch from an older revision is then refused as compacted. */
    public Future<Void> compact(long revision) {
        return endpoints.call("/v3/kv/compaction", EtcdJson.object().put("revision", Long.toString(revision))).mapEmpty();
    }

    /**
     * Watches every key under {@code prefix} from {@code fromRevision} on (0: from now), handing each event to
     * {@code onEvent} in revision order, and the end, once, to {@code onEnd} with the revision to watch from again: see
     * {@link EtcdWatch}.
     */
    public EtcdWatch watch(Bytes prefix, long fromRevision, Consumer<WatchEvent> onEvent, EtcdWatch.EndHandler onEnd) {
        EtcdWatch watch = new EtcdWatch(endpoints, EventLoops.context(vertx), prefix, fromRevision, onEvent, onEnd);
        watch.start();
        return watch;
    }

    /** Every endpoint's status, in the order of the endpoints; one that does not answer says why. */
    public Future<List<MemberStatus>> status() {
        return status(options.requestTimeout());
    }

    /**
     * Every endpoint's status, in the order of the endpoints, each within {@code within}: one that does not answer in
     * time (or at all) says why, and the others' answers are not held up by it. For a status page that must not hang.
     */
    public Future<List<MemberStatus>> status(Duration within) {
        List<Future<MemberStatus>> all = new ArrayList<>();
        for (Endpoints.Endpoint e : endpoints.all()) {
            Future<MemberStatus> one = endpoints.callOne(e, "/v3/maintenance/status", EtcdJson.object())
                    .map(a -> new MemberStatus(e.uri(), Optional.empty(), EtcdJson.uint64(a.path("header"), "member_id"), EtcdJson.uint64(a, "leader"),
                            EtcdJson.uint64(a, "raftTerm"), EtcdJson.uint64(a, "raftIndex"), EtcdJson.int64(a, "dbSize"),
                            EtcdJson.int64(a, "dbSizeInUse"), a.path("version").asText(""), EtcdJson.headerRevision(a)))
                    .otherwise(t -> MemberStatus.unreachable(e.uri(), t.getMessage()));
            all.add(within(one, within, () -> MemberStatus.unreachable(e.uri(), silent(e, "POST /v3/maintenance/status", within))));
        }
        return Future.join(all).map(f -> all.stream().map(Future::result).toList());
    }

    /** Every endpoint's {@code /health}, in the order of the endpoints. */
    public Future<List<EndpointHealth>> health() {
        return health(options.requestTimeout());
    }

    /** Every endpoint's {@code /health}, in the order of the endpoints, each within {@code within} (as {@link #status(Duration)}). */
    public Future<List<EndpointHealth>> health(Duration within) {
        List<Future<EndpointHealth>> all = endpoints.all().stream().map(e -> within(endpoints.health(e), within,
                () -> new EndpointHealth(e.uri(), false, Optional.of(silent(e, "GET /health", within))))).toList();
        return Future.join(all).map(f -> all.stream().map(Future::result).toList());
    }

    private static String silent(Endpoints.Endpoint e, String what, Duration within) {
        return "etcd at " + e.name() + " did not answer " + what + " within " + within.toMillis() + " ms";
    }

    /** {@code answer}, or {@code late} where it has not come within {@code within}. */
    private <T> Future<T> within(Future<T> answer, Duration within, Supplier<T> late) {
        Promise<T> result = Promise.promise();
        long timer = vertx.setTimer(Math.max(1, within.toMillis()), t -> result.tryComplete(late.get()));
        answer.onComplete(ar -> {
            vertx.cancelTimer(timer);
            if (ar.succeeded()) {
                result.tryComplete(ar.result());
            } else {
                result.tryFail(ar.cause());
            }
        });
        return result.future();
    }

    /** Closes the connections; open watches end. */
    public Future<Void> close() {
        return endpoints.close();
    }
}
