package io.dsha.controlplane.traffic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.dsha.api.event.Event;
import io.dsha.api.event.EventType;
import io.dsha.api.traffic.BackendTraffic;
import io.dsha.api.traffic.IngestBacklog;
import io.dsha.api.traffic.TrafficReport;
import io.dsha.controlplane.decision.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The backlog events, from reports on a board with a driven clock. */
class IngestWatchTest {

    private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final TrafficBoard board = new TrafficBoard(clock, Duration.ofSeconds(10));
    private final IngestWatch watch = new IngestWatch(board, clock);
    private final List<Event> events = new ArrayList<>();

    private void report(String proxy, String backend, long records, long diverged) {
        board.record(new TrafficReport(proxy, List.of(new BackendTraffic(backend, 1.0,
                new IngestBacklog(records, records * 100, records == 0 ? 0 : 4200L, diverged)))));
        watch.observe(events::addAll);
    }

    private List<String> drain() {
        List<String> list = events.stream().map(e -> e.type() + " " + e.backendId() + ": " + e.message()).toList();
        events.clear();
        return list;
    }

    @Test
    void aBacklogStartsWhenTheSumGoesAboveNoneAndClearsWhenItIsBack() {
        report("proxy-1", "b", 0, 0);
        assertEquals(List.of(), drain());

        report("proxy-1", "b", 10, 0);
        report("proxy-2", "b", 2, 0);
        assertEquals(List.of("INGEST_BACKLOG_STARTED b: b has an ingest backlog: 10 records (1000 bytes) not yet delivered to it, "
                + "the oldest accepted 4200 ms ago, held by proxy-1 (10)"), drain(), "one event, not one per proxy");

        clock.advance(Duration.ofMillis(42_300));
        report("proxy-2", "b", 2, 0);
        report("proxy-1", "b", 0, 0);
        assertEquals(List.of(), drain(), "proxy-2 still holds 2");
        report("proxy-2", "b", 0, 0);
        assertEquals(List.of("INGEST_BACKLOG_CLEARED b: b's ingest backlog cleared after 42.3 s: every record held for it was delivered"),
                drain());
        assertEquals(Instant.parse("2026-01-01T00:00:42.300Z"), clock.instant());
    }

    @Test
    void aProxyFallingSilentLeavesTheSumAndSaysSo() {
        report("proxy-1", "a", 5, 0);
        drain();

        clock.advance(Duration.ofSeconds(11));
        watch.observe(events::addAll);

        assertEquals(List.of("INGEST_BACKLOG_CLEARED a: a's ingest backlog cleared after 11.0 s: no live proxy holds a record for it; "
                + "silent, and left out: proxy-1 (5)"), drain());
    }

    @Test
    void divergenceIsReportedWhenAProxysCountGrows() {
        report("proxy-1", "b", 0, 2);
        assertEquals(List.of("INGEST_DIVERGED b: b refused 2 more records that another instance accepted (proxy-1, 2 since it "
                + "started): the instances' data diverge"), drain(), "refusals from before the first report count");
        report("proxy-1", "b", 0, 2);
        assertEquals(List.of(), drain());
        report("proxy-1", "b", 0, 5);
        assertEquals(EventType.INGEST_DIVERGED, events.get(0).type());
        assertEquals("2", events.get(0).from());
        assertEquals("5", events.get(0).to());
        drain();

        report("proxy-1", "b", 0, 0);
        report("proxy-1", "b", 0, 1);
        assertEquals(1, drain().size(), "a proxy that started again counts from 0");
    }

    @Test
    void eventsTheStoreCouldNotTakeAreFoundAgain() {
        board.record(new TrafficReport("proxy-1", List.of(new BackendTraffic("b", 1.0, new IngestBacklog(3L, 300L, 10L, 0L)))));
        assertThrows(IllegalStateException.class, () -> watch.observe(e -> {
            throw new IllegalStateException("disk full");
        }));

        watch.observe(events::addAll);

        assertEquals(List.of(EventType.INGEST_BACKLOG_STARTED), events.stream().map(Event::type).toList());
    }
}
