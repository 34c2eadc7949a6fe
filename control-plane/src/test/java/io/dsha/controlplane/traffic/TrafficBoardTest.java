package io.dsha.controlplane.traffic;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.dsha.api.traffic.BackendTraffic;
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
}
