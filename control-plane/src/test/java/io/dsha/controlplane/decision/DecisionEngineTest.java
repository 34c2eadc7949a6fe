package io.dsha.controlplane.decision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dsha.api.event.Event;
import io.dsha.api.event.EventType;
import io.dsha.api.health.Hysteresis;
import io.dsha.api.report.Observation;
import io.dsha.api.report.ObservedStatus;
import io.dsha.api.report.Report;
import io.dsha.api.report.ReportSource;
import io.dsha.api.state.HealthStatus;
import io.dsha.api.state.RoutingDecision;
import io.dsha.api.state.VerdictFlag;
import io.dsha.api.topology.AdminState;
import io.dsha.api.topology.AllDownPolicy;
import io.dsha.api.topology.Backend;
import io.dsha.api.topology.Failback;
import io.dsha.api.topology.FailbackPolicy;
import io.dsha.api.topology.HealthCheck;
import io.dsha.api.topology.Mode;
import io.dsha.api.topology.TlsMode;
import io.dsha.api.topology.Topology;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The decision engine driven by hand: exact verdicts, routing decisions and events at exact times. */
class DecisionEngineTest {

    private static final long INTERVAL = 1000;
    private static final long DELAY = 10_000;

    private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    /** Records of ingest backlog per backend, as the proxies' reports would give them: set by hand. */
    private final Map<String, Long> backlog = new HashMap<>();
    private final DecisionEngine engine = new DecisionEngine(clock, 3, id -> backlog.getOrDefault(id, 0L));
    private final List<Event> events = new ArrayList<>();
    private ControlState state = ControlState.EMPTY;
    /** Each test checker's own rise/fall per backend, counted as its ProbeScheduler counts it: the engine is told the view. */
    private final Map<String, Hysteresis> views = new HashMap<>();

    // ---------- helpers ----------

    private static Backend backend(String id, int priority) {
        return new Backend(id, "10.0.0." + (id.charAt(0) - 'a' + 1), 8080, priority, null, null,
                new HealthCheck(null, null, null, (int) INTERVAL, 500, 2, 2));
    }

    private static Topology topology(Mode mode, FailbackPolicy policy, AllDownPolicy allDown, Backend... backends) {
        return new Topology(null, null, TlsMode.TERMINATE, mode, new Failback(policy, DELAY), allDown, Arrays.asList(backends));
    }

    private void apply(Outcome o) {
        state = o.state();
        events.addAll(o.events());
    }

    private void declare(Topology t) {
        apply(engine.applyTopology(state, t));
    }

    /** A probe by {@code checker}: its result goes through the checker's rise/fall, and the report carries both. */
    private void observe(String checker, String backend, ObservedStatus status) {
        observe(checker, backend, status, null, null);
    }

    /** The view {@code checker} holds of {@code backend} after a probe with this result (rise/fall of the backend's check). */
    private HealthStatus probed(String checker, String backend, ObservedStatus status) {
        HealthCheck check = state.topology().backend(backend).map(Backend::healthCheck).orElse(new HealthCheck(null, null, null, 1000, 500, 2, 2));
        Hysteresis next = views.getOrDefault(checker + "/" + backend, Hysteresis.INITIAL)
                .observe(status == ObservedStatus.UP, check.rise(), check.fall()).next();
        views.put(checker + "/" + backend, next);
        return next.status();
    }

    /** What a checker sends: one probe's raw result and its view, exactly as given (no rise/fall on the way). */
    private void send(String checker, String backend, ObservedStatus result, HealthStatus view) {
        Observation o = Observation.of(backend, result, result == ObservedStatus.DOWN ? "connection refused" : null, 3L, clock.instant())
                .withHealth(view);
        apply(engine.report(state, new Report(ReportSource.CHECKER, checker, List.of(o))));
    }

    private void up(String checker, String... backends) {
        for (String b : backends) {
            observe(checker, b, ObservedStatus.UP);
        }
    }

    private void down(String checker, String... backends) {
        for (String b : backends) {
            observe(checker, b, ObservedStatus.DOWN);
        }
    }

    private void tick() {
        apply(engine.tick(state));
    }

    private RoutingDecision routing() {
        return state.routing();
    }

    private HealthStatus verdict(String id) {
        return state.health().get(id).status();
    }

    private List<EventType> drainEventTypes() {
        List<EventType> types = events.stream().map(Event::type).toList();
        events.clear();
        return types;
    }

    private void startActivePassive(FailbackPolicy policy) {
        declare(topology(Mode.ACTIVE_PASSIVE, policy, AllDownPolicy.TRY_ALL, backend("a", 0), backend("b", 1)));
        up("c1", "a", "b");
        assertEquals(List.of("a"), routing().active());
        events.clear();
    }

    /** a goes DOWN after fall=2 failed probes; traffic fails over to b. */
    private void failPrimary() {
        down("c1", "a");
        assertEquals(List.of("a"), routing().active(), "one failure is not enough with fall 2");
        down("c1", "a");
        assertEquals(List.of("b"), routing().active());
    }

    // ---------- tests ----------

    @Test
    void nothingObservedYetIsAllDownWithEveryEnabledBackendToTry() {
        declare(topology(Mode.ACTIVE_PASSIVE, FailbackPolicy.AUTO, AllDownPolicy.TRY_ALL, backend("b", 1), backend("a", 0)));

        assertEquals(HealthStatus.UNKNOWN, verdict("a"));
        assertTrue(routing().allDown());
        assertEquals(List.of(), routing().active());
        assertEquals(List.of("a", "b"), routing().standby(), "TRY_ALL order is priority order");
        assertEquals(List.of(), drainEventTypes(), "start-up is not an outage");
    }

