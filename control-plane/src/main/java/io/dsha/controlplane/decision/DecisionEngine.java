package io.dsha.controlplane.decision;

import io.dsha.api.event.Event;
import io.dsha.api.event.EventType;
import io.dsha.api.report.Observation;
import io.dsha.api.report.Report;
import io.dsha.api.report.ReportSource;
import io.dsha.api.report.ObservedStatus;
import io.dsha.api.state.HealthStatus;
import io.dsha.api.state.PassiveObservation;
import io.dsha.api.state.RoutingDecision;
import io.dsha.api.state.VerdictFlag;
import io.dsha.api.topology.AdminState;
import io.dsha.api.topology.Backend;
import io.dsha.api.topology.FailbackPolicy;
import io.dsha.api.topology.Freshness;
import io.dsha.api.topology.Mode;
import io.dsha.api.topology.Topology;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Turns reports into verdicts and verdicts into the routing decision. Pure apart from the clock it
 * is given: every method takes a state and returns the next one with the events it caused, so tests
 * drive time by hand and replay exact sequences.
 *
 * <p>Verdicts: each checker reports its own view of a backend after its own rise/fall
 * ({@link Observation#health()}); the engine takes that view as it is and counts no runs, since
 * reports are coalesced and only the checker sees every probe. The verdict follows a majority of the live checkers (those that reported on the backend within
 * {@code livenessIntervals} health-check intervals). A split keeps the verdict and flags it
 * DISPUTED; no live checker keeps it and flags it STALE: losing sight of a backend is not evidence
 * that it failed.
 *
 * <p>Routing, ACTIVE_PASSIVE: the ENABLED backend with the lowest priority whose verdict is UP
 * (a DEGRADED one only when none is UP). After a failover, a better backend coming back follows the
 * failback policy. ACTIVE_ACTIVE: every ENABLED backend that is UP. DRAIN and MAINTENANCE take a
 * backend out of new traffic; nothing serving is {@code allDown}.
 *
 * <p>Failover hold, ACTIVE_PASSIVE: when the active backend turns DOWN while a live checker still sees it UP (down by
 * a hair) and every backend that could take over is missing data, lagging (DEGRADED) or with records of
 * {@link IngestBacklogs ingest backlog} still being replayed to it, traffic stays for up to
 * {@code freshness.failoverHoldMs}; with ingest routes and no freshness check, for {@link Freshness#DEFAULT_FAILOVER_HOLD_MS}.
 * The backlog is read, like the clock, from what the proxies report lately: it is not part of the state.
 */
public final class DecisionEngine {

    public static final String ACTOR = "control-plane";

    private static final Comparator<Backend> BY_PRIORITY =
            Comparator.comparing(Backend::priority).thenComparing(Backend::id);
    /** Votes silent for this many liveness windows are forgotten, so departed checkers do not pile up. */
    private static final int FORGET_AFTER_WINDOWS = 20;

    private final Clock clock;
    private final int livenessIntervals;
    private final IngestBacklogs backlogs;

    /** An engine that hears of no ingest backlog. */
    public DecisionEngine(Clock clock, int livenessIntervals) {
        this(clock, livenessIntervals, IngestBacklogs.NONE);
    }

    public DecisionEngine(Clock clock, int livenessIntervals, IngestBacklogs backlogs) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.backlogs = Objects.requireNonNull(backlogs, "backlogs");
        if (livenessIntervals < 1) {
            throw new IllegalArgumentException("livenessIntervals: " + livenessIntervals + " (expected: >= 1)");
        }
        this.livenessIntervals = livenessIntervals;
    }

    public Instant now() {
        return clock.instant();
    }

    /** Adopts a new (validated) topology, keeping what is known about backends that did not move. */
    public Outcome applyTopology(ControlState state, Topology topology) {
        Instant now = clock.instant();
        Map<String, BackendHealth> health = new HashMap<>();
        for (Backend b : topology.backends()) {
            Backend before = state.topology() == null ? null : state.topology().backend(b.id()).orElse(null);
            BackendHealth h = state.health().get(b.id());
            if (h == null || before == null || !before.host().equalsIgnoreCase(b.host()) || !before.port().equals(b.port())) {
                // A new address is a new instance: what was seen at the old one says nothing about it.
                h = BackendHealth.unknown(b.id(), now);
            } else if (before.adminState() != AdminState.ENABLED && b.adminState() == AdminState.ENABLED) {
                h = h.withEnabledSince(now);
            }
            health.put(b.id(), h);
        }
        return settle(state.withTopology(topology, health), now, new ArrayList<>(), false, null);
    }

    /** Takes a batch of observations; those naming unknown backends are ignored. */
    public Outcome report(ControlState state, Report report) {
        Instant now = clock.instant();
        if (state.topology() == null) {
            return new Outcome(state, List.of());
        }
        Map<String, BackendHealth> health = new HashMap<>(state.health());
        Map<String, Backend> backends = new HashMap<>();
        for (Backend b : state.topology().backends()) {
            backends.put(b.id(), b);
        }
        for (Observation o : report.observations()) {
            BackendHealth h = health.get(o.backendId());
            Backend b = backends.get(o.backendId());
            if (h == null || b == null) {
                continue;
            }
            health.put(b.id(), report.source() == ReportSource.PROXY
                    ? withPassive(h, report.reporterId(), o, now)
                    : withVote(h, report.reporterId(), o, now));
        }
        ListenerHealth listener = state.listener();
        if (report.source() == ReportSource.CHECKER && report.listener() != null) {
            Map<String, ListenerHealth.Finding> findings = new HashMap<>(listener.findings());
            findings.put(report.reporterId(), new ListenerHealth.Finding(report.listener(), now));
            listener = listener.withFindings(findings);
        }
        return settle(state.withHealth(health).withListener(listener), now, new ArrayList<>(), false, null);
    }

    /** Re-evaluates what time alone changes: checkers going silent, AUTO failback delays running out. */
    public Outcome tick(ControlState state) {
        if (state.topology() == null) {
            return new Outcome(state, List.of());
        }
        return settle(state, clock.instant(), new ArrayList<>(), false, null);
    }

    /** The operator's failback: moves traffic to the pending preferred backend now, whatever the policy. */
    public Outcome failback(ControlState state, String actor) {
        Topology t = state.topology();
        if (t == null) {
            throw new FailbackRefused("there is no topology yet");
        }
        if (t.mode() != Mode.ACTIVE_PASSIVE) {
            throw new FailbackRefused("failback applies to ACTIVE_PASSIVE; the mode is " + t.mode());
        }
        Outcome settled = settle(state, clock.instant(), new ArrayList<>(), false, null);
        RoutingDecision r = settled.state().routing();
        if (r.pendingFailback() == null) {
            String where = r.active().isEmpty() ? "no backend is UP" : r.active().get(0) + " is already the preferred backend that is UP";
            throw new FailbackRefused("nothing to fail back: " + where);
        }
        List<Event> events = new ArrayList<>(settled.events());
        return settle(settled.state(), clock.instant(), events, true, actor);
    }

    private Outcome settle(ControlState state, Instant now, List<Event> events, boolean operatorFailback, String actor) {
        Topology t = state.topology();
        Map<String, BackendHealth> aged = new HashMap<>();
        for (Backend b : t.backends()) {
            aged.put(b.id(), withLiveness(state.health().get(b.id()), b, now));
        }
        Set<String> isolated = isolatedCheckers(aged);
        Set<String> wasIsolated = markedIsolated(state.health().values());
        isolationEvents(aged, isolated, wasIsolated, now, events);
        Map<String, BackendHealth> health = new HashMap<>();
        for (Backend b : t.backends()) {
            BackendHealth before = state.health().get(b.id());
            BackendHealth after = verdict(aged.get(b.id()), t, isolated, now);
            verdictEvents(t, b, before, after, now, events);
            health.put(b.id(), after);
        }
        ControlState evaluated = state.withHealth(health).withListener(listenerVerdict(t, state.listener(), now, events));
        return t.mode() == Mode.ACTIVE_PASSIVE
                ? routeActivePassive(evaluated, now, events, operatorFailback, actor)
                : routeActiveActive(evaluated, now, events);
    }

    // ---- verdicts ----

    private static BackendHealth withVote(BackendHealth h, String reporterId, Observation o, Instant now) {
        Map<String, VoteState> votes = new HashMap<>(h.votes());
        VoteState before = votes.get(reporterId);
        votes.put(reporterId, VoteState.observed(reporterId, checkerView(o), o, now, before != null && before.isolated()));
        return h.withVotes(votes);
    }

    /**
     * The checker's view as it reported it. Rise/fall is the checker's alone: counting it here again
     * would count a coalesced stream (the newest observation per backend), which can delay a change
     * the checker already made or make one it did not. DEGRADED is a verdict, not a view: a checker
     * that says so sees the backend UP. Without a view, the raw result is the view.
     */
    static HealthStatus checkerView(Observation o) {
        if (o.health() == null) {
            return o.status() == ObservedStatus.UP ? HealthStatus.UP : HealthStatus.DOWN;
        }
        return o.health() == HealthStatus.DEGRADED ? HealthStatus.UP : o.health();
    }

    private static BackendHealth withPassive(BackendHealth h, String reporterId, Observation o, Instant now) {
        if (o.status() != ObservedStatus.DOWN) {
            return h;
        }
        long count = h.lastPassiveFailure() == null ? 1 : h.lastPassiveFailure().count() + 1;
        PassiveObservation p = new PassiveObservation(reporterId, o.reason(), o.at() == null ? now : o.at(), count);
        return h.withLastPassiveFailure(p);
    }

    /** Marks each vote live or not and forgets votes silent for long; the verdict itself is left as it was. */
    private BackendHealth withLiveness(BackendHealth h, Backend b, Instant now) {
        Map<String, VoteState> votes = new HashMap<>();
        for (VoteState v : h.votes().values()) {
            // A checker that sees the backend DOWN probes it at the (slower) down interval: that must not make it look silent.
            long interval = v.status() == HealthStatus.DOWN
                    ? Math.max(b.healthCheck().intervalMs(), b.healthCheck().downIntervalMs())
                    : b.healthCheck().intervalMs();
            Duration window = Duration.ofMillis(livenessIntervals * interval);
            if (!v.receivedAt().isBefore(now.minus(window.multipliedBy(FORGET_AFTER_WINDOWS)))) {
                votes.put(v.reporterId(), v.withLive(!v.receivedAt().isBefore(now.minus(window)) && v.status() != HealthStatus.UNKNOWN));
            }
        }
        return h.withVotes(votes);
    }

    /**
     * Checkers that see every backend (at least two) DOWN while, for each of those backends, a
     * majority of the other live checkers see it UP (in their state and in their latest result, so that
     * the first checker to notice a real outage is not called isolated while the others are still
     * counting their failures): they are cut off from the backends, not right about them. With one backend that is indistinguishable from a disagreement, which the majority
     * (or the DISPUTED flag) handles.
     */
    static Set<String> isolatedCheckers(Map<String, BackendHealth> health) {
        if (health.size() < 2) {
            return Set.of();
        }
        Map<String, Integer> downEverywhere = new HashMap<>();
        Set<String> seenUp = new java.util.HashSet<>();
        for (BackendHealth h : health.values()) {
            for (VoteState v : h.votes().values()) {
                if (!v.live()) {
                    continue;
                }
                if (v.status() == HealthStatus.DOWN) {
                    downEverywhere.merge(v.reporterId(), 1, Integer::sum);
                } else {
                    seenUp.add(v.reporterId());
                }
            }
        }
        Set<String> isolated = new java.util.TreeSet<>();
        for (Map.Entry<String, Integer> e : downEverywhere.entrySet()) {
            String checker = e.getKey();
            if (seenUp.contains(checker) || e.getValue() < 2) {
                continue;
            }
            boolean othersSeeThemUp = true;
            for (BackendHealth h : health.values()) {
                VoteState own = h.votes().get(checker);
                if (own == null || !own.live()) {
                    continue;
                }
                long others = h.votes().values().stream().filter(v -> v.live() && !v.reporterId().equals(checker)).count();
                long othersUp = h.votes().values().stream()
                        .filter(v -> v.live() && !v.reporterId().equals(checker) && v.status() == HealthStatus.UP
                                && v.lastResult() == ObservedStatus.UP).count();
                othersSeeThemUp &= others > 0 && othersUp * 2 > others;
            }
            if (othersSeeThemUp) {
                isolated.add(checker);
            }
        }
        return isolated;
    }

    private static Set<String> markedIsolated(java.util.Collection<BackendHealth> health) {
        Set<String> ids = new java.util.TreeSet<>();
        health.forEach(h -> h.votes().values().stream().filter(VoteState::isolated).forEach(v -> ids.add(v.reporterId())));
        return ids;
    }

    private static void isolationEvents(Map<String, BackendHealth> health, Set<String> isolated, Set<String> wasIsolated, Instant now,
            List<Event> events) {
        for (String checker : isolated) {
            if (!wasIsolated.contains(checker)) {
                events.add(event(now, EventType.CHECKER_ISOLATED, ACTOR, null, null, checker, "checker " + checker
                        + " sees every backend DOWN while the other live checkers see them UP: it is treated as isolated and its votes are set aside"));
            }
        }
        for (String checker : wasIsolated) {
            if (!isolated.contains(checker)) {
                boolean stillThere = health.values().stream().anyMatch(h -> h.votes().containsKey(checker));
                events.add(event(now, EventType.CHECKER_REJOINED, ACTOR, null, checker, null, "checker " + checker
                        + (stillThere ? " agrees with the others again: its votes count again" : " has gone silent; it is no longer treated as isolated")));
            }
        }
    }

    /**
     * The proxy's certificate as the checkers see it: DEGRADED when a majority of the checkers that
     * completed a handshake with it lately (within the liveness window of the slowest backend check)
     * see a problem. Findings silent for long are forgotten.
     */
    private ListenerHealth listenerVerdict(Topology t, ListenerHealth l, Instant now, List<Event> events) {
        if (l.findings().isEmpty()) {
            return l;
        }
        long interval = t.backends().stream().mapToLong(b -> b.healthCheck().intervalMs()).max().orElse(1000);
        Duration window = Duration.ofMillis(livenessIntervals * interval);
        Map<String, ListenerHealth.Finding> kept = new HashMap<>();
        List<ListenerHealth.Finding> live = new ArrayList<>();
        l.findings().forEach((id, f) -> {
            if (!f.receivedAt().isBefore(now.minus(window.multipliedBy(FORGET_AFTER_WINDOWS)))) {
                kept.put(id, f);
                // A checker that could not complete a handshake has no view of the certificate.
                if (!f.receivedAt().isBefore(now.minus(window)) && f.observation().status() == ObservedStatus.UP) {
                    live.add(f);
                }
            }
        });
        List<ListenerHealth.Finding> troubled = live.stream().filter(f -> f.observation().degraded() != null).toList();
        List<String> degraded = !live.isEmpty() && troubled.size() >= live.size() / 2 + 1
                ? troubled.stream().flatMap(f -> f.observation().degraded().stream()).distinct().sorted().toList()
                : live.isEmpty() ? l.degraded() : List.of();
        Long days = live.stream().map(f -> f.observation().daysToExpiry()).filter(Objects::nonNull).min(Long::compare).orElse(l.daysToExpiry());
        String where = t.fqdn() != null ? t.fqdn() + ":" + t.listener().port() : t.listener().host() + ":" + t.listener().port();
        if (!degraded.isEmpty() && !degraded.equals(l.degraded())) {
            events.add(event(now, EventType.DEGRADED, ACTOR, null, null, "listener",
                    "the proxy's listener (" + where + ") is degraded: " + String.join("; ", degraded)));
        } else if (degraded.isEmpty() && !l.degraded().isEmpty()) {
            events.add(event(now, EventType.DEGRADED_ENDED, ACTOR, null, "listener", null,
                    "the proxy's listener (" + where + ") is no longer degraded (was: " + String.join("; ", l.degraded()) + ")"));
        }
        return new ListenerHealth(kept, degraded, live.size(), days);
    }

    private static BackendHealth verdict(BackendHealth h, Topology t, Set<String> isolated, Instant now) {
        Map<String, VoteState> votes = new HashMap<>();
        List<VoteState> upVoters = new ArrayList<>();
        int live = 0;
        int ups = 0;
        int downs = 0;
        for (VoteState v : h.votes().values()) {
            VoteState checked = v.withIsolated(isolated.contains(v.reporterId()));
            votes.put(checked.reporterId(), checked);
            if (checked.counts()) {
                live++;
                if (checked.status() == HealthStatus.UP) {
                    ups++;
                    upVoters.add(checked);
                }
                downs += checked.status() == HealthStatus.DOWN ? 1 : 0;
            }
        }
        int quorum = live == 0 ? 0 : live / 2 + 1;
        HealthStatus status = h.status();
        Set<VerdictFlag> flags = EnumSet.noneOf(VerdictFlag.class);
        List<String> degraded = h.degraded();
        Long lag = h.lag();
        if (live == 0) {
            if (status != HealthStatus.UNKNOWN) {
                flags.add(VerdictFlag.STALE);
            }
        } else if (ups >= quorum) {
            status = HealthStatus.UP;
            // Of the checkers that see it up, a majority must see the same trouble for it to count.
            int need = upVoters.size() / 2 + 1;
            List<VoteState> troubled = upVoters.stream().filter(v -> !v.degraded().isEmpty()).toList();
            degraded = troubled.size() >= need
                    ? troubled.stream().flatMap(v -> v.degraded().stream()).distinct().sorted().toList()
                    : List.of();
            lag = median(upVoters.stream().map(VoteState::lag).filter(Objects::nonNull).toList());
            if (t.freshness() != null) {
                long lagging = upVoters.stream().filter(v -> v.lag() != null && v.lag() > t.freshness().maxLag()).count();
                status = lagging >= need ? HealthStatus.DEGRADED : HealthStatus.UP;
            } else {
                lag = null;
            }
        } else if (downs >= quorum) {
            status = HealthStatus.DOWN;
            degraded = List.of();
        } else {
            flags.add(VerdictFlag.DISPUTED);
        }
        if (!degraded.isEmpty() && status != HealthStatus.DOWN) {
            flags.add(VerdictFlag.DEGRADED);
        }
        Instant since = status == h.status() ? h.since() : now;
        return new BackendHealth(h.backendId(), status, since, live, quorum, flags, votes, h.lastPassiveFailure(), h.enabledSince(),
                degraded, lag);
    }

    private static Long median(List<Long> values) {
        if (values.isEmpty()) {
            return null;
        }
        List<Long> sorted = values.stream().sorted().toList();
        return sorted.get((sorted.size() - 1) / 2);
    }

    private void verdictEvents(Topology t, Backend b, BackendHealth before, BackendHealth after, Instant now, List<Event> events) {
        if (after.status() != before.status()) {
            events.add(event(now, EventType.VERDICT_CHANGED, ACTOR, b.id(), before.status().name(), after.status().name(),
                    b.id() + " is " + after.status() + " (" + votesSummary(after) + ")"));
        }
        if (after.status() == HealthStatus.DEGRADED && before.status() != HealthStatus.DEGRADED) {
            events.add(event(now, EventType.LAG_STARTED, ACTOR, b.id(), null, lagText(t, after.lag()),
                    b.id() + "'s data lags the freshest instance by " + lagText(t, after.lag()) + " (more than the "
                            + t.freshness().describeLag(t.freshness().maxLag()) + " allowed)" + explained(b.id())));
        } else if (before.status() == HealthStatus.DEGRADED && after.status() != HealthStatus.DEGRADED) {
            events.add(event(now, EventType.LAG_ENDED, ACTOR, b.id(), lagText(t, before.lag()), after.status().name(),
                    after.status() == HealthStatus.UP ? b.id() + "'s data has caught up" + (after.lag() == null ? "" : " (lag " + lagText(t, after.lag()) + ")")
                            : b.id() + " no longer counts as lagging: it is " + after.status()));
        }
        if (!after.degraded().isEmpty() && !after.degraded().equals(before.degraded())) {
            events.add(event(now, EventType.DEGRADED, ACTOR, b.id(), null, null, b.id() + " is degraded: " + String.join("; ", after.degraded())));
        } else if (after.degraded().isEmpty() && !before.degraded().isEmpty()) {
            events.add(event(now, EventType.DEGRADED_ENDED, ACTOR, b.id(), null, null,
                    b.id() + " is no longer degraded (was: " + String.join("; ", before.degraded()) + ")"));
        }
    }

    /** Why a backend may lag, when the proxies are replaying records to it; empty otherwise. */
    private String explained(String backendId) {
        long records = backlogs.records(backendId);
        return records == 0 ? "" : " (explained: " + records + " records of ingest backlog being replayed to it)";
    }

    private static String lagText(Topology t, Long lag) {
        if (lag == null) {
            return "an unknown amount";
        }
        return t.freshness() == null ? String.valueOf(lag) : t.freshness().describeLag(lag);
    }


    private static String votesSummary(BackendHealth h) {
        if (h.liveCheckers() == 0) {
            return "no live checker";
        }
        // A DEGRADED backend is one the checkers see UP (with lagging data).
        HealthStatus seen = h.status() == HealthStatus.DEGRADED ? HealthStatus.UP : h.status();
        long agree = h.votes().values().stream().filter(v -> v.counts() && v.status() == seen).count();
        return agree + " of " + h.liveCheckers() + " live checkers";
    }

    // ---- routing ----

    private Outcome routeActivePassive(ControlState s, Instant now, List<Event> events, boolean operatorFailback, String actor) {
        Topology t = s.topology();
        List<Backend> serving = serving(t, s.health());
        RoutingMemory memory = s.memory();
        String current = memory.lastActive();
        Backend currentBackend = current == null ? null : t.backend(current).orElse(null);
        boolean currentServing = currentBackend != null && serving.contains(currentBackend);

        if (serving.isEmpty()) {
            return allDown(s, now, events, memory);
        }
        Backend best = serving.get(0);
        Backend active;
        boolean failedOver;
        String pending = null;
        Instant failbackAt = null;
        String reason;
        Instant heldUntil = currentServing ? null : holdOn(s, currentBackend, serving, now);
        if (heldUntil != null) {
            // Down by a hair, and the only way out is to a backend missing data: wait a little for it to come back.
            BackendHealth h = s.health().get(current);
            long stillUp = h.votes().values().stream().filter(v -> v.counts() && v.status() == HealthStatus.UP).count();
            reason = "holding traffic on " + current + ": it is DOWN by a hair (" + stillUp + " of " + h.liveCheckers()
                    + " live checkers still see it UP) and " + missing(s, best) + "; failover at " + heldUntil + " unless it recovers";
            if (!memory.held()) {
                events.add(event(now, EventType.FAILOVER_HELD, ACTOR, current, current, current, reason));
            } else if (s.routing().active().equals(List.of(current))) {
                // Still held: keep the reason that put the hold in place, so a lag or backlog that moves changes no revision.
                reason = s.routing().reason();
            }
            List<String> standby = serving.stream().map(Backend::id).toList();
            RoutingDecision decision = new RoutingDecision(List.of(current), standby, draining(t), false, null, null, reason);
            return finish(s, decision, new RoutingMemory(current, memory.failedOver(), true), now, events);
        } else if (!currentServing) {
            active = best;
            // A first selection is not a failover; moving away from a backend that stopped serving is.
            failedOver = current != null && hasBetter(t, active);
            if (current == null) {
                reason = active.id() + " is the preferred backend that is " + status(s, active);
                events.add(event(now, EventType.ACTIVE_SELECTED, ACTOR, active.id(), null, active.id(), reason));
            } else {
                reason = "failover: " + current + " is " + whyNotServing(s, current) + "; " + active.id() + " is the next backend that is "
                        + status(s, active);
                events.add(event(now, EventType.FAILOVER, ACTOR, current, current, active.id(), reason));
                dataGap(s, current, active, now, events);
            }
        } else if (best.equals(currentBackend)) {
            active = currentBackend;
            failedOver = memory.failedOver() && hasBetter(t, active);
            boolean unchanged = !s.routing().allDown() && s.routing().active().equals(List.of(active.id()))
                    && s.routing().pendingFailback() == null;
            // Nothing moved: keep the reason that put traffic here, so a re-evaluation changes no revision.
            reason = unchanged ? s.routing().reason()
                    : failedOver
                    ? active.id() + " took over after a failover; no better backend is UP"
                    : active.id() + " is the preferred backend that is " + status(s, active);
        } else if (status(s, currentBackend) != HealthStatus.UP) {
            // The current one is serving but degraded, and a healthy one exists: that is a failover, not a failback.
            active = best;
            failedOver = hasBetter(t, active);
            reason = "failover: " + current + " is " + status(s, currentBackend) + "; " + best.id() + " is UP";
            events.add(event(now, EventType.FAILOVER, ACTOR, current, current, best.id(), reason));
        } else if (!memory.failedOver()) {
            // No failover brought traffic here (start-up, a backend added): go to the best one at once.
            active = best;
            failedOver = hasBetter(t, active);
            reason = best.id() + " is the preferred backend that is UP";
            events.add(event(now, EventType.ACTIVE_SELECTED, ACTOR, best.id(), current, best.id(), reason));
        } else {
            BackendHealth h = s.health().get(best.id());
            Instant readyAt = later(h.since(), h.enabledSince()).plusMillis(t.failback().delayMs());
            boolean due = operatorFailback
                    || t.failback().policy() == FailbackPolicy.AUTO && !now.isBefore(readyAt);
            if (due) {
                active = best;
                failedOver = hasBetter(t, active);
                reason = operatorFailback
                        ? "failback by " + actor + ": " + best.id() + " is UP"
                        : "failback: " + best.id() + " has been UP for " + t.failback().delayMs() + " ms";
                events.add(event(now, EventType.FAILBACK, operatorFailback ? actor : ACTOR, best.id(), current, best.id(), reason));
            } else {
                active = currentBackend;
                failedOver = true;
                pending = best.id();
                boolean auto = t.failback().policy() == FailbackPolicy.AUTO;
                failbackAt = auto ? readyAt : null;
                reason = current + " took over after a failover; " + best.id() + " is UP again and "
                        + (auto ? "takes the traffic back at " + readyAt : "waits for an operator's failback (policy MANUAL)");
                if (!best.id().equals(s.routing().pendingFailback())) {
                    events.add(event(now, EventType.FAILBACK_PENDING, ACTOR, best.id(), current, best.id(),
                            best.id() + " is UP again; " + (auto ? "failback at " + readyAt : "waiting for POST /api/v1/failback (policy MANUAL)")));
                }
            }
        }
        List<String> standby = serving.stream().filter(b -> !b.equals(active)).map(Backend::id).toList();
        RoutingDecision decision = new RoutingDecision(List.of(active.id()), standby, draining(t), false, pending, failbackAt, reason);
        return finish(s, decision, new RoutingMemory(active.id(), failedOver), now, events);
    }

    /**
     * When traffic should stay on {@code current} although it is DOWN: until when, or null. Only with a hold that is not
     * 0 ({@link #failoverHoldMs}), only while a live checker still sees it UP, only when every backend that could take
     * over is missing data (DEGRADED, or with an ingest backlog), and only for the hold after it went DOWN.
     */
    private Instant holdOn(ControlState s, Backend current, List<Backend> serving, Instant now) {
        long hold = failoverHoldMs(s.topology());
        if (current == null || hold == 0 || current.adminState() != AdminState.ENABLED
                || !serving.stream().allMatch(b -> status(s, b) == HealthStatus.DEGRADED || backlogs.records(b.id()) > 0)) {
            return null;
        }
        BackendHealth h = s.health().get(current.id());
        boolean byAHair = h.status() == HealthStatus.DOWN
                && h.votes().values().stream().anyMatch(v -> v.counts() && v.status() == HealthStatus.UP);
        Instant until = h.since().plusMillis(hold);
        return byAHair && now.isBefore(until) ? until : null;
    }

    /**
     * How long traffic may be held on an active backend down by a hair: {@code freshness.failoverHoldMs}; with ingest
     * routes and no freshness check, {@link Freshness#DEFAULT_FAILOVER_HOLD_MS} (a backend being replayed to is missing
     * records all the same); 0 (no hold) with neither.
     */
    static long failoverHoldMs(Topology t) {
        if (t.freshness() != null) {
            return t.freshness().failoverHoldMs();
        }
        return t.ingest() != null ? Freshness.DEFAULT_FAILOVER_HOLD_MS : 0;
    }

    /** What {@code b} is missing: its lag (and the backlog that explains it), or the records still being replayed to it. */
    private String missing(ControlState s, Backend b) {
        if (status(s, b) == HealthStatus.DEGRADED) {
            return b.id() + " lags by " + lagText(s.topology(), s.health().get(b.id()).lag()) + explained(b.id());
        }
        return b.id() + " has " + backlogs.records(b.id()) + " records still being replayed to it";
    }

    /** Traffic moved to a backend missing data (lagging, or being replayed to): say how much clients will not see there. */
    private void dataGap(ControlState s, String from, Backend to, Instant now, List<Event> events) {
        BackendHealth h = s.health().get(to.id());
        long records = backlogs.records(to.id());
        if (h.status() == HealthStatus.DEGRADED) {
            String lag = lagText(s.topology(), h.lag());
            events.add(event(now, EventType.DATA_GAP, ACTOR, to.id(), from, to.id(), "traffic moved from " + from + " to " + to.id()
                    + ", whose data lags the freshest instance by " + lag + explained(to.id()) + ": clients will miss about " + lag
                    + " of data until it catches up"));
        } else if (records > 0) {
            events.add(event(now, EventType.DATA_GAP, ACTOR, to.id(), from, to.id(), "traffic moved from " + from + " to " + to.id()
                    + ", which has " + records + " records still being replayed to it: clients will miss them until they are delivered"));
        }
    }

    private Outcome routeActiveActive(ControlState s, Instant now, List<Event> events) {
        Topology t = s.topology();
        List<Backend> enabled = enabled(t);
        List<Backend> up = enabled.stream().filter(b -> status(s, b) == HealthStatus.UP).toList();
        List<Backend> degraded = enabled.stream().filter(b -> status(s, b) == HealthStatus.DEGRADED).toList();
        List<Backend> active = up.isEmpty() ? degraded : up;
        if (active.isEmpty()) {
            return allDown(s, now, events, s.memory());
        }
        List<String> ids = active.stream().map(Backend::id).toList();
        List<String> standby = up.isEmpty() ? List.of() : degraded.stream().map(Backend::id).toList();
        String reason = up.isEmpty()
                ? "no backend is UP; serving from the DEGRADED ones: " + String.join(", ", ids)
                : "every ENABLED backend that is UP: " + String.join(", ", ids);
        RoutingDecision before = s.routing();
        if (!before.allDown() && !before.active().equals(ids)) {
            for (String gone : before.active()) {
                if (!ids.contains(gone)) {
                    events.add(event(now, EventType.FAILOVER, ACTOR, gone, gone, String.join(",", ids),
                            gone + " left the active set (" + whyNotServing(s, gone) + "); traffic continues on " + String.join(", ", ids)));
                }
            }
            events.add(event(now, EventType.ROUTING_CHANGED, ACTOR, null, String.join(",", before.active()), String.join(",", ids), reason));
        } else if (before.allDown()) {
            events.add(event(now, EventType.ROUTING_CHANGED, ACTOR, null, "", String.join(",", ids), reason));
        }
        RoutingDecision decision = new RoutingDecision(ids, standby, draining(t), false, null, null, reason);
        return finish(s, decision, new RoutingMemory(ids.get(0), false), now, events);
    }

    private Outcome allDown(ControlState s, Instant now, List<Event> events, RoutingMemory memory) {
        Topology t = s.topology();
        String summary = t.backends().stream().sorted(BY_PRIORITY)
                .map(b -> b.id() + " " + whyNotServing(s, b.id()))
                .collect(Collectors.joining(", "));
        String reason = "no ENABLED backend is UP (" + summary + "); proxies "
                + (t.allDown() == io.dsha.api.topology.AllDownPolicy.TRY_ALL ? "try them all in priority order (TRY_ALL)" : "answer 503 (FAIL_FAST)");
        List<String> order = enabled(t).stream().map(Backend::id).toList();
        RoutingDecision decision = new RoutingDecision(List.of(), order, draining(t), true, null, null, reason);
        return finish(s, decision, memory, now, events);
    }

    private Outcome finish(ControlState s, RoutingDecision decision, RoutingMemory memory, Instant now, List<Event> events) {
        RoutingDecision before = s.routing();
        if (decision.allDown() && !before.allDown()) {
            events.add(event(now, EventType.ALL_DOWN, ACTOR, null, String.join(",", before.active()), null, decision.reason()));
        } else if (!decision.allDown() && before.allDown() && s.memory().lastActive() != null) {
            // lastActive is only null before the first selection: start-up is not the end of an outage.
            events.add(event(now, EventType.ALL_DOWN_ENDED, ACTOR, null, null, String.join(",", decision.active()), decision.reason()));
        }
        return new Outcome(s.withRouting(decision, memory), events);
    }

    private static List<Backend> enabled(Topology t) {
        return t.backends().stream().filter(b -> b.adminState() == AdminState.ENABLED).sorted(BY_PRIORITY).toList();
    }

    /** ENABLED backends that may take traffic: UP ones by priority, then DEGRADED ones by priority. */
    private static List<Backend> serving(Topology t, Map<String, BackendHealth> health) {
        List<Backend> enabled = enabled(t);
        List<Backend> result = new ArrayList<>();
        enabled.stream().filter(b -> health.get(b.id()).status() == HealthStatus.UP).forEach(result::add);
        enabled.stream().filter(b -> health.get(b.id()).status() == HealthStatus.DEGRADED).forEach(result::add);
        return result;
    }

    private static List<String> draining(Topology t) {
        return t.backends().stream().filter(b -> b.adminState() == AdminState.DRAIN).sorted(BY_PRIORITY).map(Backend::id).toList();
    }

    /** Whether a preferred backend exists, in any admin state: traffic away from it is a failover until it returns. */
    private static boolean hasBetter(Topology t, Backend b) {
        return t.backends().stream().anyMatch(o -> BY_PRIORITY.compare(o, b) < 0);
    }

    private static HealthStatus status(ControlState s, Backend b) {
        return s.health().get(b.id()).status();
    }

    private static String whyNotServing(ControlState s, String id) {
        Backend b = s.topology().backend(id).orElse(null);
        if (b == null) {
            return "removed from the topology";
        }
        if (b.adminState() != AdminState.ENABLED) {
            return "in " + b.adminState();
        }
        return s.health().get(id).status().name();
    }

    private static Instant later(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }

    static Event event(Instant at, EventType type, String actor, String backendId, String from, String to, String message) {
        return new Event(0, at, 0, type, actor, backendId, from, to, message);
    }
}
