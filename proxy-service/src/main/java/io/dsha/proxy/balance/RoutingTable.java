package io.dsha.proxy.balance;

import io.dsha.api.state.HealthStatus;
import io.dsha.api.state.RoutingDecision;
import io.dsha.api.state.StateSnapshot;
import io.dsha.api.state.Verdict;
import io.dsha.api.topology.AdminState;
import io.dsha.api.topology.AllDownPolicy;
import io.dsha.api.topology.Backend;
import io.dsha.api.topology.Mode;
import io.dsha.api.topology.Topology;
import io.dsha.proxy.config.ProxyConfig.BalancePolicy;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The routing decision of one revision, ready for the data path: which backends take new
 * requests, in which order the others are tried when one fails, and how ACTIVE_ACTIVE spreads
 * requests. Immutable apart from the round-robin cursor; swapped whole when a new decision arrives.
 */
public final class RoutingTable {

    private final StateSnapshot snapshot;
    private final List<Target> active;
    private final List<Target> others;
    private final boolean failFast;
    private final Target[] schedule;
    /** For each slot of {@code schedule}, the index of its target in {@code active}. */
    private final int[] scheduleIndex;
    private final AtomicLong cursor = new AtomicLong();
    /** Backends whose verdict in this decision is DOWN. */
    private final Set<String> down;

    private RoutingTable(StateSnapshot snapshot, List<Target> active, List<Target> others, boolean failFast) {
        this.snapshot = snapshot;
        this.active = List.copyOf(active);
        this.others = List.copyOf(others);
        this.failFast = failFast;
        this.down = snapshot.verdicts().stream().filter(v -> v.status() == HealthStatus.DOWN).map(Verdict::backendId)
                .collect(java.util.stream.Collectors.toUnmodifiableSet());
        this.schedule = smoothWeightedSchedule(this.active);
        this.scheduleIndex = new int[schedule.length];
        for (int i = 0; i < schedule.length; i++) {
            scheduleIndex[i] = this.active.indexOf(schedule[i]);
        }
    }

    /** Builds the table of a snapshot, reusing {@code registry}'s targets so their counters carry over. */
    public static RoutingTable of(StateSnapshot snapshot, Registry registry) {
        Topology t = snapshot.topology();
        RoutingDecision r = snapshot.routing();
        List<Target> active = new ArrayList<>();
        for (String id : r.active()) {
            t.backend(id).map(registry::target).ifPresent(active::add);
        }
        // After the active ones: the standby order, then (TRY_ALL) every other ENABLED backend as a last resort.
        List<Target> others = new ArrayList<>();
        for (String id : r.standby()) {
            t.backend(id).map(registry::target).filter(x -> !active.contains(x)).ifPresent(others::add);
        }
        boolean tryAll = t.allDown() == AllDownPolicy.TRY_ALL;
        if (tryAll) {
            t.backends().stream()
                    .filter(b -> b.adminState() == AdminState.ENABLED)
                    .sorted(Comparator.comparing(Backend::priority).thenComparing(Backend::id))
                    .map(registry::target)
                    .filter(x -> !active.contains(x) && !others.contains(x))
                    .forEach(others::add);
        }
        boolean failFast = r.allDown() && !tryAll;
        return new RoutingTable(snapshot, active, failFast ? List.of() : others, failFast);
    }

    public StateSnapshot snapshot() {
        return snapshot;
    }

    public long revision() {
        return snapshot.revision();
    }

    public Topology topology() {
        return snapshot.topology();
    }

    public List<Target> active() {
        return active;
    }

    /** Whether the control plane's verdict on this backend is DOWN in this decision. */
    public boolean isDown(Target target) {
        return down.contains(target.id());
    }

    /** Whether any backend is DOWN in this decision. */
    public boolean anyDown() {
        return !down.isEmpty();
    }

    /** Why nothing may be available, for the 503 body. */
    public String reason() {
        return snapshot.routing().reason();
    }

    public boolean failFast() {
        return failFast;
    }

