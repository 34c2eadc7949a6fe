package io.dsha.etcd;

import static io.dsha.etcd.Sync.await;
import static io.dsha.etcd.Sync.b;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Elections on one real etcd member: one leader, its fence, resignation, a leader cut off from etcd, followers. */
class ElectionTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Duration POLL = Duration.ofMillis(20);

    @RegisterExtension
    static final EtcdFixture etcd = new EtcdFixture(1, Duration.ofSeconds(2));

    private Candidates candidates;

    private Candidates candidates(TestInfo test) {
        candidates = new Candidates(etcd.vertx, etcd.client.options(), etcd.client, b("/election/" + test.getTestMethod().orElseThrow().getName()));
        return candidates;
    }

    @AfterEach
    void close() {
        if (candidates != null) {
            candidates.close();
            candidates.assertNeverTwoLeaders();
        }
    }

    private Election settled(Candidates c) {
        return await().atMost(WAIT).pollInterval(POLL).until(() -> c.exclusive() ? c.settled() : Optional.<Election>empty(), Optional::isPresent)
                .orElseThrow();
    }

    /** Candidate 0, leading, then {@code followers} more that follow it. */
    private Election leaderThenFollowers(Candidates c, int followers) {
        Election first = c.add();
        await().atMost(WAIT).pollInterval(POLL).until(first::leading);
        for (int i = 0; i < followers; i++) {
            c.add();
        }
        assertEquals(first, settled(c));
        return first;
    }

    @Test
    void exactlyOneLeadsAndOnlyItsFenceLetsWritesThrough(TestInfo test) {
        Candidates c = candidates(test);
        for (int i = 0; i < 3; i++) {
            c.add();
        }
        Election leader = settled(c);
        // it stays so over several keep-alive periods and more than a ttl
        await().during(Duration.ofSeconds(3)).atMost(WAIT).pollInterval(Duration.ofMillis(100))
                .until(() -> c.exclusive() && c.settled().orElse(null) == leader);

        Fence fence = leader.fence().orElseThrow();
        assertEquals(fence.leaseId(), await(etcd.client.range(c.key)).first().orElseThrow().lease());
        assertEquals(fence.createRevision(), await(etcd.client.range(c.key)).first().orElseThrow().createRevision());
        assertTrue(await(etcd.client.txn(List.of(fence.compare()), List.of(Op.put(b("/data/one"), b("1"))), List.of())).succeeded());
        for (Election e : c.elections) {
            if (e != leader) {
                assertFalse(e.leading());
                assertEquals(Optional.empty(), e.fence());
                assertEquals(leader.leader(), e.leader());
            }
        }
        assertEquals(Role.Kind.LEADER, leader.role().kind());
    }

    @Test
    void whenTheLeaderResignsAnotherLeadsAtOnce(TestInfo test) {
        Candidates c = candidates(test);
        Election first = leaderThenFollowers(c, 1);
        Election second = c.elections.get(1);
        Fence old = first.fence().orElseThrow();

        long t0 = System.nanoTime();
        await(first.close());
        await().atMost(WAIT).pollInterval(Duration.ofMillis(1)).until(second::leading);
        long took = System.nanoTime() - t0;
        System.out.printf("resign -> new leader: %.1f ms%n", took / 1e6);
        assertTrue(took < Duration.ofMillis(1500).toNanos(), "took " + took / 1e6 + " ms");
        assertFalse(first.leading());
        assertEquals("closed", first.role().reason());
        assertEquals(-1, await(etcd.client.leaseTimeToLive(old.leaseId())), "the resigned leader's lease was revoked");
        assertFalse(await(etcd.client.txn(List.of(old.compare()), List.of(Op.put(b("/data/resign"), b("old"))), List.of())).succeeded());
        assertTrue(await(etcd.client.txn(List.of(second.fence().orElseThrow().compare()), List.of(Op.put(b("/data/resign"), b("new"))), List.of()))
                .succeeded());
    }

    @Test
    void aLeaderCutOffFromEtcdStepsDownBeforeItsLeaseEndsAndItsFenceFails(TestInfo test) {
        Candidates c = candidates(test);
        Election a = leaderThenFollowers(c, 1);
        Election b = c.elections.get(1);
        Fence old = a.fence().orElseThrow();
        Bytes data = b("/data/" + test.getTestMethod().orElseThrow().getName());

        int mark = c.log.size();
        long t0 = System.nanoTime();
        a.cutOffForTest(true); // no keep-alive reaches etcd from here on, and a does not know
        await().atMost(WAIT).pollInterval(POLL).until(() -> c.exclusive() && !a.leading());
        long localStepDown = System.nanoTime() - t0;
        await().atMost(WAIT).pollInterval(POLL).until(() -> c.exclusive() && b.leading());
        long takeover = System.nanoTime() - t0;
        System.out.printf("cut off: local step-down %.0f ms, new leader %.0f ms%n", localStepDown / 1e6, takeover / 1e6);

        int down = c.indexOf(0, Role.Kind.CANDIDATE, mark);
        int up = c.indexOf(1, Role.Kind.LEADER, mark);
        assertTrue(down >= 0 && up > down, "a stepped down before b led: " + c.log);
        Candidates.Change stepped = c.log.get(down);
        assertTrue(stepped.role().reason().startsWith("lease lost: no keep-alive for "), stepped.toString());
        assertTrue(stepped.at() - t0 < Candidates.TTL.toNanos(), "a stepped down " + (stepped.at() - t0) / 1e6 + " ms after its last renewal");

        // the old leader's late write is fenced off; the key is b's
        TxnResult late = await(etcd.client.txn(List.of(old.compare()), List.of(Op.put(data, b("stale"))), List.of(Op.get(c.key))));
        assertFalse(late.succeeded());
        KeyValue now = late.range(0).first().orElseThrow();
        assertEquals(b.fence().orElseThrow().createRevision(), now.createRevision());
        assertEquals(Candidates.value(1), now.value());
        assertTrue(now.createRevision() > old.createRevision());
        assertTrue(await(etcd.client.range(data)).kvs().isEmpty(), "nothing written under the old fence");
        assertEquals(-1, await(etcd.client.leaseTimeToLive(old.leaseId())), "a's lease expired");

        a.cutOffForTest(false);
        await().atMost(WAIT).pollInterval(POLL).until(() -> c.exclusive() && c.settled().orElse(null) == b);
        assertEquals(Optional.of(Candidates.value(1)), a.leader());
    }

    @Test
    void aLeaderPastItsDeadlineByTheClockSaysNoAtOnceThenWinsANewTerm(TestInfo test) {
        Candidates c = candidates(test);
        AtomicLong skew = new AtomicLong();
        Election a = c.add(() -> System.nanoTime() + skew.get()); // as if its loop were frozen that long: no timer ran
        await().atMost(WAIT).pollInterval(POLL).until(a::leading);
        Fence old = a.fence().orElseThrow();

        skew.addAndGet(Candidates.TTL.toNanos() * 3 / 4);
        assertFalse(a.leading(), "no timer needed: the accessors read the clock");
        assertEquals(Optional.empty(), a.fence());
        assertEquals(Role.Kind.CANDIDATE, a.role().kind());

        // its deadline timer then steps it down, it revokes its old lease (the key goes at once) and wins a new term
        await().atMost(WAIT).pollInterval(POLL).until(() -> a.fence().map(f -> f.createRevision() > old.createRevision()).orElse(false));
        assertTrue(c.log.stream().anyMatch(ch -> ch.role().reason().startsWith("lease lost: no keep-alive for ")), c.log.toString());
        assertEquals(-1, await(etcd.client.leaseTimeToLive(old.leaseId())), "the old term's lease was revoked");
        assertFalse(await(etcd.client.txn(List.of(old.compare()), List.of(Op.put(b("/data/skew"), b("old"))), List.of())).succeeded());
    }

    @Test
    void aFollowerKnowsTheLeaderAndHearsOfItsChanges(TestInfo test) {
        Candidates c = candidates(test);
        Election a = leaderThenFollowers(c, 2);
        Election b = c.elections.get(1);
        Election third = c.elections.get(2);
        assertEquals(Optional.of(Candidates.value(0)), b.leader());
        assertEquals(Optional.of(Candidates.value(0)), third.leader());
        assertTrue(c.log.stream().anyMatch(ch -> ch.who() == 1 && ch.role().kind() == Role.Kind.FOLLOWER
                && ch.role().leader().equals(Optional.of(Candidates.value(0)))), c.log.toString());

        // the leader moves (a new URL), writing under its fence: the followers hear of it
        Fence f = a.fence().orElseThrow();
        Bytes moved = b("{\"id\":\"cp-0\",\"url\":\"http://10.0.1.0:8080\"}");
        assertTrue(await(etcd.client.txn(List.of(f.compare()), List.of(Op.put(c.key, moved, f.leaseId())), List.of())).succeeded());
        await().atMost(WAIT).pollInterval(POLL).until(() -> b.leader().equals(Optional.of(moved)) && third.leader().equals(Optional.of(moved)));
        assertTrue(a.leading(), "a put that keeps the create revision keeps the term");

        // a resigns: the follower left hears who leads now
        AtomicInteger heard = new AtomicInteger();
        await(a.close());
        Election next = await().atMost(WAIT).pollInterval(POLL).until(() -> c.leading().stream().findFirst(), Optional::isPresent).orElseThrow();
        Election other = next == b ? third : b;
        int who = next == b ? 1 : 2;
        await().atMost(WAIT).pollInterval(POLL).until(() -> other.leader().equals(Optional.of(Candidates.value(who))));
        c.log.stream().filter(ch -> ch.who() == (who == 1 ? 2 : 1) && ch.role().leader().equals(Optional.of(Candidates.value(who))))
                .forEach(ch -> heard.incrementAndGet());
        assertTrue(heard.get() > 0, c.log.toString());
    }
}
