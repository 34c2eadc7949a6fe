package io.dsha.etcd;

import static io.dsha.etcd.Sync.await;
import static io.dsha.etcd.Sync.b;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A key held with a lease of its own on one real etcd member: while alive, after close, revoke, a crash, a pause. */
class LeasedKeyTest {

    /** etcd's shortest TTL with the default election timeout (1 s) is 2 s. */
    private static final Duration TTL = Duration.ofSeconds(2);
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Duration POLL = Duration.ofMillis(20);

    @RegisterExtension
    static final EtcdFixture etcd = new EtcdFixture(1, Duration.ofSeconds(2));

    private final List<LeasedKey> holders = new ArrayList<>();
    private Bytes key;

    private LeasedKey hold(EtcdClient client, String value) {
        LeasedKey k = new LeasedKey(client, key, b(value), TTL);
        holders.add(k);
        k.start();
        return k;
    }

    private static Optional<KeyValue> read(Bytes key) {
        return await(etcd.client.range(key)).first();
    }

    @AfterEach
    void close() {
        for (LeasedKey k : holders) {
            k.close().otherwiseEmpty().toCompletionStage().toCompletableFuture().join();
        }
    }

    @BeforeEach
    void key(TestInfo test) {
        key = b("/leased/" + test.getTestMethod().orElseThrow().getName());
    }

    /** A holder of {@code key} on {@code client}, once it holds it. */
    private LeasedKey held(EtcdClient client, String value) {
        LeasedKey k = hold(client, value);
        await().atMost(WAIT).pollInterval(POLL).until(k::held);
        return k;
    }

    @Test
    void theKeyIsThereWhileHeldAndGoneAtOnceAfterClose() {
        LeasedKey k = held(etcd.client, "one");
        KeyValue kv = read(key).orElseThrow();
        assertEquals("one", kv.value().utf8());
        assertNotEquals(0, kv.lease());

        // Held over more than two ttls: the keep-alives renew the same lease, the key is never created anew.
        await().during(Duration.ofMillis(2 * TTL.toMillis() + 500)).atMost(WAIT).pollInterval(Duration.ofMillis(100))
                .until(() -> k.held() && read(key).map(KeyValue::createRevision).orElse(-1L) == kv.createRevision());

        await(k.close());
        assertTrue(read(key).isEmpty(), "the lease was revoked with its key");
        assertEquals(LeasedKey.State.CLOSED, k.status().state());
        assertEquals(-1, await(etcd.client.leaseTimeToLive(kv.lease())));
    }

    @Test
    void aLeaseRevokedBehindItsBackIsReplacedAndTheKeyComesBack() {
        LeasedKey k = held(etcd.client, "two");
        long old = read(key).orElseThrow().lease();

        assertTrue(await(etcd.client.leaseRevoke(old)));
        assertTrue(read(key).isEmpty());

        // The next keep-alive (within ttl/3) hears TTL 0: a fresh lease, the key anew.
        await().atMost(WAIT).pollInterval(POLL).until(() -> read(key).map(kv -> kv.lease() != old).orElse(false));
        await().atMost(WAIT).pollInterval(POLL).until(k::held);
        assertEquals("two", read(key).orElseThrow().value().utf8());
    }

    @Test
    void theKeyGoesAboutATtlAfterItsHolderDies() {
        // The holder's own client, closed without a word to etcd, as a kill -9 would.
        EtcdClient doomed = new EtcdClient(etcd.vertx, etcd.client.options());
        LeasedKey k = held(doomed, "three");

        await(doomed.close());
        long t0 = System.nanoTime();
        await().atMost(TTL.multipliedBy(3)).pollInterval(POLL).until(() -> read(key).isEmpty());
        long took = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("holder gone -> key gone: %d ms (ttl %d ms)%n", took, TTL.toMillis());
        assertTrue(took < TTL.toMillis() + 1500, "took " + took + " ms");
    }

    @Test
    void aSecondHolderOfTheSameKeyDoesNotOverwriteItAndTakesOverWhenTheFirstCloses() {
        LeasedKey first = held(etcd.client, "first");
        KeyValue firstKv = read(key).orElseThrow();

        LeasedKey second = hold(etcd.client, "second");
        await().atMost(WAIT).pollInterval(POLL).until(() -> second.status().state() == LeasedKey.State.TAKEN);
        assertEquals("first", second.status().holder().orElseThrow().value().utf8());
        assertTrue(second.status().reason().contains("first"), second.status().reason());
        // Several retries later the first one's key is untouched.
        await().during(Duration.ofMillis(1500)).atMost(WAIT).pollInterval(Duration.ofMillis(100))
                .until(() -> read(key).orElseThrow().equals(firstKv) && second.status().state() == LeasedKey.State.TAKEN);

        await(first.close());
        await().atMost(WAIT).pollInterval(POLL).until(second::held);
        assertEquals("second", read(key).orElseThrow().value().utf8());
    }

    @Test
    void afterEtcdWasUnreachableForLongerThanTheTtlItRegistersAnew() {
        LeasedKey k = held(etcd.client, "four");
        long old = read(key).orElseThrow().lease();

        etcd.cluster.member(0).pause();
        try {
            await().atMost(WAIT).pollInterval(POLL).until(() -> k.status().state() == LeasedKey.State.REGISTERING);
            assertTrue(k.status().reason().contains("no keep-alive answered"), k.status().toString());
        } finally {
            etcd.cluster.member(0).resume();
        }
        await().atMost(WAIT).pollInterval(POLL).until(() -> k.held() && read(key).map(kv -> kv.lease() != old).orElse(false));
        assertEquals(-1, await(etcd.client.leaseTimeToLive(old)), "the lost lease was revoked");
    }

    @Test
    void aTtlThatIsNotWholeSecondsIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new LeasedKey(etcd.client, b("/leased/bad"), b("x"), Duration.ofMillis(1500)));
        assertEquals("ttl: PT1.5S (expected: whole seconds, at least 1 s: etcd's leases count seconds)", e.getMessage());
    }
}
