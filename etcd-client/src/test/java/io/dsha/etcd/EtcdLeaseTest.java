package io.dsha.etcd;

import static io.dsha.etcd.Sync.await;
import static io.dsha.etcd.Sync.b;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dsha.etcd.Compare.Result;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Leases, their expiry, and the fencing of a leader's writes by its key's lease and create revision. */
class EtcdLeaseTest {

    /** etcd's shortest TTL with the default election timeout (1 s) is 2 s (1.5 election timeouts, rounded up). */
    private static final long TTL = 2;
    private static final Duration EXPIRY = Duration.ofSeconds(20);

    @RegisterExtension
    static final EtcdFixture etcd = new EtcdFixture(1, EtcdOptions.DEFAULT_REQUEST_TIMEOUT);

    @Test
    void aLeaseIsRenewedByAKeepAliveAndItsKeysGoWhenRevoked() {
        LeaseGrant lease = await(etcd.client.leaseGrant(30));
        assertNotEquals(0, lease.id());
        assertEquals(30, lease.ttlSeconds());
        await(etcd.client.put(b("/lease/held"), b("x"), lease.id()));
        assertEquals(lease.id(), await(etcd.client.range(b("/lease/held"))).first().orElseThrow().lease());

        assertEquals(30, await(etcd.client.leaseKeepAliveOnce(lease.id())));
        long left = await(etcd.client.leaseTimeToLive(lease.id()));
        assertTrue(left > 0 && left <= 30, "time to live " + left);

        assertTrue(await(etcd.client.leaseRevoke(lease.id())));
        assertTrue(await(etcd.client.range(b("/lease/held"))).kvs().isEmpty(), "revoking deletes the lease's keys");
        assertFalse(await(etcd.client.leaseRevoke(lease.id())), "a lease revoked twice is gone, not an error");
        assertEquals(0, await(etcd.client.leaseKeepAliveOnce(lease.id())), "a gone lease's keep-alive answers no TTL");
        assertEquals(-1, await(etcd.client.leaseTimeToLive(lease.id())));
    }

    @Test
    void anExpiredLeaseTakesItsKeysWithIt() {
        LeaseGrant lease = await(etcd.client.leaseGrant(TTL));
        await(etcd.client.put(b("/lease/expiring"), b("x"), lease.id()));
        await(etcd.client.put(b("/lease/kept"), b("y")));

        await().atMost(EXPIRY).pollInterval(Duration.ofMillis(200))
                .until(() -> await(etcd.client.range(b("/lease/expiring"))).kvs().isEmpty());
        assertEquals(0, await(etcd.client.leaseKeepAliveOnce(lease.id())), "too late to renew");
        assertEquals(1, await(etcd.client.range(b("/lease/kept"))).count());
    }

    @Test
    void aLeadersWritesAreFencedByItsKeysLeaseAndCreateRevision() {
        Bytes leaderKey = b("/fence/leader");
        LeaseGrant mine = await(etcd.client.leaseGrant(TTL));
        TxnResult elected = await(etcd.client.txn(List.of(Compare.createRevision(leaderKey, Result.EQUAL, 0)),
                List.of(Op.put(leaderKey, b("me"), mine.id())), List.of(Op.get(leaderKey))));
        assertTrue(elected.succeeded(), "the leader key was free");
        long term = elected.revision();
        List<Compare> stillLeader = List.of(Compare.createRevision(leaderKey, Result.EQUAL, term), Compare.lease(leaderKey, Result.EQUAL, mine.id()));

        assertTrue(await(etcd.client.txn(stillLeader, List.of(Op.put(b("/fence/data"), b("1"))), List.of())).succeeded());
        assertTrue(await(etcd.client.leaseKeepAliveOnce(mine.id())) > 0);

        // No more keep-alives: the lease expires and the leader key goes with it.
        await().atMost(EXPIRY).pollInterval(Duration.ofMillis(200)).until(() -> await(etcd.client.range(leaderKey)).kvs().isEmpty());
        TxnResult fenced = await(etcd.client.txn(stillLeader, List.of(Op.put(b("/fence/data"), b("2"))), List.of(Op.get(leaderKey))));
        assertFalse(fenced.succeeded(), "a write guarded by an expired leadership is refused");
        assertTrue(fenced.range(0).kvs().isEmpty());

        // Another candidate takes over: its key has a new create revision, so the old guard keeps failing.
        LeaseGrant theirs = await(etcd.client.leaseGrant(30));
        assertTrue(await(etcd.client.txn(List.of(Compare.createRevision(leaderKey, Result.EQUAL, 0)), List.of(Op.put(leaderKey, b("them"), theirs.id())),
                List.of())).succeeded());
        assertFalse(await(etcd.client.txn(List.of(Compare.createRevision(leaderKey, Result.EQUAL, term)), List.of(Op.put(b("/fence/data"), b("3"))),
                List.of())).succeeded());
        assertFalse(await(etcd.client.txn(List.of(Compare.lease(leaderKey, Result.EQUAL, mine.id())), List.of(Op.put(b("/fence/data"), b("3"))),
                List.of())).succeeded());
        assertEquals("1", await(etcd.client.range(b("/fence/data"))).first().orElseThrow().value().utf8());
        assertTrue(await(etcd.client.leaseRevoke(theirs.id())));
    }
}