    @Test
    void activePassivePicksTheLowestPriorityThatIsUp() {
        declare(topology(Mode.ACTIVE_PASSIVE, FailbackPolicy.AUTO, AllDownPolicy.TRY_ALL, backend("a", 0), backend("b", 1)));
        up("c1", "a", "b");

        assertEquals(List.of("a"), routing().active());
        assertEquals(List.of("b"), routing().standby());
        assertFalse(routing().allDown());
        assertEquals(List.of(EventType.VERDICT_CHANGED, EventType.ACTIVE_SELECTED, EventType.VERDICT_CHANGED), drainEventTypes());
    }

    @Test
    void failoverWhenTheActiveGoesDown() {
        startActivePassive(FailbackPolicy.AUTO);

        failPrimary();

        assertEquals(HealthStatus.DOWN, verdict("a"));
        assertEquals(List.of(), routing().standby());
        assertEquals(List.of(EventType.VERDICT_CHANGED, EventType.FAILOVER), drainEventTypes());
        assertTrue(routing().reason().contains("failover: a is DOWN"), routing().reason());
    }

    @Test
    void autoFailbackAfterTheDelayOfContinuousHealth() {
        startActivePassive(FailbackPolicy.AUTO);
        failPrimary();
        events.clear();

        clock.advanceMillis(INTERVAL);
        up("c1", "a");
        assertEquals(HealthStatus.DOWN, verdict("a"), "rise 2: one success is not enough");
        clock.advanceMillis(INTERVAL);
        up("c1", "a");
        Instant upSince = clock.instant();
        assertEquals(HealthStatus.UP, verdict("a"));
        assertEquals(List.of("b"), routing().active(), "failback waits for the delay");
        assertEquals("a", routing().pendingFailback());
        assertEquals(upSince.plusMillis(DELAY), routing().failbackAt());
        assertEquals(List.of(EventType.VERDICT_CHANGED, EventType.FAILBACK_PENDING), drainEventTypes());

        clock.advanceMillis(DELAY - 1);
        tick();
        assertEquals(List.of("b"), routing().active());
        assertEquals(List.of(), drainEventTypes(), "the pending failback is announced once");

        clock.advanceMillis(1);
        tick();
        assertEquals(List.of("a"), routing().active());
        assertEquals(List.of("b"), routing().standby());
        assertNull(routing().pendingFailback());
        assertEquals(List.of(EventType.FAILBACK), drainEventTypes());
    }

    @Test
    void aFlapDuringTheFailbackDelayStartsTheDelayAgain() {
        startActivePassive(FailbackPolicy.AUTO);
        failPrimary();
        up("c1", "a");
        up("c1", "a");
        assertEquals("a", routing().pendingFailback());

        clock.advanceMillis(DELAY / 2);
        down("c1", "a");
        down("c1", "a");
        assertNull(routing().pendingFailback());
        clock.advanceMillis(INTERVAL);
        up("c1", "a");
        up("c1", "a");
        Instant upAgain = clock.instant();
        assertEquals(upAgain.plusMillis(DELAY), routing().failbackAt());

        clock.advanceMillis(DELAY / 2 + 1);
        tick();
        assertEquals(List.of("b"), routing().active(), "the first stretch of health does not count");
        clock.advanceMillis(DELAY);
        tick();
        assertEquals(List.of("a"), routing().active());
    }

    @Test
    void manualFailbackWaitsForTheOperator() {
        startActivePassive(FailbackPolicy.MANUAL);
        failPrimary();
        up("c1", "a");
        up("c1", "a");
        events.clear();

        clock.advanceMillis(DELAY * 100);
        tick();
        assertEquals(List.of("b"), routing().active());
        assertEquals("a", routing().pendingFailback());
        assertNull(routing().failbackAt());

        apply(engine.failback(state, "alice"));
        assertEquals(List.of("a"), routing().active());
        assertNull(routing().pendingFailback());
        Event failback = events.get(events.size() - 1);
        assertEquals(EventType.FAILBACK, failback.type());
        assertEquals("alice", failback.actor());
        assertEquals("b", failback.from());
        assertEquals("a", failback.to());

        FailbackRefused refused = assertThrows(FailbackRefused.class, () -> engine.failback(state, "alice"));
        assertEquals("nothing to fail back: a is already the preferred backend that is UP", refused.getMessage());
    }

    @Test
    void manualFailbackIsRefusedInActiveActive() {
        declare(topology(Mode.ACTIVE_ACTIVE, FailbackPolicy.MANUAL, AllDownPolicy.TRY_ALL, backend("a", 0), backend("b", 1)));
        FailbackRefused refused = assertThrows(FailbackRefused.class, () -> engine.failback(state, "alice"));
        assertEquals("failback applies to ACTIVE_PASSIVE; the mode is ACTIVE_ACTIVE", refused.getMessage());
    }

    @Test
    void withoutAFailoverTrafficGoesToTheBestBackendAtOnce() {
        declare(topology(Mode.ACTIVE_PASSIVE, FailbackPolicy.MANUAL, AllDownPolicy.TRY_ALL, backend("a", 0), backend("b", 1)));
        up("c1", "b");
        assertEquals(List.of("b"), routing().active());

        up("c1", "a");
        assertEquals(List.of("a"), routing().active(), "a was never failed away from: no failback policy applies");
        assertNull(routing().pendingFailback());
    }

