package io.dsha.proxy.follow;

import io.dsha.api.state.HealthStatus;
import io.dsha.api.state.StateSnapshot;
import io.dsha.api.state.Verdict;
import io.dsha.proxy.balance.RoutingTable;
import io.dsha.proxy.balance.Target;
import jakarta.inject.Singleton;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * The routing table the data path reads, swapped in one step per new decision. Older revisions
 * are ignored, so a stale snapshot (from disk, or a slow answer) never replaces a newer one.
 * Listeners hear of each swap after it, outside any lock.
 */
@Singleton
public class RoutingState {

    private static final Logger LOG = Logger.getLogger(RoutingState.class);

    private final AtomicReference<RoutingTable> table = new AtomicReference<>();
    private final RoutingTable.Registry registry = new RoutingTable.Registry();
    private final List<Consumer<RoutingTable>> listeners = new CopyOnWriteArrayList<>();

    /** The current table, or null before the first decision. */
    public RoutingTable table() {
        return table.get();
    }

    /** The backends of the current topology (and of recent ones until the next swap forgets them). */
    public java.util.Collection<Target> targets() {
        return registry.all();
    }

    public void addListener(Consumer<RoutingTable> listener) {
        listeners.add(listener);
    }

    /**
     * A local ejection stands in for the control plane's verdict until that verdict comes: a backend
     * the control plane now calls UP (and did not before) is taken back at once.
     */
    private void clearEjectionsOfRecoveredBackends(RoutingTable prev, StateSnapshot next) {
        for (Verdict v : next.verdicts()) {
            if (v.status() != HealthStatus.UP) {
                continue;
            }
            boolean wasUp = prev != null && prev.snapshot().verdicts().stream()
                    .anyMatch(p -> p.backendId().equals(v.backendId()) && p.status() == HealthStatus.UP);
            if (!wasUp) {
                next.topology().backend(v.backendId()).map(registry::target).ifPresent(Target::clearEjection);
            }
        }
    }

    /** Adopts a snapshot unless a newer one is already in place; returns whether it was adopted. */
    public boolean apply(StateSnapshot snapshot, String source) {
        if (snapshot.topology() == null) {
            LOG.debugf("Snapshot %d from %s has no topology yet", snapshot.revision(), source);
            return false;
        }
        RoutingTable next = RoutingTable.of(snapshot, registry);
        RoutingTable prev;
        do {
            prev = table.get();
            if (prev != null && prev.revision() >= snapshot.revision()) {
                return false;
            }
        } while (!table.compareAndSet(prev, next));
        registry.retain(snapshot.topology());
        clearEjectionsOfRecoveredBackends(prev, snapshot);
        if (prev == null || !prev.snapshot().routing().equals(snapshot.routing())) {
            LOG.infof("Routing at revision %d (from %s): active %s, standby %s%s", snapshot.revision(), source,
                    snapshot.routing().active(), snapshot.routing().standby(), snapshot.routing().allDown() ? ", ALL DOWN" : "");
        }
        for (Consumer<RoutingTable> l : listeners) {
            l.accept(next);
        }
        return true;
    }
}
