package io.dsha.controlplane.decision;

import io.dsha.api.event.Event;
import io.dsha.api.event.EventType;
import io.dsha.api.health.Hysteresis;
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
 * <p>Verdicts: each checker's observations of a backend go through rise/fall {@link Hysteresis};
 * the verdict follows a majority of the live checkers (those that reported on the backend within
 * {@code livenessIntervals} health-check intervals). A split keeps the verdict and flags it
 * DISPUTED; no live checker keeps it and flags it STALE: losing sight of a backend is not evidence
 * that it failed.
 *
 * <p>Routing, ACTIVE_PASSIVE: the ENABLED backend with the lowest priority whose verdict is UP
 * (a DEGRADED one only when none is UP). After a failover, a better backend coming back follows the
 * failback policy. ACTIVE_ACTIVE: every ENABLED backend that is UP. DRAIN and MAINTENANCE take a
 * backend out of new traffic; nothing serving is {@code allDown}.
 */
public final class DecisionEngine {

    public static final String ACTOR = "control-plane";

    private static final Comparator<Backend> BY_PRIORITY =
            Comparator.comparing(Backend::priority).thenComparing(Backend::id);
    /** Votes silent for this many liveness windows are forgotten, so departed checkers do not pile up. */
    private static final int FORGET_AFTER_WINDOWS = 20;

    private final Clock clock;
    private final int livenessIntervals;

    public DecisionEngine(Clock clock, int livenessIntervals) {
        this.clock = Objects.requireNonNull(clock, "clock");
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
                h = withEnabledSince(h, now);
            }
            health.put(b.id(), h);
        }
        return settle(new ControlState(topology, health, state.routing(), state.memory()), now, new ArrayList<>(), false, null);
    }

    /** Takes a batch of observations; those naming unknown backends are ignored. */
    public Outcome report(ControlState state, Report report) {
        Instant now = clock.instant();
        if (state.topology() == null) {
            return new Outcome(state, List.of());
        }
        Map<String, BackendHealth> health = new HashMap<>(state.health());
        for (Observation o : report.observations()) {
            BackendHealth h = health.get(o.backendId());
            Backend b = state.topology().backend(o.backendId()).orElse(null);
            if (h == null || b == null) {
                continue;
            }
            health.put(b.id(), report.source() == ReportSource.PROXY
                    ? withPassive(h, report.reporterId(), o, now)
                    : withVote(h, b, report.reporterId(), o, now));
        }
        return settle(new ControlState(state.topology(), health, state.routing(), state.memory()), now, new ArrayList<>(), false, null);
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
        Map<String, BackendHealth> health = new HashMap<>();
        for (Backend b : t.backends()) {
            BackendHealth before = state.health().get(b.id());
            BackendHealth after = evaluate(before, b, now);
            if (after.status() != before.status()) {
                events.add(event(now, EventType.VERDICT_CHANGED, ACTOR, b.id(), before.status().name(), after.status().name(),
                        b.id() + " is " + after.status() + " (" + votesSummary(after) + ")"));
            }
            health.put(b.id(), after);
        }
        ControlState evaluated = new ControlState(t, health, state.routing(), state.memory());
        return t.mode() == Mode.ACTIVE_PASSIVE
                ? routeActivePassive(evaluated, now, events, operatorFailback, actor)
                : routeActiveActive(evaluated, now, events);
    }

    // ---- verdicts ----

    private BackendHealth withVote(BackendHealth h, Backend b, String reporterId, Observation o, Instant now) {
        Map<String, VoteState> votes = new HashMap<>(h.votes());
        VoteState before = votes.get(reporterId);
        Hysteresis hysteresis = before == null ? Hysteresis.INITIAL : before.hysteresis();
        Hysteresis next = hysteresis.observe(o.status() == ObservedStatus.UP, b.healthCheck().rise(), b.healthCheck().fall()).next();
        votes.put(reporterId, new VoteState(reporterId, next, true, o.status(), o.reason(), o.latencyMs(),
                o.at() == null ? now : o.at(), now));
        return new BackendHealth(h.backendId(), h.status(), h.since(), h.liveCheckers(), h.quorum(), h.flags(), votes,
                h.lastPassiveFailure(), h.enabledSince());
    }

    private static BackendHealth withPassive(BackendHealth h, String reporterId, Observation o, Instant now) {
        if (o.status() != ObservedStatus.DOWN) {
            return h;
        }
        long count = h.lastPassiveFailure() == null ? 1 : h.lastPassiveFailure().count() + 1;
        PassiveObservation p = new PassiveObservation(reporterId, o.reason(), o.at() == null ? now : o.at(), count);
        return new BackendHealth(h.backendId(), h.status(), h.since(), h.liveCheckers(), h.quorum(), h.flags(), h.votes(), p,
                h.enabledSince());
    }

    private BackendHealth evaluate(BackendHealth h, Backend b, Instant now) {
        Duration window = Duration.ofMillis((long) livenessIntervals * b.healthCheck().intervalMs());
        Instant liveAfter = now.minus(window);
        Instant forgetBefore = now.minus(window.multipliedBy(FORGET_AFTER_WINDOWS));
        Map<String, VoteState> votes = new HashMap<>();
        int live = 0;
        int ups = 0;
        int downs = 0;
        for (VoteState v : h.votes().values()) {
            if (v.receivedAt().isBefore(forgetBefore)) {
                continue;
            }
            VoteState checked = v.withLive(!v.receivedAt().isBefore(liveAfter) && v.status() != HealthStatus.UNKNOWN);
            votes.put(checked.reporterId(), checked);
            if (checked.live()) {
                live++;
                ups += checked.status() == HealthStatus.UP ? 1 : 0;
                downs += checked.status() == HealthStatus.DOWN ? 1 : 0;
            }
        }
        int quorum = live == 0 ? 0 : live / 2 + 1;
        HealthStatus status = h.status();
        Set<VerdictFlag> flags = EnumSet.noneOf(VerdictFlag.class);
        if (live == 0) {
            if (status != HealthStatus.UNKNOWN) {
                flags.add(VerdictFlag.STALE);
            }
        } else if (ups >= quorum) {
            status = HealthStatus.UP;
        } else if (downs >= quorum) {
            status = HealthStatus.DOWN;
        } else {
            flags.add(VerdictFlag.DISPUTED);
        }
        Instant since = status == h.status() ? h.since() : now;
        return new BackendHealth(h.backendId(), status, since, live, quorum, flags, votes, h.lastPassiveFailure(), h.enabledSince());
    }

    private static BackendHealth withEnabledSince(BackendHealth h, Instant now) {
        return new BackendHealth(h.backendId(), h.status(), h.since(), h.liveCheckers(), h.quorum(), h.flags(), h.votes(),
                h.lastPassiveFailure(), now);
    }

    private static String votesSummary(BackendHealth h) {
        if (h.liveCheckers() == 0) {
            return "no live checker";
        }
        long agree = h.votes().values().stream().filter(v -> v.live() && v.status() == h.status()).count();
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
        if (!currentServing) {
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
        return new Outcome(new ControlState(s.topology(), s.health(), decision, memory), events);
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
