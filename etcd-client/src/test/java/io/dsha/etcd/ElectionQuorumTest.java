package io.dsha.etcd;

import static io.dsha.etcd.Sync.b;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dsha.etcdproc.EtcdMember;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** An election on three real members that lose their quorum and get it back. */
class ElectionQuorumTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final Duration POLL = Duration.ofMillis(20);

    private EtcdFixture fixture;
    private Candidates candidates;

    @AfterEach
    void stop() {
        try {
            if (candidates != null) {
                candidates.close();
                candidates.assertNeverTwoLeaders();
            }
        } finally {
            if (fixture != null) {
                fixture.close();
            }
        }
    }

    @Test
    void withoutQuorumTheLeaderStepsDownByItsDeadlineAndOneLeadsAgainOnceItIsBack() {
        fixture = new EtcdFixture(3, Duration.ofSeconds(1)).start();
        Candidates c = candidates = new Candidates(fixture.vertx, fixture.client.options(), fixture.client, b("/election/quorum"));
        c.add();
        c.add();
        Election leader = await().atMost(WAIT).pollInterval(POLL).until(() -> c.exclusive() ? c.settled() : Optional.<Election>empty(),
                Optional::isPresent).orElseThrow();
        int who = c.elections.indexOf(leader);

        int mark = c.log.size();
        long t0 = System.nanoTime();
        List<EtcdMember> killed = List.of(fixture.cluster.member(1), fixture.cluster.member(2));
        killed.forEach(EtcdMember::kill);
        await().atMost(WAIT).pollInterval(POLL).until(() -> !leader.leading());
        // leading() reads the clock: it says no at the deadline; the listeners hear it when the deadline's timer runs
        await().atMost(WAIT).pollInterval(POLL).until(() -> c.indexOf(who, Role.Kind.CANDIDATE, mark) >= 0);
        int down = c.indexOf(who, Role.Kind.CANDIDATE, mark);
        assertTrue(down >= 0, c.log.toString());
        Candidates.Change stepped = c.log.get(down);
        System.out.printf("quorum lost: local step-down after %.0f ms (%s)%n", (stepped.at() - t0) / 1e6, stepped.role().reason());
        // By its own deadline, ttl - ttl/4 after it sent the last keep-alive that succeeded. That may come after the
        // kill: a raft leader left alone serves lease renewals (no raft round) until it notices, within two election
        // timeouts (2 s here), that it lost its quorum; the next leader extends every lease anyway, so that is safe.
        String reason = stepped.role().reason();
        assertTrue(reason.matches("lease lost: no keep-alive for \\d+\\.\\d s"), reason);
        double since = Double.parseDouble(reason.replaceAll("[^0-9.]", ""));
        assertTrue(since >= 1.5 && since < Candidates.TTL.toSeconds(), reason);
        assertTrue(stepped.at() - t0 < Candidates.TTL.plusSeconds(2).toNanos(), "stepped down " + (stepped.at() - t0) / 1e6 + " ms after the kill");

        // nobody leads while etcd has no quorum, and both say why
        await().atMost(WAIT).pollInterval(POLL).until(() -> c.elections.stream().allMatch(e -> e.role().kind() == Role.Kind.CANDIDATE
                && e.role().reason().startsWith("etcd unreachable")));
        assertTrue(c.leading().isEmpty());

        long t1 = System.nanoTime();
        killed.forEach(EtcdMember::restart);
        await().atMost(WAIT).pollInterval(POLL).until(() -> c.exclusive() && c.settled().isPresent());
        System.out.printf("quorum back: a leader %.0f ms after the restart began%n", (System.nanoTime() - t1) / 1e6);
    }
}
