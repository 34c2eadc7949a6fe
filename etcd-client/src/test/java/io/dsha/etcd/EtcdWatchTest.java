package io.dsha.etcd;

import static io.dsha.etcd.Sync.await;
import static io.dsha.etcd.Sync.b;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dsha.etcd.WatchEvent.Type;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Watches against one real etcd member: order, replay from a revision, cancel, compaction. */
class EtcdWatchTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @RegisterExtension
    static final EtcdFixture etcd = new EtcdFixture(1, Duration.ofSeconds(2));

    @Test
    void aWatchFromARevisionSeesEveryEventAfterItInOrder() {
        long before = await(etcd.client.put(b("/w1/a"), b("0"))).revision();
        List<String> expected = new ArrayList<>();
        for (int i = 1; i <= 20; i++) {
            await(etcd.client.put(b("/w1/k" + (i % 3)), b(Integer.toString(i))));
            expected.add(Integer.toString(i));
        }
        await(etcd.client.put(b("/w10"), b("outside the prefix")));
        Watcher w = Watcher.start(etcd.client, b("/w1/"), before + 1, false);
        await(w.current().created());

        // more while watching: a delete and a transaction that writes two keys at one revision
        await(etcd.client.delete(b("/w1/a")));
        TxnResult two = await(etcd.client.txn(List.of(), List.of(Op.put(b("/w1/x"), b("21")), Op.put(b("/w1/y"), b("22"))), List.of()));
        expected.addAll(List.of("", "21", "22"));

        await().atMost(WAIT).until(() -> w.events.size() >= expected.size());
        assertEquals(expected, w.values());
        long last = before;
        for (WatchEvent e : w.events) {
            assertTrue(e.kv().modRevision() >= last + (e.kv().modRevision() == two.revision() ? 0 : 1), "in revision order: " + w.events);
            assertTrue(e.revision() >= e.kv().modRevision());
            last = e.kv().modRevision();
        }
        WatchEvent deleted = w.events.get(20);
        assertEquals(Type.DELETE, deleted.type());
        assertEquals(b("/w1/a"), deleted.kv().key());
        assertEquals(Type.PUT, w.events.get(21).type());
        assertEquals(two.revision(), w.events.get(21).kv().modRevision());
        assertEquals(two.revision(), w.events.get(22).kv().modRevision());
        assertEquals(two.revision() + 1, w.current().nextRevision());
        assertEquals(etcd.url(), w.current().endpoint());

        w.cancel();
        await(etcd.client.put(b("/w1/after"), b("not seen")));
        await().atMost(WAIT).until(() -> w.current().ended());
        assertEquals(expected.size(), w.events.size());
        assertTrue(w.ends.isEmpty(), "a cancelled watch hears no end: " + w.ends);
    }

    @Test
    void aWatchFromNowSeesOnlyWhatComesAfterItWasCreated() {
        await(etcd.client.put(b("/w2/old"), b("old")));
        Watcher w = Watcher.start(etcd.client, b("/w2/"), 0, false);
        await(w.current().created());
        long created = w.current().nextRevision() - 1;
        long rev = await(etcd.client.put(b("/w2/new"), b("new"))).revision();
        assertEquals(created + 1, rev);
        await().atMost(WAIT).until(() -> w.events.size() == 1);
        assertEquals(List.of("new"), w.values());
        assertEquals(rev + 1, w.current().nextRevision());
        w.cancel();
    }

    @Test
    void aWatchFromACompactedRevisionIsReportedAsCompacted() {
        long first = await(etcd.client.put(b("/w3/k"), b("1"))).revision();
        await(etcd.client.put(b("/w3/k"), b("2")));
        long compactAt = await(etcd.client.put(b("/w3/k"), b("3"))).revision();
        await(etcd.client.compact(compactAt));

        Watcher w = Watcher.start(etcd.client, b("/w3/"), first, false);
        await().atMost(WAIT).until(() -> !w.ends.isEmpty());
        EtcdCompactedException compacted = assertInstanceOf(EtcdCompactedException.class, w.ends.get(0));
        assertEquals(compactAt, compacted.compactRevision());
        assertTrue(compacted.getMessage().contains(etcd.url()), compacted.getMessage());
        assertTrue(w.events.isEmpty());

        // what the caller does then: read again, watch from the read's revision + 1
        RangeResult now = await(etcd.client.rangePrefix(b("/w3/")));
        assertEquals("3", now.first().orElseThrow().value().utf8());
        Watcher again = Watcher.start(etcd.client, b("/w3/"), now.revision() + 1, false);
        await(again.current().created());
        await(etcd.client.put(b("/w3/k"), b("4")));
        await().atMost(WAIT).until(() -> again.values().equals(List.of("4")));
        again.cancel();
    }

    @Test
    void aWatchOnAnEndpointThatIsNotThereEndsSayingSo() {
        EtcdClient nowhere = new EtcdClient(etcd.vertx, EtcdOptions.of("http://127.0.0.1:" + FreePort.closed()).withRequestTimeout(Duration.ofSeconds(2)));
        try {
            Watcher w = Watcher.start(nowhere, b("/w4/"), 1, false);
            await().atMost(WAIT).until(() -> !w.ends.isEmpty());
            String message = w.ends.get(0).getMessage();
            assertTrue(message.startsWith("etcd at " + nowhere.endpoint() + " did not answer POST /v3/watch: "), message);
            assertTrue(w.current().created().failed());
        } finally {
            await(nowhere.close());
        }
    }
}