    @Test
    void drainingTheActiveMovesNewTrafficAndListsItAsDraining() {
        startActivePassive(FailbackPolicy.AUTO);

        declare(state.topology().withBackend(state.topology().backend("a").orElseThrow().withAdminState(AdminState.DRAIN)));

        assertEquals(List.of("b"), routing().active());
        assertEquals(List.of("a"), routing().draining());
        assertEquals(List.of(EventType.FAILOVER), drainEventTypes());
        assertTrue(routing().reason().contains("a is in DRAIN"), routing().reason());
    }

    @Test
    void reEnabledBackendWaitsForTheFailbackDelayFromWhenItWasEnabled() {
        startActivePassive(FailbackPolicy.AUTO);
        Backend a = state.topology().backend("a").orElseThrow();
        declare(state.topology().withBackend(a.withAdminState(AdminState.MAINTENANCE)));
        assertEquals(List.of("b"), routing().active());

        clock.advanceMillis(DELAY * 5);
        declare(state.topology().withBackend(a.withAdminState(AdminState.ENABLED)));
        assertEquals(List.of("b"), routing().active(), "up for long, but enabled only now");
        assertEquals(clock.instant().plusMillis(DELAY), routing().failbackAt());

        clock.advanceMillis(DELAY);
        tick();
        assertEquals(List.of("a"), routing().active());
    }

    @Test
    void activeActiveSpreadsOverEnabledUpBackendsHonouringDrainAndMaintenance() {
        declare(topology(Mode.ACTIVE_ACTIVE, FailbackPolicy.AUTO, AllDownPolicy.TRY_ALL, backend("a", 0), backend("b", 1), backend("c", 2)));
        up("c1", "a", "b", "c");
        assertEquals(List.of("a", "b", "c"), routing().active());

        Topology t = state.topology();
        declare(t.withBackend(t.backend("b").orElseThrow().withAdminState(AdminState.DRAIN)));
        assertEquals(List.of("a", "c"), routing().active());
        assertEquals(List.of("b"), routing().draining());

        t = state.topology();
        declare(t.withBackend(t.backend("c").orElseThrow().withAdminState(AdminState.MAINTENANCE)));
        assertEquals(List.of("a"), routing().active());
        assertEquals(List.of("b"), routing().draining(), "MAINTENANCE is out of everything, even draining");

        events.clear();
        down("c1", "a");
        down("c1", "a");
        assertTrue(routing().allDown());
        assertEquals(List.of("a"), routing().standby(), "TRY_ALL tries what is ENABLED, not what drains or is in maintenance");
        assertEquals(List.of(EventType.VERDICT_CHANGED, EventType.ALL_DOWN), drainEventTypes());
    }

    @Test
    void activeActiveLosingOneBackendIsAFailoverToTheRest() {
        declare(topology(Mode.ACTIVE_ACTIVE, FailbackPolicy.AUTO, AllDownPolicy.TRY_ALL, backend("a", 0), backend("b", 1)));
        up("c1", "a", "b");
        events.clear();

        down("c1", "b");
        down("c1", "b");

        assertEquals(List.of("a"), routing().active());
        assertEquals(List.of(EventType.VERDICT_CHANGED, EventType.FAILOVER, EventType.ROUTING_CHANGED), drainEventTypes());

        up("c1", "b");
        up("c1", "b");
        assertEquals(List.of("a", "b"), routing().active(), "in ACTIVE_ACTIVE a backend rejoins once rise is met");
    }

    @Test
    void flappingIsSuppressedByRiseAndFall() {
        startActivePassive(FailbackPolicy.AUTO);

        for (int i = 0; i < 10; i++) {
            down("c1", "a");
            up("c1", "a");
        }

        assertEquals(HealthStatus.UP, verdict("a"));
        assertEquals(List.of("a"), routing().active());
        assertEquals(List.of(), drainEventTypes());
    }

    @Test
    void allDownTryAllListsEveryEnabledBackendInPriorityOrder() {
        declare(topology(Mode.ACTIVE_PASSIVE, FailbackPolicy.AUTO, AllDownPolicy.TRY_ALL, backend("a", 0), backend("b", 1), backend("c", 2)));
        up("c1", "a", "b", "c");
        Topology t = state.topology();
        declare(t.withBackend(t.backend("c").orElseThrow().withAdminState(AdminState.MAINTENANCE)));
        events.clear();

        down("c1", "a", "b", "a", "b");

        assertTrue(routing().allDown());
        assertEquals(List.of(), routing().active());
        assertEquals(List.of("a", "b"), routing().standby());
        assertTrue(routing().reason().contains("TRY_ALL"), routing().reason());
        assertTrue(drainEventTypes().contains(EventType.ALL_DOWN));

        up("c1", "b", "b");
        assertEquals(List.of("b"), routing().active());
        assertTrue(drainEventTypes().contains(EventType.ALL_DOWN_ENDED));
    }

    @Test
    void allDownFailFastSaysSoInTheDecision() {
        declare(topology(Mode.ACTIVE_PASSIVE, FailbackPolicy.AUTO, AllDownPolicy.FAIL_FAST, backend("a", 0), backend("b", 1)));
        up("c1", "a", "b");
        down("c1", "a", "b", "a", "b");

        assertTrue(routing().allDown());
        assertEquals(List.of(), routing().active());
        assertTrue(routing().reason().contains("answer 503 (FAIL_FAST)"), routing().reason());
    }

    @Test
    void aVerdictNeedsAMajorityOfLiveCheckers() {
        startActivePassive(FailbackPolicy.AUTO);
        up("c2", "a", "b");
        up("c3", "a", "b");
        assertEquals(3, state.health().get("a").liveCheckers());
        assertEquals(2, state.health().get("a").quorum());

        down("c1", "a", "a");
        assertEquals(HealthStatus.UP, verdict("a"), "one checker of three is not a majority");
        down("c2", "a", "a");
        assertEquals(HealthStatus.DOWN, verdict("a"));
        assertEquals(List.of("b"), routing().active());
    }

