package io.dsha.etcd;

import static io.dsha.etcd.Sync.await;
import static io.dsha.etcd.Sync.b;
import static io.dsha.etcd.Sync.failure;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dsha.etcd.Compare.Result;
import io.dsha.etcdproc.EtcdCluster;
import io.dsha.etcdproc.EtcdMember;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A client of three real members while members crash, freeze and lose their quorum. */
class EtcdFailoverTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    private static final Duration WAIT = Duration.ofSeconds(60);

    private EtcdFixture fixture;
    private EtcdCluster etcd;
    private EtcdClient client;
    private Vertx vertx;

    private void startCluster() {
        fixture = new EtcdFixture(3, TIMEOUT).start();
        etcd = fixture.cluster;
        client = fixture.client;
        vertx = fixture.vertx;
    }

    @AfterEach
    void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    /** Creates {@code key} once: a retry of a create that was applied before its answer was lost finds the key there. */
    private Future<Void> createOnce(Bytes key, Bytes value) {
        return client.txn(List.of(Compare.createRevision(key, Result.EQUAL, 0)), List.of(Op.put(key, value)), List.of()).mapEmpty();
    }

    /** Creates {@code /r/0000} to {@code /r/NNNN} one after the other, each until it was done, whatever fails meanwhile. */
    private Future<Void> writeInTurn(int count) {
        Promise<Void> done = Promise.promise();
        vertx.runOnContext(v -> write(0, count, done));
        return done.future();
    }

    private void write(int i, int count, Promise<Void> done) {
        if (i == count) {
            done.complete();
            return;
        }
        createOnce(b(String.format("/r/%04d", i)), b(Integer.toString(i))).onComplete(ar -> {
            if (ar.succeeded()) {
                write(i + 1, count, done);
            } else {
                vertx.setTimer(100, t -> write(i, count, done));
            }
        });
    }

    @Test
    void aWatchWhoseMemberIsKilledResumesOnAnotherEndpointAndMissesNothing() {
        startCluster();
        long from = await(client.put(b("/r-start"), b("x"))).revision() + 1;
        Watcher w = Watcher.start(client, b("/r/"), from, true);
        await(w.current().created());
        String first = w.current().endpoint();

        int count = 200;
        Future<Void> writing = writeInTurn(count);
        await().atMost(WAIT).until(() -> w.events.size() >= count / 4);
        etcd.memberAt(first).kill();

        await(writing);
        await().atMost(WAIT).until(() -> w.events.size() >= count);
        assertEquals(IntStream.range(0, count).mapToObj(Integer::toString).toList(), w.values(), "every event once, in order");
        assertFalse(w.ends.isEmpty());
        String why = w.ends.get(0).getMessage();
        assertTrue(why.contains(first), why);
        assertTrue(w.endpoints.size() >= 2 && !w.endpoints.get(w.endpoints.size() - 1).equals(first), "moved on: " + w.endpoints);
        assertNotEquals(first, client.endpoint().toString());
        w.cancel();
    }

    @Test
    void aFrozenMemberIsPassedOverAndItsWatchEndsForAnotherEndpoint() {
        startCluster();
        Watcher w = Watcher.start(client, b("/f/"), 0, true);
        await(w.current().created());
        EtcdMember frozen = etcd.memberAt(w.current().endpoint());
        frozen.pause();
        try {
            // its first try waits a request timeout on the frozen member; then a new leader may still be in the making
            await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(() -> createOnce(b("/f/a"), b("a")).toCompletionStage()
                    .handle((ok, failed) -> failed == null).toCompletableFuture().join());
            assertNotEquals(frozen.clientUrl(), client.endpoint().toString());

            await().atMost(WAIT).until(() -> w.values().equals(List.of("a")));
            String why = w.ends.get(0).getMessage();
            assertTrue(why.startsWith("etcd at " + frozen.clientUrl() + " stopped answering while watching: "), why);

            List<MemberStatus> status = await(client.status());
            MemberStatus silent = status.stream().filter(s -> s.endpoint().toString().equals(frozen.clientUrl())).findFirst().orElseThrow();
            assertFalse(silent.answered());
            assertTrue(silent.error().orElseThrow().contains(frozen.clientUrl()), silent.error().orElseThrow());
            assertEquals(1, status.stream().filter(MemberStatus::leader).count(), "the other two have a leader: " + status);
        } finally {
            frozen.resume();
        }
        frozen.awaitHealthy(WAIT);
        w.cancel();
    }

    @Test
    void everyEndpointSaysItsMemberLeaderTermAndSizeAndHealth() {
        startCluster();
        List<MemberStatus> status = await(client.status());
        assertEquals(etcd.clientUrls(), status.stream().map(s -> s.endpoint().toString()).toList());
        assertTrue(status.stream().allMatch(MemberStatus::answered), status.toString());
        assertEquals(1, status.stream().filter(MemberStatus::leader).count(), status.toString());
        assertEquals(1, status.stream().map(MemberStatus::leaderId).distinct().count(), "one leader known to all: " + status);
        assertEquals(3, status.stream().map(MemberStatus::memberId).distinct().count());
        for (MemberStatus s : status) {
            assertTrue(s.raftTerm() > 0 && s.raftIndex() > 0 && s.dbSize() > 0 && s.dbSizeInUse() > 0, s.toString());
            assertTrue(s.version().startsWith("3."), s.version());
        }
        assertTrue(await(client.health()).stream().allMatch(EndpointHealth::healthy));

        EtcdMember dead = etcd.member(1);
        dead.kill();
        // the two others are healthy again once they have a leader (the dead member may have been it)
        await().atMost(WAIT).until(() -> {
            List<EndpointHealth> h = await(client.health());
            return h.get(0).healthy() && h.get(2).healthy();
        });
        List<EndpointHealth> health = await(client.health());
        assertFalse(health.get(1).healthy());
        assertTrue(health.get(1).error().orElseThrow().startsWith("etcd at " + dead.clientUrl() + " did not answer GET /health: "),
                health.get(1).error().orElseThrow());
        assertFalse(await(client.status()).get(1).answered());

        dead.restart();
        dead.awaitHealthy(WAIT);
        await().atMost(WAIT).until(() -> await(client.status()).stream().allMatch(MemberStatus::answered));
    }

    @Test
    void aMemberWithoutQuorumRefusesAtOnceAndEndsItsWatches() {
        startCluster();
        Watcher w = Watcher.start(client, b("/q/"), 0, false);
        await(w.current().created());
        EtcdMember alone = etcd.memberAt(w.current().endpoint());
        etcd.members().stream().filter(m -> m != alone).forEach(EtcdMember::kill);

        await().atMost(WAIT).until(() -> !w.ends.isEmpty());
        String why = w.ends.get(0).getMessage();
        assertTrue(why.contains(alone.clientUrl()) && why.contains("no leader"), why);

        await().atMost(WAIT).until(() -> client.range(b("/q/x")).toCompletionStage().handle((ok, failed) -> failed != null
                && failed.getMessage().contains("etcdserver: no leader")).toCompletableFuture().join());
        EtcdException e = failure(client.put(b("/q/x"), b("x")));
        for (String url : etcd.clientUrls()) {
            assertTrue(e.getMessage().contains("etcd at " + url), e.getMessage());
        }
    }

    @Test
    void withNoEndpointAnsweringTheErrorNamesEachAndWhy() {
        String a = "http://127.0.0.1:" + FreePort.closed();
        String c = "http://127.0.0.1:" + FreePort.closed();
        Vertx alone = Vertx.vertx();
        try {
            EtcdException e = failure(new EtcdClient(alone, EtcdOptions.of(a, c).withRequestTimeout(TIMEOUT)).range(b("/k")));
            assertTrue(e.getMessage().startsWith("no etcd endpoint answered POST /v3/kv/range: etcd at " + a + " did not answer POST /v3/kv/range: "),
                    e.getMessage());
            assertTrue(e.getMessage().contains("; etcd at " + c + " did not answer POST /v3/kv/range: "), e.getMessage());
            assertTrue(e.retriable());
        } finally {
            await(alone.close());
        }
    }
}
