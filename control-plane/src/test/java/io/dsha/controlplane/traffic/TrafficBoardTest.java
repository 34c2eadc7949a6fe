package io.dsha.controlplane.traffic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dsha.api.traffic.BackendTraffic;
import io.dsha.api.traffic.IngestBacklog;
import io.dsha.api.traffic.Proxies;
import io.dsha.api.traffic.ProxyInfo;
import io.dsha.api.traffic.ProxyStatus;
import io.dsha.api.traffic.Traffic;
import io.dsha.api.traffic.TrafficReport;
import io.dsha.controlplane.decision.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrafficBoardTest {

    private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final TrafficBoard board = new TrafficBoard(clock, Duration.ofSeconds(10));

    @Test
    void ratesOfEveryProxyHeardFromAreSummedPerBackendInTopologyOrder() {
        board.record(new TrafficReport("proxy-2", List.of(new BackendTraffic("a", 2.5))));
        board.record(new TrafficReport("proxy-1", List.of(new BackendTraffic("a", 10.0), new BackendTraffic("gone", 7.0))));

        Traffic t = board.view(List.of("b", "a"));

        assertEquals(List.of("proxy-1", "proxy-2"), t.proxies());
        assertEquals(List.of(new BackendTraffic("b", 0.0), new BackendTraffic("a", 12.5)), t.backends(),
                "a backend nobody reported is at 0; one no longer in the topology is left out");
        assertEquals(clock.instant(), t.at());
    }

    @Test
    void aNewReportReplacesTheProxysPreviousOne() {
        board.record(new TrafficReport("proxy-1", List.of(new BackendTraffic("a", 10.0))));
        board.record(new TrafficReport("proxy-1", List.of(new BackendTraffic("b", 4.0))));

        assertEquals(List.of(new BackendTraffic("a", 0.0), new BackendTraffic("b", 4.0)), board.view(List.of("a", "b")).backends());
    }

    @Test
    void aProxySilentForLongerThanTheWindowNoLongerCounts() {
        board.record(new TrafficReport("proxy-1", List.of(new BackendTraffic("a", 10.0))));
        clock.advance(Duration.ofSeconds(8));
        board.record(new TrafficReport("proxy-2", List.of(new BackendTraffic("a", 1.0))));
        assertEquals(11.0, board.view(List.of("a")).backends().get(0).requestsPerSecond());

        clock.advance(Duration.ofSeconds(3));

        Traffic t = board.view(List.of("a"));
        assertEquals(List.of("proxy-2"), t.proxies());
        assertEquals(1.0, t.backends().get(0).requestsPerSecond());
    }

    @Test
    void theProxiesListSaysWhoIsReadyWhoServesAndWhoFellSilent() {
        board.record(new TrafficReport("edge-1", List.of(new BackendTraffic("a", 40.0), new BackendTraffic("b", 2.0)),
                new ProxyInfo("edge-1.example", "https://0.0.0.0:8443", true, false)));
        board.record(new TrafficReport("edge-2", List.of(new BackendTraffic("a", 0.0)),
                new ProxyInfo("edge-2.example", "https://0.0.0.0:8443", true, false)));
        board.record(new TrafficReport("old", List.of(new BackendTraffic("a", 5.0))));
        clock.advance(Duration.ofSeconds(8));
        board.record(new TrafficReport("edge-2", List.of(new BackendTraffic("a", 0.0)),
                new ProxyInfo("edge-2.example", null, false, true)));
        clock.advance(Duration.ofSeconds(3));

        Proxies p = board.proxies();

        assertEquals(clock.instant(), p.at());
        assertEquals(List.of("edge-1", "edge-2", "old"), p.proxies().stream().map(ProxyStatus::id).toList());
        ProxyStatus one = p.proxies().get(0);
        assertEquals("edge-1.example", one.host());
        assertEquals(42.0, one.requestsPerSecond());
        assertFalse(one.heard(), "silent for 11 s, longer than the 10 s window");
        assertFalse(one.holdsTraffic(), "a silent proxy is not counted as holding traffic");
        ProxyStatus two = p.proxies().get(1);
        assertTrue(two.heard());
        assertEquals(Boolean.FALSE, two.ready());
        assertEquals(Boolean.TRUE, two.shuttingDown());
        assertFalse(two.holdsTraffic());
        assertNull(p.proxies().get(2).host(), "a proxy that sends no details is listed without them");
    }

    @Test
    void aProxyServingNowHoldsTheTraffic() {
        board.record(new TrafficReport("edge-1", List.of(new BackendTraffic("a", 40.0)), new ProxyInfo("h1", "https://0.0.0.0:8443", true, false)));
        board.record(new TrafficReport("edge-2", List.of(new BackendTraffic("a", 0.0)), new ProxyInfo("h2", "https://0.0.0.0:8443", true, false)));

        List<ProxyStatus> all = board.proxies().proxies();
        assertTrue(all.get(0).holdsTraffic());
        assertFalse(all.get(1).holdsTraffic());
    }
    @Test
    void ingestBacklogsAreShownPerProxyAndSummedOverTheProxiesHeardFrom() {
        board.record(new TrafficReport("edge-1", List.of(new BackendTraffic("a", 5.0), new BackendTraffic("b", 0.0,
                new IngestBacklog(10L, 1000L, 4000L, 1L)))));
        board.record(new TrafficReport("edge-2", List.of(new BackendTraffic("b", 0.0, new IngestBacklog(2L, 50L, 9000L, 0L)))));

        Traffic t = board.view(List.of("a", "b"));
        assertNull(t.backends().get(0).ingest(), "no proxy reports ingest for a");
        assertEquals(new IngestBacklog(12L, 1050L, 9000L, 1L), t.backends().get(1).ingest());
        assertEquals(12, board.backlogRecords("b"));
        assertEquals(java.util.Map.of("b", new IngestBacklog(10L, 1000L, 4000L, 1L)), board.proxies().proxies().get(0).ingest());
        assertNull(board.proxies().proxies().get(0).ingest().get("a"));

        clock.advance(Duration.ofSeconds(11));
        board.record(new TrafficReport("edge-2", List.of(new BackendTraffic("b", 0.0, new IngestBacklog(1L, 25L, 100L, 0L)))));
        assertEquals(new IngestBacklog(1L, 25L, 100L, 0L), board.view(List.of("b")).backends().get(0).ingest(), "edge-1 fell silent");
        assertEquals(1, board.backlogRecords("b"));
        assertEquals(List.of(new TrafficBoard.Held("edge-1", "b", new IngestBacklog(10L, 1000L, 4000L, 1L), false),
                new TrafficBoard.Held("edge-2", "b", new IngestBacklog(1L, 25L, 100L, 0L), true)), board.ingest());
    }
}