    @Test
    void anEvenSplitKeepsTheVerdictAndFlagsItDisputed() {
        startActivePassive(FailbackPolicy.AUTO);
        up("c2", "a", "b");

        down("c1", "a", "a");

        assertEquals(HealthStatus.UP, verdict("a"));
        assertEquals(Set.of(VerdictFlag.DISPUTED), state.health().get("a").flags());
        assertEquals(List.of("a"), routing().active());
    }

    @Test
    void aSilentCheckerDropsOutOfTheCount() {
        startActivePassive(FailbackPolicy.AUTO);
        up("c2", "a", "b");
        assertEquals(2, state.health().get("a").liveCheckers());

        // c2 goes silent; c1 keeps reporting a as DOWN: a 1:1 split until c2's vote expires.
        down("c1", "a", "a");
        assertEquals(HealthStatus.UP, verdict("a"));
        for (int i = 0; i < 3; i++) {
            clock.advanceMillis(INTERVAL);
            down("c1", "a");
        }
        clock.advanceMillis(1);
        tick();
        assertEquals(1, state.health().get("a").liveCheckers());
        assertEquals(HealthStatus.DOWN, verdict("a"));
        assertEquals(List.of("b"), routing().active());
    }

    @Test
    void noLiveCheckerKeepsTheLastVerdictAndFlagsItStale() {
        startActivePassive(FailbackPolicy.AUTO);

        clock.advanceMillis(3 * INTERVAL + 1);
        tick();

        assertEquals(HealthStatus.UP, verdict("a"));
        assertEquals(Set.of(VerdictFlag.STALE), state.health().get("a").flags());
        assertEquals(0, state.health().get("a").liveCheckers());
        assertEquals(List.of("a"), routing().active(), "losing sight of a backend is no reason to move traffic");
    }

    @Test
    void proxyObservationsAreRecordedButDoNotVote() {
        startActivePassive(FailbackPolicy.AUTO);

        apply(engine.report(state, new Report(ReportSource.PROXY, "proxy-1",
                List.of(Observation.of("a", ObservedStatus.DOWN, "connection reset", null, clock.instant())))));

        assertEquals(HealthStatus.UP, verdict("a"));
        assertEquals("proxy-1", state.health().get("a").lastPassiveFailure().reporterId());
        assertEquals("connection reset", state.health().get("a").lastPassiveFailure().reason());
        assertEquals(List.of("a"), routing().active());
    }

    @Test
    void aBackendThatMovesToANewAddressStartsUnknown() {
        startActivePassive(FailbackPolicy.AUTO);
        Backend a = state.topology().backend("a").orElseThrow();

        declare(state.topology().withBackend(new Backend("a", "10.9.9.9", 8080, 0, 1, AdminState.ENABLED, a.healthCheck())));

        assertEquals(HealthStatus.UNKNOWN, verdict("a"));
        assertEquals(List.of("b"), routing().active());
    }

    @Test
    void reportsAboutUnknownBackendsAreIgnored() {
        startActivePassive(FailbackPolicy.AUTO);
        ControlState before = state;

        up("c1", "zz");

        assertFalse(before.differsFrom(state));
    }

    @Test
    void switchingModeKeepsTheActiveBackendWithoutAFailover() {
        startActivePassive(FailbackPolicy.AUTO);

        declare(state.topology().withMode(Mode.ACTIVE_ACTIVE));
        assertEquals(List.of("a", "b"), routing().active());
        declare(state.topology().withMode(Mode.ACTIVE_PASSIVE));
        assertEquals(List.of("a"), routing().active());

        assertFalse(drainEventTypes().contains(EventType.FAILOVER));
    }

    @Test
    void reEvaluatingWithoutChangeKeepsTheDecisionIdentical() {
        startActivePassive(FailbackPolicy.AUTO);
        failPrimary();
        RoutingDecision afterFailover = routing();

        clock.advanceMillis(10);
        tick();

        assertEquals(afterFailover, routing(), "a tick with nothing new must not change the decision (nor the revision)");
    }

    // ---------- rise/fall is the checker's: the engine takes its view as it is ----------

    @Test
    void theCheckersViewIsTakenAsItIsWithoutCountingFallAgain() {
        startActivePassive(FailbackPolicy.AUTO);

        send("c1", "a", ObservedStatus.DOWN, HealthStatus.UP);
        assertEquals(HealthStatus.UP, verdict("a"), "the checker is still counting its failures: its view is UP");
        assertEquals(ObservedStatus.DOWN, state.health().get("a").votes().get("c1").lastResult());

        send("c1", "a", ObservedStatus.DOWN, HealthStatus.DOWN);
        assertEquals(HealthStatus.DOWN, verdict("a"), "the checker's fall was met: DOWN on this report, not after fall more");
        assertEquals(List.of("b"), routing().active());
        assertEquals(List.of(EventType.VERDICT_CHANGED, EventType.FAILOVER), drainEventTypes());

        send("c1", "a", ObservedStatus.UP, HealthStatus.UP);
        assertEquals(HealthStatus.UP, verdict("a"), "nor rise again: the checker's rise was met");
        assertEquals("a", routing().pendingFailback());
    }

