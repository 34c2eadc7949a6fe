package io.dsha.etcd;

import static io.dsha.etcd.Sync.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** An endpoint's status and health, bounded in time: a frozen member is reported, not waited for. */
class EtcdStatusTest {

    /** Far longer than the bound below: only the bound can end the wait for a frozen member. */
    @RegisterExtension
    static final EtcdFixture etcd = new EtcdFixture(1, Duration.ofSeconds(30));

    @Test
    void aFrozenMemberIsReportedWithinTheBound() {
        List<MemberStatus> status = await(etcd.client.status(Duration.ofSeconds(2)));
        assertTrue(status.get(0).answered(), status.toString());
        assertTrue(status.get(0).leader(), "one member leads itself: " + status);
        assertTrue(await(etcd.client.health(Duration.ofSeconds(2))).get(0).healthy());

        etcd.cluster.member(0).pause();
        try {
            long t0 = System.nanoTime();
            MemberStatus frozen = await(etcd.client.status(Duration.ofMillis(300))).get(0);
            EndpointHealth sick = await(etcd.client.health(Duration.ofMillis(300))).get(0);
            long took = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(took < 2000, "took " + took + " ms");
            assertEquals("etcd at " + etcd.url() + " did not answer POST /v3/maintenance/status within 300 ms", frozen.error().orElseThrow());
            assertFalse(sick.healthy());
            assertEquals("etcd at " + etcd.url() + " did not answer GET /health within 300 ms", sick.error().orElseThrow());
        } finally {
            etcd.cluster.member(0).resume();
        }
    }
}
