package io.dsha.etcd;

import static io.dsha.etcd.Sync.await;
import static io.dsha.etcd.Sync.b;
import static io.dsha.etcd.Sync.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dsha.etcd.Compare.Result;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Keys, prefixes and transactions against one real etcd member. */
class EtcdKvTest {

    @RegisterExtension
    static final EtcdFixture etcd = new EtcdFixture(1, EtcdOptions.DEFAULT_REQUEST_TIMEOUT);

    @Test
    void aPutKeyIsReadBackWithItsRevisionsAndDeleted() {
        PutResult first = await(etcd.client.put(b("/kv/one"), b("1")));
        PutResult second = await(etcd.client.put(b("/kv/one"), b("2")));
        assertEquals(first.revision() + 1, second.revision());

        RangeResult read = await(etcd.client.range(b("/kv/one")));
        assertEquals(second.revision(), read.revision());
        assertEquals(1, read.count());
        KeyValue kv = read.first().orElseThrow();
        assertEquals(b("/kv/one"), kv.key());
        assertEquals("2", kv.value().utf8());
        assertEquals(first.revision(), kv.createRevision());
        assertEquals(second.revision(), kv.modRevision());
        assertEquals(2, kv.version());
        assertEquals(0, kv.lease());

        DeleteResult deleted = await(etcd.client.delete(b("/kv/one")));
        assertEquals(1, deleted.deleted());
        assertEquals(second.revision() + 1, deleted.revision());
        RangeResult gone = await(etcd.client.range(b("/kv/one")));
        assertTrue(gone.kvs().isEmpty(), "the gateway leaves kvs and count out of an empty answer: " + gone);
        assertEquals(0, gone.count());
        assertEquals(0, await(etcd.client.delete(b("/kv/one"))).deleted());
    }

    @Test
    void aPrefixReadsItsKeysInOrderAndNothingBeside() {
        await(etcd.client.put(b("/p/b"), b("B")));
        await(etcd.client.put(b("/p/a"), b("A")));
        await(etcd.client.put(b("/p/a/deeper"), b("D")));
        await(etcd.client.put(b("/p0"), b("beyond the prefix")));
        await(etcd.client.put(b("/o"), b("before it")));

        RangeResult under = await(etcd.client.rangePrefix(b("/p/")));
        assertEquals(List.of("/p/a", "/p/a/deeper", "/p/b"), under.kvs().stream().map(kv -> kv.key().utf8()).toList());
        assertEquals(3, under.count());
        assertFalse(under.more());

        assertEquals(3, await(etcd.client.deletePrefix(b("/p/"))).deleted());
        assertEquals(1, await(etcd.client.rangePrefix(b("/p"))).count());
    }

    @Test
    void valuesAreBytes() {
        byte[] raw = {0, (byte) 0xff, 10, 13, '"'};
        await(etcd.client.put(b("/bin"), Bytes.of(raw)));
        assertEquals(Bytes.of(raw), await(etcd.client.range(b("/bin"))).first().orElseThrow().value());
        await(etcd.client.put(b("/empty"), Bytes.EMPTY));
        KeyValue empty = await(etcd.client.range(b("/empty"))).first().orElseThrow();
        assertEquals(Bytes.EMPTY, empty.value());
    }

    @Test
    void ofManyConcurrentSwapsOnTheSameModRevisionExactlyOneSucceeds() {
        long rev = await(etcd.client.put(b("/cas"), b("start"))).revision();
        List<Future<TxnResult>> swaps = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            swaps.add(etcd.client.txn(List.of(Compare.modRevision(b("/cas"), Result.EQUAL, rev)), List.of(Op.put(b("/cas"), b("by " + i))),
                    List.of(Op.get(b("/cas")))));
        }
        await(Future.join(swaps));
        List<TxnResult> won = swaps.stream().map(Future::result).filter(TxnResult::succeeded).toList();
        assertEquals(1, won.size(), "exactly one swap wins");
        TxnResult winner = won.get(0);
        assertEquals(rev + 1, winner.revision());
        assertEquals(rev + 1, winner.put(0).revision());

        KeyValue now = await(etcd.client.range(b("/cas"))).first().orElseThrow();
        assertEquals(rev + 1, now.modRevision());
        for (Future<TxnResult> f : swaps) {
            TxnResult r = f.result();
            if (!r.succeeded()) {
                // the failure branch read the winner's value
                assertEquals(List.of(now), r.range(0).kvs(), "a failed swap read the winner's key: " + r);
            }
        }
    }

    @Test
    void aTransactionComparesValueVersionAndCreateRevisionAndReadsInsideBothBranches() {
        await(etcd.client.put(b("/t/k"), b("v1")));
        KeyValue kv = await(etcd.client.range(b("/t/k"))).first().orElseThrow();

        TxnResult ok = await(etcd.client.txn(List.of(Compare.value(b("/t/k"), Result.EQUAL, b("v1")), Compare.version(b("/t/k"), Result.EQUAL, 1),
                Compare.createRevision(b("/t/k"), Result.EQUAL, kv.createRevision()), Compare.createRevision(b("/t/absent"), Result.EQUAL, 0),
                Compare.modRevision(b("/t/k"), Result.LESS, kv.modRevision() + 1)),
                List.of(Op.get(b("/t/k")), Op.put(b("/t/k"), b("v2")), Op.delete(b("/t/absent")), Op.getPrefix(b("/t/"))), List.of()));
        assertTrue(ok.succeeded());
        assertEquals("v1", ok.range(0).first().orElseThrow().value().utf8());
        assertEquals(ok.revision(), ok.put(1).revision());
        assertEquals(0, ok.delete(2).deleted());
        assertEquals("v2", ok.range(3).first().orElseThrow().value().utf8());

        TxnResult no = await(etcd.client.txn(List.of(Compare.value(b("/t/k"), Result.NOT_EQUAL, b("v2"))), List.of(Op.delete(b("/t/k"))),
                List.of(Op.get(b("/t/k")))));
        assertFalse(no.succeeded(), "the gateway leaves succeeded out when false");
        assertEquals(ok.revision(), no.revision());
        assertEquals(1, no.responses().size());
        assertEquals(2, no.range(0).first().orElseThrow().version());
    }

    @Test
    void etcdsRefusalNamesTheEndpointAndSaysWhatEtcdSaid() {
        EtcdException e = failure(etcd.client.put(b("/leased"), b("x"), 1234567));
        assertEquals(EtcdException.NOT_FOUND, e.grpcCode());
        assertEquals(404, e.httpStatus());
        assertEquals("etcd at " + etcd.url() + " refused POST /v3/kv/put: etcdserver: requested lease not found"
                + " (HTTP 404, gRPC 5 NOT_FOUND)", e.getMessage());
        assertFalse(e.retriable());
    }
}