    @Test
    void aCoalescedReportStreamNoLongerDelaysAFailover() {
        // The checker probed a twice and failed twice (fall 2): DOWN from its view at the second probe. Its
        // reporter was busy meanwhile, so only the newest observation per backend went out: one report.
        startActivePassive(FailbackPolicy.AUTO);
        probed("c1", "a", ObservedStatus.UP);
        probed("c1", "a", ObservedStatus.DOWN);
        HealthStatus view = probed("c1", "a", ObservedStatus.DOWN);
        assertEquals(HealthStatus.DOWN, view);

        send("c1", "a", ObservedStatus.DOWN, view);

        // Counting fall here again (as before) kept a UP with one failure in a row and waited for another report.
        assertEquals(HealthStatus.DOWN, verdict("a"));
        assertEquals(List.of("b"), routing().active(), "failover on the report that carries the checker's DOWN");
    }

    @Test
    void aCoalescedReportStreamNoLongerFlipsAVerdictTheCheckerNeverChanged() {
        // The checker sees a flap: fail, pass, fail, pass, fail. No two failures in a row: it never leaves UP. Its
        // reports were coalesced to the failures only (the passes were replaced before they were sent).
        startActivePassive(FailbackPolicy.AUTO);
        List<HealthStatus> sent = new ArrayList<>();
        for (ObservedStatus r : List.of(ObservedStatus.DOWN, ObservedStatus.UP, ObservedStatus.DOWN, ObservedStatus.UP, ObservedStatus.DOWN)) {
            HealthStatus view = probed("c1", "a", r);
            if (r == ObservedStatus.DOWN) {
                send("c1", "a", r, view);
                sent.add(view);
            }
        }

        // Counting fall here again saw two DOWN results in a row and failed over from a backend the checker sees UP.
        assertEquals(List.of(HealthStatus.UP, HealthStatus.UP, HealthStatus.UP), sent);
        assertEquals(HealthStatus.UP, verdict("a"));
        assertEquals(List.of("a"), routing().active());
        assertEquals(List.of(), drainEventTypes());
    }

    @Test
    void aReportWithoutAViewCountsItsResultAsTheView() {
        // A reporter that applies no rise/fall of its own (rise = fall = 1); DEGRADED from a checker is a view of UP.
        startActivePassive(FailbackPolicy.AUTO);

        apply(engine.report(state, new Report(ReportSource.CHECKER, "c1",
                List.of(Observation.of("a", ObservedStatus.DOWN, "connection refused", 3L, clock.instant())))));
        assertEquals(HealthStatus.DOWN, verdict("a"));

        send("c1", "a", ObservedStatus.UP, HealthStatus.DEGRADED);
        assertEquals(HealthStatus.UP, verdict("a"));
    }

    // ---------- checkers that must agree; certificate and freshness cross-checks ----------

    private void observe(String checker, String backend, ObservedStatus status, List<String> degraded, Long lag) {
        HealthStatus view = probed(checker, backend, status);
        Observation o = Observation.of(backend, status, status == ObservedStatus.DOWN ? "connection refused" : null, 3L, clock.instant())
                .withDegraded(degraded).withLag(lag).withHealth(view);
        apply(engine.report(state, new Report(ReportSource.CHECKER, checker, List.of(o))));
    }

    private Topology withFreshness(Topology t, long maxLag, long holdMs) {
        return new Topology(t.listener(), t.fqdn(), t.tlsMode(), t.mode(), t.failback(), t.allDown(), t.backends(),
                new io.dsha.api.topology.Freshness("/status", "/lastRecordTime", null, maxLag, null, null, holdMs));
    }

    private List<Event> eventsOf(EventType type) {
        return events.stream().filter(e -> e.type() == type).toList();
    }

    @Test
    void aCheckerThatSeesEverythingFailWhileTheOthersSeeThemUpIsIsolatedNotBelieved() {
        startActivePassive(FailbackPolicy.AUTO);
        up("c2", "a", "b");
        up("c3", "a", "b");

        down("c3", "a", "b", "a", "b");

        assertEquals(HealthStatus.UP, verdict("a"));
        assertEquals(HealthStatus.UP, verdict("b"));
        assertEquals(List.of("a"), routing().active());
        assertEquals(2, state.health().get("a").liveCheckers(), "the isolated checker's vote is set aside");
        assertEquals(2, state.health().get("a").quorum());
        assertEquals(Boolean.TRUE, state.verdicts().get(0).votes().stream().filter(v -> v.reporterId().equals("c3")).findFirst()
                .orElseThrow().isolated());
        List<Event> isolated = eventsOf(EventType.CHECKER_ISOLATED);
        assertEquals(1, isolated.size(), events.toString());
        assertEquals("c3", isolated.get(0).to());
        assertFalse(drainEventTypes().contains(EventType.FAILOVER));

        // Repeating itself changes nothing; seeing the backends again brings its votes back.
        down("c3", "a", "b");
        assertTrue(eventsOf(EventType.CHECKER_ISOLATED).isEmpty());
        up("c3", "a", "a", "b", "b");
        assertEquals(3, state.health().get("a").liveCheckers());
        assertEquals(List.of(EventType.CHECKER_REJOINED), eventsOf(EventType.CHECKER_REJOINED).stream().map(Event::type).toList());
    }

    @Test
    void aNewCheckersFirstFailedProbeCastsNoVoteAndCannotEndAnIsolation() {
        // c1 has watched a and b UP; c3 is cut off and isolated. c2 starts on a busy host and its first probe of a
        // times out: that one result is no evidence against c1's, so c3 stays isolated and nothing fails over.
        startActivePassive(FailbackPolicy.AUTO);
        down("c3", "a", "b", "a", "b");
        assertEquals(List.of("c3"), eventsOf(EventType.CHECKER_ISOLATED).stream().map(Event::to).toList());
        drainEventTypes();

        down("c2", "a");

        assertEquals(HealthStatus.UNKNOWN, state.health().get("a").votes().get("c2").status(), "one failure of a new view is pending");
        assertEquals(HealthStatus.UP, verdict("a"));
        assertEquals(List.of("a"), routing().active());
        List<EventType> types = drainEventTypes();
        assertFalse(types.contains(EventType.CHECKER_REJOINED), types.toString());
        assertFalse(types.contains(EventType.FAILOVER), types.toString());

        // Its next result decides: UP at once, or DOWN once fall (2) failures came in a row.
        up("c2", "a");
        assertEquals(HealthStatus.UP, state.health().get("a").votes().get("c2").status());
        down("c2", "b", "b");
        assertEquals(HealthStatus.DOWN, state.health().get("b").votes().get("c2").status());
    }

