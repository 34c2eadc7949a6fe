package io.dsha.etcd;

import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongFunction;

/**
 * The leases a background loop ({@link Election}, {@link LeasedKey}) let go and has still to revoke, so that their keys
 * go now rather than at expiry: one whose put may have been applied with its answer lost, a term that ended, a lease
 * thought lost while etcd was away. Not thread-safe: used on the loop's context.
 */
final class StaleLeases {

    private final LongFunction<Future<Boolean>> revoke;
    private final List<Long> ids = new ArrayList<>();

    /** {@code revoke}: {@link EtcdClient#leaseRevoke} (true: revoked, false: already gone), or a test's stand-in. */
    StaleLeases(LongFunction<Future<Boolean>> revoke) {
        this.revoke = revoke;
    }

    void add(long leaseId) {
        ids.add(leaseId);
    }

    /** Revokes every lease listed now; those are struck off once all were revoked (or found gone). */
    Future<Void> revoke() {
        if (ids.isEmpty()) {
            return Future.succeededFuture();
        }
        List<Long> now = List.copyOf(ids);
        return Future.all(now.stream().map(revoke::apply).toList()).onSuccess(f -> ids.removeAll(now)).mapEmpty();
    }

    /** Revokes every lease listed now, once, and forgets them whatever the outcome (on closing: the last try). */
    Future<Void> revokeAndForget() {
        Future<Void> all = revoke();
        ids.clear();
        return all;
    }
}
