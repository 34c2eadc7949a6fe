package io.dsha.etcdproc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class EtcdClusterTest {

    /** Skipped where etcd is missing, unless all tests must run (CI): then start fails, saying how to install it. */
    @BeforeAll
    static void etcdInstalled() {
        Assumptions.assumeTrue(EtcdCluster.etcd().isPresent() || "1".equals(System.getenv("DSHA_REQUIRE_ALL_TESTS")),
                "needs " + EtcdCluster.WHAT + ": " + EtcdCluster.HOW_TO_GET);
    }

    @Test
    void freePortsAreDistinct() {
        int[] ports = EtcdCluster.freePorts(6);
        assertEquals(6, Arrays.stream(ports).distinct().count());
    }

    @Test
    void aMemberCanBeFrozenThawedKilledAndRestartedAndCloseLeavesNothing() {
        Path dir;
        EtcdMember m;
        long firstPid;
        try (EtcdCluster etcd = EtcdCluster.start(1)) {
            dir = etcd.dir();
            m = etcd.member(0);
            assertTrue(m.healthy());
            assertNotEquals(m.clientPort(), m.peerPort());
            assertTrue(Files.isDirectory(m.dataDir()));
            firstPid = m.pid();

            m.pause();
            assertFalse(m.healthy(), "a frozen member does not answer");
            m.resume();
            m.awaitHealthy(Duration.ofSeconds(30));

            m.kill();
            assertFalse(m.alive());
            assertFalse(m.healthy());
            m.restart();
            m.awaitHealthy(Duration.ofSeconds(30));
            assertNotEquals(firstPid, m.pid());
            assertTrue(m.output().contains("restarting local member"), "the output is kept across restarts: " + m.tail());
        }
        assertFalse(m.alive());
        assertFalse(Files.exists(dir), "close deletes the data");
    }

    @Test
    void threeMembersFormOneCluster() {
        try (EtcdCluster etcd = EtcdCluster.start(3)) {
            assertEquals(3, etcd.clientUrls().stream().distinct().count());
            assertTrue(etcd.members().stream().allMatch(EtcdMember::healthy));
            assertEquals(etcd.member(2), etcd.memberAt(etcd.member(2).clientUrl() + "/"));
        }
    }
}