    @Test
    void everyCheckerSeeingEverythingFailIsAnOutageNotAnIsolation() {
        startActivePassive(FailbackPolicy.AUTO);
        up("c2", "a", "b");

        // As it happens: each checker probes each backend once per interval, and they all see the failures.
        for (int i = 0; i < 2; i++) {
            down("c1", "a", "b");
            down("c2", "a", "b");
        }

        assertEquals(HealthStatus.DOWN, verdict("a"));
        assertEquals(HealthStatus.DOWN, verdict("b"));
        assertTrue(routing().allDown());
        assertTrue(eventsOf(EventType.CHECKER_ISOLATED).isEmpty());
    }

    @Test
    void aSingleCheckerDecidesAloneWithAQuorumOfOne() {
        startActivePassive(FailbackPolicy.AUTO);

        down("c1", "a", "b", "a", "b");

        assertEquals(1, state.health().get("a").quorum());
        assertEquals(HealthStatus.DOWN, verdict("a"));
        assertTrue(eventsOf(EventType.CHECKER_ISOLATED).isEmpty());
    }

    @Test
    void twoCheckersThatDisagreeOnOneBackendStayDisputedWithoutFlapping() {
        startActivePassive(FailbackPolicy.AUTO);
        up("c2", "a", "b");
        down("c1", "a", "a");
        events.clear();

        for (int i = 0; i < 20; i++) {
            clock.advanceMillis(INTERVAL);
            down("c1", "a");
            up("c1", "b");
            up("c2", "a", "b");
            assertEquals(HealthStatus.UP, verdict("a"));
            assertEquals(Set.of(VerdictFlag.DISPUTED), state.health().get("a").flags());
            assertEquals(List.of("a"), routing().active());
        }
        assertTrue(eventsOf(EventType.VERDICT_CHANGED).isEmpty(), events.toString());
        assertTrue(eventsOf(EventType.CHECKER_ISOLATED).isEmpty(), "c1 still sees b: it is not cut off");
    }

    @Test
    void aCertificateProblemFlagsTheBackendDegradedButKeepsItInRotation() {
        declare(topology(Mode.ACTIVE_ACTIVE, FailbackPolicy.AUTO, AllDownPolicy.TRY_ALL, backend("a", 0), backend("b", 1)));
        up("c1", "a", "b");
        String reason = "certificate expires in 5 days (2026-01-06T00:00:00Z)";

        observe("c1", "a", ObservedStatus.UP, List.of(reason), null);

        assertEquals(HealthStatus.UP, verdict("a"));
        assertEquals(Set.of(VerdictFlag.DEGRADED), state.health().get("a").flags());
        assertEquals(List.of(reason), state.verdicts().get(0).degraded());
        assertEquals(List.of("a", "b"), routing().active(), "a certificate warning does not take a backend out of rotation");
        assertEquals(1, eventsOf(EventType.DEGRADED).size());
        assertTrue(eventsOf(EventType.DEGRADED).get(0).message().contains(reason));

        observe("c1", "a", ObservedStatus.UP, null, null);
        assertEquals(Set.of(), state.health().get("a").flags());
        assertEquals(1, eventsOf(EventType.DEGRADED_ENDED).size());
    }

    @Test
    void aCertificateProblemSeenByAMinorityOfCheckersDoesNotCount() {
        startActivePassive(FailbackPolicy.AUTO);
        up("c2", "a", "b");
        up("c3", "a", "b");

        observe("c1", "a", ObservedStatus.UP, List.of("certificate is self-signed (CN=a)"), null);

        assertEquals(Set.of(), state.health().get("a").flags());
    }

    @Test
    void aLaggingInstanceIsDegradedWithItsLagAndEventsWhenLagStartsAndStops() {
        declare(withFreshness(topology(Mode.ACTIVE_PASSIVE, FailbackPolicy.AUTO, AllDownPolicy.TRY_ALL, backend("a", 0), backend("b", 1)),
                5000, 10_000));
        up("c1", "a", "b");
        events.clear();

        observe("c1", "b", ObservedStatus.UP, List.of("data lags the freshest instance (a) by more than 5000 ms"), 12_000L);

        assertEquals(HealthStatus.DEGRADED, verdict("b"));
        assertEquals(12_000L, state.verdicts().get(1).lag());
        assertEquals(Set.of(VerdictFlag.DEGRADED), state.health().get("b").flags());
        assertEquals(1, eventsOf(EventType.LAG_STARTED).size());
        assertTrue(eventsOf(EventType.LAG_STARTED).get(0).message().contains("12000 ms"), events.toString());

        observe("c1", "b", ObservedStatus.UP, null, 200L);
        assertEquals(HealthStatus.UP, verdict("b"));
        assertEquals(1, eventsOf(EventType.LAG_ENDED).size());
        assertEquals(List.of("a"), routing().active());
    }

