package io.dsha.controlplane;

import io.dsha.api.event.Event;
import io.dsha.api.event.EventType;
import io.dsha.api.report.Report;
import io.dsha.api.report.ReportReceipt;
import io.dsha.api.topology.AdminState;
import io.dsha.api.topology.Backend;
import io.dsha.api.topology.Mode;
import io.dsha.api.topology.Topology;
import io.dsha.controlplane.decision.ControlState;
import io.dsha.controlplane.decision.DecisionEngine;
import io.dsha.controlplane.decision.Outcome;
import io.dsha.controlplane.store.Published;
import io.dsha.controlplane.store.StateStore;
import io.dsha.controlplane.store.Store;
import io.dsha.controlplane.topology.InvalidTopology;
import io.dsha.controlplane.topology.InvalidTopology.Origin;
import io.dsha.controlplane.topology.TopologyFiles;
import io.dsha.controlplane.topology.TopologyValidator;
import io.dsha.controlplane.topology.ValidTopology;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * The control plane's operations: every change an operator, a checker or a proxy can ask for,
 * validated and applied through the {@link Store}. Plain Java (no CDI), so that tests can
 * build one around a driven clock. A refusal is a typed exception ({@link InvalidTopology},
 * {@link NoTopology}, {@link UnknownBackend}, {@link BackendIdMismatch}, {@code FailbackRefused},
 * {@code RevisionMismatch}); only the REST layer gives it an HTTP status.
 */
