package io.dsha.controlplane.traffic;

import static java.util.Objects.requireNonNull;

import io.dsha.api.event.Event;
import io.dsha.api.event.EventType;
import io.dsha.api.traffic.IngestBacklog;
import io.dsha.controlplane.decision.DecisionEngine;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * Turns the ingest backlogs on the {@link TrafficBoard} into events: {@code INGEST_BACKLOG_STARTED} when the records
 * the proxies heard within the window hold for a backend go from none to some, {@code INGEST_BACKLOG_CLEARED} when
 * they go back to none, {@code INGEST_DIVERGED} when a proxy's count of records a backend refused (that another
 * instance accepted) grows. A proxy seen for the first time with refusals counts them all: they happened since it
 * started, and this control plane may have been away.
 *
 * <p>What it saw last is kept in memory on the control plane that decides (traffic reports reach the leader); a new
 * leader starts from nothing, so a backlog still there is announced again. Plain Java with the clock it is given.
 */
public final class IngestWatch {

    private final TrafficBoard board;
    private final Clock clock;
    /** Backends with records held for them, since when. */
    private Map<String, Instant> backlogSince = Map.of();
    /** The last refusal count seen, by proxy and backend. */
    private Map<List<String>, Long> diverged = Map.of();

    public IngestWatch(TrafficBoard board, Clock clock) {
        this.board = requireNonNull(board, "board");
        this.clock = requireNonNull(clock, "clock");
    }

    /**
     * Hands the events since the last call (if any) to {@code write}, and remembers what they describe only once it
     * returns: when it throws (the store could not take them), the next call finds the same changes again.
     */
    public synchronized void observe(Consumer<List<Event>> write) {
        Instant now = clock.instant();
        List<TrafficBoard.Held> all = board.ingest();
        List<Event> events = new ArrayList<>();
        Map<String, Instant> since = backlogs(all, now, events);
        Map<List<String>, Long> refused = refusals(all, now, events);
        if (!events.isEmpty()) {
            write.accept(events);
        }
        backlogSince = since;
        diverged = refused;
    }

    private Map<String, Instant> backlogs(List<TrafficBoard.Held> all, Instant now, List<Event> events) {
        Map<String, List<TrafficBoard.Held>> holding = all.stream().filter(h -> h.heard() && !h.backlog().empty())
                .collect(Collectors.groupingBy(TrafficBoard.Held::backendId, LinkedHashMap::new, Collectors.toList()));
        Map<String, Instant> next = new HashMap<>();
        TreeSet<String> backends = new TreeSet<>(backlogSince.keySet());
        backends.addAll(holding.keySet());
        for (String id : backends) {
            List<TrafficBoard.Held> holders = holding.get(id);
            Instant started = backlogSince.get(id);
            if (holders != null) {
                next.put(id, started == null ? now : started);
                if (started == null) {
                    events.add(started(id, holders, now));
                }
            } else {
                events.add(cleared(id, all, Duration.between(started, now), now));
            }
        }
        return next;
    }

    private static Event started(String id, List<TrafficBoard.Held> holders, Instant now) {
        IngestBacklog sum = holders.stream().map(TrafficBoard.Held::backlog).reduce(IngestBacklog::plus).orElseThrow();
        String by = holders.stream().map(h -> h.proxyId() + " (" + h.backlog().records() + ")").collect(Collectors.joining(", "));
        return event(now, EventType.INGEST_BACKLOG_STARTED, id, null, String.valueOf(sum.records()),
                id + " has an ingest backlog: " + sum.records() + " records (" + sum.bytes() + " bytes) not yet delivered to it, the oldest "
                        + "accepted " + sum.oldestAgeMs() + " ms ago, held by " + by);
    }

    private static Event cleared(String id, List<TrafficBoard.Held> all, Duration lasted, Instant now) {
        // A proxy that fell silent with records for it no longer counts: say so rather than call them delivered.
        String silent = all.stream().filter(h -> h.backendId().equals(id) && !h.heard() && !h.backlog().empty())
                .map(h -> h.proxyId() + " (" + h.backlog().records() + ")").collect(Collectors.joining(", "));
        return event(now, EventType.INGEST_BACKLOG_CLEARED, id, null, null, id + "'s ingest backlog cleared after " + text(lasted)
                + (silent.isEmpty() ? ": every record held for it was delivered"
                        : ": no live proxy holds a record for it; silent, and left out: " + silent));
    }

    private Map<List<String>, Long> refusals(List<TrafficBoard.Held> all, Instant now, List<Event> events) {
        Map<List<String>, Long> next = new HashMap<>();
        for (TrafficBoard.Held h : all) {
            List<String> key = List.of(h.proxyId(), h.backendId());
            long count = h.backlog().diverged();
            long before = diverged.getOrDefault(key, 0L);
            // Fewer than before: the proxy started again and counts from 0.
            if (count > before) {
                events.add(event(now, EventType.INGEST_DIVERGED, h.backendId(), String.valueOf(before), String.valueOf(count),
                        h.backendId() + " refused " + (count - before) + " more records that another instance accepted (" + h.proxyId()
                                + ", " + count + " since it started): the instances' data diverge"));
            }
            next.put(key, count);
        }
        return next;
    }

    /** {@code 850 ms}, {@code 42.3 s}. */
    static String text(Duration d) {
        long ms = d.toMillis();
        return ms < 1000 ? ms + " ms" : Math.round(ms / 100.0) / 10.0 + " s";
    }

    private static Event event(Instant at, EventType type, String backendId, String from, String to, String message) {
        return new Event(0, at, 0, type, DecisionEngine.ACTOR, backendId, from, to, message);
    }
}