    @Test
    void aPrimaryDownByAHairHoldsTrafficRatherThanFailingOverToALaggingStandby() {
        declare(withFreshness(topology(Mode.ACTIVE_PASSIVE, FailbackPolicy.AUTO, AllDownPolicy.TRY_ALL, backend("a", 0), backend("b", 1)),
                5000, 10_000));
        up("c1", "a", "b");
        up("c2", "a", "b");
        up("c3", "a", "b");
        for (String c : List.of("c1", "c2", "c3")) {
            observe(c, "b", ObservedStatus.UP, List.of("data lags the freshest instance (a) by more than 5000 ms"), 60_000L);
        }
        assertEquals(HealthStatus.DEGRADED, verdict("b"));
        events.clear();

        // Two of three checkers lose a: DOWN, but c3 still sees it UP.
        down("c1", "a", "a");
        down("c2", "a", "a");
        assertEquals(HealthStatus.DOWN, verdict("a"));
        assertEquals(List.of("a"), routing().active(), routing().reason());
        assertTrue(routing().reason().startsWith("holding traffic on a"), routing().reason());
        assertEquals(1, eventsOf(EventType.FAILOVER_HELD).size());
        assertTrue(eventsOf(EventType.FAILOVER).isEmpty());

        // The checkers go on probing; the hold runs out after 10 s: traffic moves, and the event says how much data clients will miss.
        for (int second = 1; second <= 10; second++) {
            assertEquals(List.of("a"), routing().active(), "still held after " + second + " s");
            clock.advanceMillis(INTERVAL);
            down("c1", "a");
            down("c2", "a");
            up("c3", "a");
            for (String c : List.of("c1", "c2", "c3")) {
                observe(c, "b", ObservedStatus.UP, List.of("data lags the freshest instance (a) by more than 5000 ms"), 60_000L);
            }
        }
        assertEquals(List.of("b"), routing().active(), routing().reason());
        assertEquals(1, eventsOf(EventType.FAILOVER).size());
        List<Event> gap = eventsOf(EventType.DATA_GAP);
        assertEquals(1, gap.size(), events.toString());
        assertTrue(gap.get(0).message().contains("clients will miss about 60000 ms of data"), gap.get(0).message());
    }

    @Test
    void aPrimaryDownForEveryCheckerFailsOverToALaggingStandbyAtOnceAndSaysWhatIsMissing() {
        declare(withFreshness(topology(Mode.ACTIVE_PASSIVE, FailbackPolicy.AUTO, AllDownPolicy.TRY_ALL, backend("a", 0), backend("b", 1)),
                5000, 10_000));
        up("c1", "a", "b");
        observe("c1", "b", ObservedStatus.UP, List.of("data lags the freshest instance (a) by more than 5000 ms"), 8_000L);
        events.clear();

        down("c1", "a", "a");

        assertEquals(List.of("b"), routing().active());
        assertTrue(eventsOf(EventType.FAILOVER_HELD).isEmpty());
        assertTrue(eventsOf(EventType.DATA_GAP).get(0).message().contains("8000 ms"));
    }

    @Test
    void theProxysCertificateIsDegradedWhenMostCheckersSeeAProblem() {
        startActivePassive(FailbackPolicy.AUTO);
        String reason = "certificate is self-signed (CN=lb.example.com): clients that refuse self-signed certificates will not connect";
        java.util.function.BiConsumer<String, List<String>> listener = (checker, degraded) -> apply(engine.report(state,
                new Report(ReportSource.CHECKER, checker, List.of(Observation.of("a", ObservedStatus.UP, null, 1L, clock.instant())),
                        new io.dsha.api.report.ListenerObservation(ObservedStatus.UP, null, degraded, 200L, clock.instant()))));

        listener.accept("c1", List.of(reason));
        assertEquals(List.of(reason), state.snapshot(1, 1).listener().degraded());
        assertEquals(Set.of(VerdictFlag.DEGRADED), state.snapshot(1, 1).listener().flags());
        assertEquals(1, eventsOf(EventType.DEGRADED).size());
        assertEquals(List.of("a"), routing().active(), "the proxy's certificate says nothing about the backends");

        listener.accept("c2", null);
        listener.accept("c3", null);
        assertEquals(null, state.snapshot(1, 1).listener().degraded(), "one checker of three is not a majority");
        assertEquals(3, state.snapshot(1, 1).listener().liveCheckers());
        assertEquals(1, eventsOf(EventType.DEGRADED_ENDED).size());

        clock.advanceMillis(3 * INTERVAL + 1);
        tick();
        assertEquals(0, state.snapshot(1, 1).listener().liveCheckers(), "silent checkers' findings stop counting");
    }
    // ---------- ingest backlogs ----------

    private static Topology withIngest(Topology t) {
        return new Topology(t.listener(), t.fqdn(), t.tlsMode(), t.mode(), t.failback(), t.allDown(), t.backends(), t.freshness(),
                new io.dsha.api.topology.Ingest(List.of(new io.dsha.api.topology.IngestRoute("POST", "/api/records")), null, null, null,
                        null, null));
    }

    /** a active and seen UP by three checkers, b UP behind it; then c1 and c2 lose a while c3 still sees it UP. */
    private void primaryDownByAHair(Topology t) {
        declare(t);
        up("c1", "a", "b");
        up("c2", "a", "b");
        up("c3", "a", "b");
        assertEquals(List.of("a"), routing().active());
        events.clear();
        down("c1", "a", "a");
        down("c2", "a", "a");
        assertEquals(HealthStatus.DOWN, verdict("a"));
    }

    /** A second later, the checkers see the same: a DOWN for c1 and c2, UP for c3; b UP for all. */
    private void stillDownByAHair() {
        clock.advanceMillis(INTERVAL);
        down("c1", "a");
        down("c2", "a");
        up("c3", "a");
        for (String c : List.of("c1", "c2", "c3")) {
            up(c, "b");
        }
    }