    /**
     * The backends to try for one request, in order, at most {@code maxAttempts}: the chosen
     * active backend, the other active ones, then the standby order. Locally ejected backends go to
     * the end: they are tried only when nothing else is left. Each backend is in the list once.
     */
    public List<Target> candidates(BalancePolicy policy, long nowNanos, int maxAttempts) {
        int first = !active.isEmpty() && snapshot.topology().mode() == Mode.ACTIVE_ACTIVE && active.size() > 1 ? pick(policy, nowNanos) : 0;
        int all = active.size() + others.size();
        List<Target> result = new ArrayList<>(Math.min(all, maxAttempts));
        List<Target> ejected = null;
        // In order (the active ones from the one picked, then the others), those not ejected first. Each backend's
        // ejection is read once: another event loop may eject it (or the routing thread clear it) meanwhile, and
        // reading it twice could list a backend twice or leave it out.
        for (int i = 0; i < all; i++) {
            Target t = i < active.size() ? active.get((first + i) % active.size()) : others.get(i - active.size());
            if (t.ejected(nowNanos)) {
                if (ejected == null) {
                    ejected = new ArrayList<>(2);
                }
                ejected.add(t);
            } else if (result.size() < maxAttempts) {
                result.add(t);
            }
        }
        if (ejected != null) {
            for (int i = 0; i < ejected.size() && result.size() < maxAttempts; i++) {
                result.add(ejected.get(i));
            }
        }
        return result;
    }

    private int pick(BalancePolicy policy, long nowNanos) {
        if (policy == BalancePolicy.LEAST_OUTSTANDING) {
            // Fewest in flight per unit of weight (nginx's least_conn). Ties, which are the rule under
            // light load (nothing in flight anywhere), go by the weighted schedule, so the weights hold at
            // any load; comparing (outstanding + 1) / weight instead sent everything to the heaviest backend.
            long n = cursor.getAndIncrement();
            double[] load = new double[active.size()];
            double least = Double.MAX_VALUE;
            for (int k = 0; k < active.size(); k++) {
                Target t = active.get(k);
                load[k] = t.ejected(nowNanos) ? Double.MAX_VALUE : (double) t.outstanding() / t.weight();
                least = Math.min(least, load[k]);
            }
            if (least == Double.MAX_VALUE) {
                return (int) (n % active.size());
            }
            for (int i = 0; i < schedule.length; i++) {
                int k = scheduleIndex[(int) ((n + i) % schedule.length)];
                if (load[k] == least) {
                    return k;
                }
            }
            return (int) (n % active.size());
        }
        Target t = schedule[(int) (cursor.getAndIncrement() % schedule.length)];
        return active.indexOf(t);
    }

    /** nginx's smooth weighted round robin, unrolled once: weights 5,1,1 give a,a,b,a,c,a,a rather than a,a,a,a,a,b,c. */
    static Target[] smoothWeightedSchedule(List<Target> targets) {
        if (targets.isEmpty()) {
            return new Target[0];
        }
        int total = targets.stream().mapToInt(Target::weight).sum();
        int[] current = new int[targets.size()];
        Target[] schedule = new Target[total];
        for (int n = 0; n < total; n++) {
            int best = 0;
            for (int i = 0; i < targets.size(); i++) {
                current[i] += targets.get(i).weight();
                if (current[i] > current[best]) {
                    best = i;
                }
            }
            current[best] -= total;
            schedule[n] = targets.get(best);
        }
        return schedule;
    }

    /** The targets known to this proxy, by id and address. */
    public static final class Registry {
        private final Map<String, Target> targets = new ConcurrentHashMap<>();

        public Target target(Backend b) {
            Target t = targets.computeIfAbsent(b.id() + "@" + b.address(), k -> new Target(b.id(), b.host(), b.port(), b.weight()));
            t.weight(b.weight());
            return t;
        }

        /** Every target known now. */
        public java.util.Collection<Target> all() {
            return targets.values();
        }

        /** Forgets targets no longer in the topology. */
        public void retain(Topology topology) {
            targets.keySet().removeIf(k -> topology.backends().stream().noneMatch(b -> k.equals(b.id() + "@" + b.address())));
        }
    }
}