public final class ControlPlane implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ControlPlane.class);

    private final Store store;
    private final DecisionEngine engine;
    private final TopologyValidator validator;

    /** Opens a {@link Store}, given how a state read back is settled (the engine's view of a restored state). */
    @FunctionalInterface
    public interface StoreOpener {
        Store open(UnaryOperator<ControlState> settle);
    }

    /** The state in files under {@code stateDir} ({@code dsha.store=file}). */
    public ControlPlane(Path stateDir, DecisionEngine engine, TopologyValidator validator, int maxEvents) {
        this(settle -> StateStore.open(stateDir, validator, settle, maxEvents), engine, validator);
    }

    public ControlPlane(StoreOpener opener, DecisionEngine engine, TopologyValidator validator) {
        this.engine = Objects.requireNonNull(engine, "engine");
        this.validator = Objects.requireNonNull(validator, "validator");
        this.store = opener.open(s -> engine.tick(s).state());
    }

    /** Seeds an empty state from a topology file; a file that does not validate stops here with every violation. */
    public void seedIfEmpty(Path topologyFile) {
        Published p = store.current();
        if (p.revision() != 0 || p.state().topology() != null) {
            LOG.infof("State %s is at revision %d; the topology file %s is not used", store.location(), p.revision(), topologyFile);
            return;
        }
        replaceTopology(TopologyFiles.load(topologyFile, validator), null, "topology-file " + topologyFile);
        LOG.infof("Seeded the state from %s", topologyFile);
    }

    public Store store() {
        return store;
    }

    public TopologyValidator validator() {
        return validator;
    }

    public Published current() {
        return store.current();
    }

    /** Replaces the whole topology, validated once by whoever made {@code valid} (the REST layer, or the file at start). */
    public Published replaceTopology(ValidTopology valid, Long ifMatch, String actor) {
        Topology topology = valid.topology();
        return store.update(ifMatch, s -> {
            if (topology.equals(s.topology())) {
                return unchanged(s);
            }
            String what = s.topology() == null ? "topology declared" : "topology replaced";
            return withOperatorEvent(engine.applyTopology(s, topology),
                    event(EventType.TOPOLOGY_REPLACED, actor, null, null, null,
                            what + ": " + topology.mode() + ", " + topology.tlsMode() + ", backends " + ids(topology)));
        });
    }

    public Published setMode(Mode mode, Long ifMatch, String actor) {
        return store.update(ifMatch, s -> {
            Topology t = requireTopology(s);
            if (t.mode() == mode) {
                return unchanged(s);
            }
            Topology next = validator.require(t.withMode(mode), Origin.REQUESTED).topology();
            return withOperatorEvent(engine.applyTopology(s, next),
                    event(EventType.MODE_CHANGED, actor, null, t.mode().name(), mode.name(), "mode " + t.mode() + " -> " + mode));
        });
    }

    /** Adds or replaces a backend; {@code added} tells which. */
    public record BackendChange(Published published, boolean added) {
    }

    public BackendChange putBackend(String id, Backend backend, Long ifMatch, String actor) {
        Backend b = backend.id() == null ? backend.withId(id) : backend;
        if (!id.equals(b.id())) {
            throw new BackendIdMismatch(id, b.id());
        }
        boolean[] added = {false};
        Published p = store.update(ifMatch, s -> {
            Topology t = requireTopology(s);
            Backend before = t.backend(id).orElse(null);
            added[0] = before == null;
            Topology next = t.withBackend(b);
            if (next.equals(t)) {
                return unchanged(s);
            }
            validator.require(next, Origin.REQUESTED);
            Backend after = next.backend(id).orElseThrow();
            String message = before == null
                    ? "backend " + id + " added at " + after.address() + " (priority " + after.priority() + ")"
                    : "backend " + id + " updated: " + describeChange(before, after);
            return withOperatorEvent(engine.applyTopology(s, next),
                    event(before == null ? EventType.BACKEND_ADDED : EventType.BACKEND_UPDATED, actor, id, null, null, message));
        });
        return new BackendChange(p, added[0]);
    }

    public Published deleteBackend(String id, Long ifMatch, String actor) {
        return store.update(ifMatch, s -> {
            Topology t = requireTopology(s);
            Backend before = requireBackend(t, id);
            Topology next = validator.require(t.withoutBackend(id), Origin.LEFT_BY_REMOVAL).topology();
            return withOperatorEvent(engine.applyTopology(s, next),
                    event(EventType.BACKEND_REMOVED, actor, id, null, null, "backend " + id + " at " + before.address() + " removed"));
        });
    }

    public Published setAdminState(String id, AdminState state, Long ifMatch, String actor) {
        return store.update(ifMatch, s -> {
            Topology t = requireTopology(s);
            Backend before = requireBackend(t, id);
            if (before.adminState() == state) {
                return unchanged(s);
            }
            Topology next = t.withBackend(before.withAdminState(state));
            return withOperatorEvent(engine.applyTopology(s, next),
                    event(EventType.ADMIN_STATE_CHANGED, actor, id, before.adminState().name(), state.name(),
                            "backend " + id + ": " + before.adminState() + " -> " + state));
        });
    }

    public Published failback(String actor) {
        return store.update(null, s -> engine.failback(s, actor));
    }

    public ReportReceipt report(Report report) {
        Published before = store.current();
        Topology t = before.state().topology();
        // A set, not Topology.backend per observation: a report of 1,000 backends against 1,000 is a million comparisons.
        Set<String> known = t == null ? Set.of() : t.backends().stream().map(Backend::id).collect(Collectors.toSet());
        List<String> unknown = report.observations().stream()
                .map(o -> o.backendId())
                .filter(id -> !known.contains(id))
                .distinct()
                .toList();
        Published after = store.update(null, s -> engine.report(s, report));
        return new ReportReceipt(report.observations().size() - (int) report.observations().stream()
                .filter(o -> unknown.contains(o.backendId())).count(), unknown, after.revision());
    }

    /** Re-evaluates time-driven decisions; called periodically. */
    public Published tick() {
        return store.update(null, engine::tick);
    }

    /**
     * Records what the proxies' reports tell of ({@code observed}: ingest backlogs starting, clearing, diverging) and
     * re-evaluates with it, as a tick does: a backlog can hold a failover. A new revision, as for any event; the
     * topology's revision does not move.
     */
    public Published tick(List<Event> observed) {
        return store.update(null, s -> withEventsFirst(engine.tick(s), observed));
    }

    @Override
    public void close() {
        store.close();
    }

    private static Topology requireTopology(ControlState s) {
        if (s.topology() == null) {
            throw new NoTopology();
        }
        return s.topology();
    }

    private static Backend requireBackend(Topology t, String id) {
        return t.backend(id).orElseThrow(() -> new UnknownBackend(id, t.backends().stream().map(Backend::id).toList()));
    }

    private static Outcome unchanged(ControlState s) {
        return new Outcome(s, List.of());
    }

    private static Outcome withOperatorEvent(Outcome o, Event operatorEvent) {
        return withEventsFirst(o, List.of(operatorEvent));
    }

    private static Outcome withEventsFirst(Outcome o, List<Event> first) {
        List<Event> events = new ArrayList<>(o.events().size() + first.size());
        events.addAll(first);
        events.addAll(o.events());
        return new Outcome(o.state(), events);
    }

    private Event event(EventType type, String actor, String backendId, String from, String to, String message) {
        return new Event(0, engine.now(), 0, type, actor, backendId, from, to, message);
    }

    private static String ids(Topology t) {
        return String.join(", ", t.backends().stream().map(Backend::id).toList());
    }

    private static String describeChange(Backend before, Backend after) {
        List<String> parts = new ArrayList<>();
        diff(parts, "address", before.address(), after.address());
        diff(parts, "priority", before.priority(), after.priority());
        diff(parts, "weight", before.weight(), after.weight());
        diff(parts, "adminState", before.adminState(), after.adminState());
        diff(parts, "healthCheck", before.healthCheck(), after.healthCheck());
        return String.join(", ", parts);
    }

    private static void diff(List<String> parts, String name, Object a, Object b) {
        if (!Objects.equals(a, b)) {
            parts.add(name + " " + a + " -> " + b);
        }
    }
}