    @Test
    void aStandbyStillBeingReplayedToHoldsTheFailoverForTheDefaultHoldWithoutAFreshnessCheck() {
        backlog.put("b", 12L);

        primaryDownByAHair(withIngest(topology(Mode.ACTIVE_PASSIVE, FailbackPolicy.AUTO, AllDownPolicy.TRY_ALL, backend("a", 0),
                backend("b", 1))));

        assertEquals(List.of("a"), routing().active(), routing().reason());
        List<Event> held = eventsOf(EventType.FAILOVER_HELD);
        assertEquals(1, held.size(), events.toString());
        assertTrue(held.get(0).message().contains("b has 12 records still being replayed to it"), held.get(0).message());
        assertTrue(held.get(0).message().endsWith("failover at " + clock.instant().plusMillis(10_000) + " unless it recovers"),
                held.get(0).message());
        String reason = routing().reason();

        // The replay goes on: a smaller backlog keeps the hold and its reason (no new revision for each count).
        backlog.put("b", 5L);
        for (int second = 1; second <= 9; second++) {
            stillDownByAHair();
            assertEquals(List.of("a"), routing().active(), "still held after " + second + " s");
        }
        assertEquals(reason, routing().reason());
        assertEquals(1, eventsOf(EventType.FAILOVER_HELD).size());

        // The hold runs out: traffic moves, and the event says what clients will miss there.
        stillDownByAHair();
        assertEquals(List.of("b"), routing().active(), routing().reason());
        List<Event> gap = eventsOf(EventType.DATA_GAP);
        assertEquals(1, gap.size(), events.toString());
        assertEquals("traffic moved from a to b, which has 5 records still being replayed to it: clients will miss them until they are "
                + "delivered", gap.get(0).message());
    }

    @Test
    void theHoldEndsWhenTheReplayIsDone() {
        backlog.put("b", 3L);
        primaryDownByAHair(withIngest(topology(Mode.ACTIVE_PASSIVE, FailbackPolicy.AUTO, AllDownPolicy.TRY_ALL, backend("a", 0),
                backend("b", 1))));
        assertEquals(List.of("a"), routing().active());

        backlog.remove("b");
        stillDownByAHair();

        assertEquals(List.of("b"), routing().active(), routing().reason());
        assertEquals(1, eventsOf(EventType.FAILOVER).size());
        assertTrue(eventsOf(EventType.DATA_GAP).isEmpty(), "b has every record now");
    }

    @Test
    void withoutABacklogOrWithAnotherCompleteStandbyThereIsNoHold() {
        primaryDownByAHair(withIngest(topology(Mode.ACTIVE_PASSIVE, FailbackPolicy.AUTO, AllDownPolicy.TRY_ALL, backend("a", 0),
                backend("b", 1))));
        assertEquals(List.of("b"), routing().active(), "nothing held for b: it has every record");
        assertTrue(eventsOf(EventType.FAILOVER_HELD).isEmpty());

        // Three backends: b is being replayed to, c is not: no hold; b, next by priority, takes over with a gap said.
        state = ControlState.EMPTY;
        views.clear();
        backlog.put("b", 40L);
        declare(withIngest(topology(Mode.ACTIVE_PASSIVE, FailbackPolicy.AUTO, AllDownPolicy.TRY_ALL, backend("a", 0), backend("b", 1),
                backend("c", 2))));
        for (String checker : List.of("c1", "c2", "c3")) {
            up(checker, "a", "b", "c");
        }
        events.clear();
        down("c1", "a", "a");
        down("c2", "a", "a");
        assertEquals(List.of("b"), routing().active(), routing().reason());
        assertTrue(eventsOf(EventType.FAILOVER_HELD).isEmpty());
        assertTrue(eventsOf(EventType.DATA_GAP).get(0).message().contains("which has 40 records still being replayed to it"));
    }

    @Test
    void withoutIngestOrFreshnessThereIsNoHold() {
        backlog.put("b", 12L);
        primaryDownByAHair(topology(Mode.ACTIVE_PASSIVE, FailbackPolicy.AUTO, AllDownPolicy.TRY_ALL, backend("a", 0), backend("b", 1)));
        assertEquals(List.of("b"), routing().active());
        assertEquals(0L, DecisionEngine.failoverHoldMs(state.topology()));
    }

    @Test
    void aLagIsExplainedByTheBacklogBeingReplayed() {
        backlog.put("b", 7L);
        Topology t = withIngest(withFreshness(topology(Mode.ACTIVE_PASSIVE, FailbackPolicy.AUTO, AllDownPolicy.TRY_ALL, backend("a", 0),
                backend("b", 1)), 5000, 10_000));
        declare(t);
        up("c1", "a", "b");
        up("c2", "a", "b");
        up("c3", "a", "b");
        for (String c : List.of("c1", "c2", "c3")) {
            observe(c, "b", ObservedStatus.UP, List.of("data lags the freshest instance (a) by more than 5000 ms"), 60_000L);
        }

        List<Event> lag = eventsOf(EventType.LAG_STARTED);
        assertEquals(1, lag.size());
        assertEquals("b's data lags the freshest instance by 60000 ms (more than the 5000 ms allowed) (explained: 7 records of ingest "
                + "backlog being replayed to it)", lag.get(0).message());
        events.clear();

        down("c1", "a", "a");
        down("c2", "a", "a");
        assertTrue(eventsOf(EventType.FAILOVER_HELD).get(0).message().contains(
                "b lags by 60000 ms (explained: 7 records of ingest backlog being replayed to it)"), events.toString());
    }
}
