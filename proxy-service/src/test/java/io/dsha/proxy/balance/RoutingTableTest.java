package io.dsha.proxy.balance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.dsha.api.state.RoutingDecision;
import io.dsha.api.state.StateSnapshot;
import io.dsha.api.topology.Backend;
import io.dsha.api.topology.Listener;
import io.dsha.api.topology.Mode;
import io.dsha.api.topology.TlsMode;
import io.dsha.api.topology.Topology;
import io.dsha.proxy.config.ProxyConfig.BalancePolicy;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The order in which one request tries the backends of a routing decision. */
class RoutingTableTest {

    private static final long NOW = 1_000_000_000L;

    private static RoutingTable table(Mode mode, List<String> active, List<String> standby) {
        List<Backend> backends = List.of(new Backend("a", "127.0.0.1", 9001, 0, 1, null, null),
                new Backend("b", "127.0.0.1", 9002, 1, 1, null, null), new Backend("c", "127.0.0.1", 9003, 2, 1, null, null));
        Topology topology = new Topology(new Listener("127.0.0.1", 8443), null, TlsMode.TERMINATE, mode, null, null, backends);
        StateSnapshot s = new StateSnapshot(1, 1, topology, List.of(), new RoutingDecision(active, standby, List.of(), false, null, null, "test"), null);
        return RoutingTable.of(s, new RoutingTable.Registry());
    }

    private static List<String> ids(List<Target> targets) {
        return targets.stream().map(Target::id).toList();
    }

    @Test
    void activeActiveStartsFromTheBackendPickedThenTheOtherActiveOnesThenTheStandbys() {
        RoutingTable t = table(Mode.ACTIVE_ACTIVE, List.of("a", "b"), List.of("c"));
        List<String> first = ids(t.candidates(BalancePolicy.ROUND_ROBIN, NOW, 3));
        List<String> second = ids(t.candidates(BalancePolicy.ROUND_ROBIN, NOW, 3));
        assertEquals("c", first.get(2));
        assertEquals("c", second.get(2));
        assertEquals(java.util.Set.of("a", "b"), java.util.Set.copyOf(first.subList(0, 2)));
        assertNotEquals(first.get(0), second.get(0), "round robin: the next request starts from the other one");
        assertEquals(2, t.candidates(BalancePolicy.ROUND_ROBIN, NOW, 2).size(), "at most maxAttempts");
    }

    @Test
    void activePassiveTriesTheActiveOneThenTheStandbyOrder() {
        RoutingTable t = table(Mode.ACTIVE_PASSIVE, List.of("b"), List.of("a", "c"));
        assertEquals(List.of("b", "a", "c"), ids(t.candidates(BalancePolicy.ROUND_ROBIN, NOW, 3)));
        assertEquals(List.of("b"), ids(t.candidates(BalancePolicy.ROUND_ROBIN, NOW, 1)));
    }

    @Test
    void anEjectedBackendGoesLastAndIsStillTriedWhenNothingElseIsLeft() {
        RoutingTable t = table(Mode.ACTIVE_PASSIVE, List.of("a"), List.of("b", "c"));
        Target a = t.active().get(0);
        a.eject(NOW, Duration.ofSeconds(1), Duration.ofSeconds(10));
        assertEquals(List.of("b", "c", "a"), ids(t.candidates(BalancePolicy.ROUND_ROBIN, NOW, 3)));
        assertEquals(List.of("b", "c"), ids(t.candidates(BalancePolicy.ROUND_ROBIN, NOW, 2)));
        // Past its back-off it is back in its place.
        assertEquals(List.of("a", "b", "c"), ids(t.candidates(BalancePolicy.ROUND_ROBIN, NOW + Duration.ofSeconds(2).toNanos(), 3)));
    }

    @Test
    void everyBackendIsListedOnceWhileAnotherLoopEjectsAndTheRoutingThreadClears() throws Exception {
        // Each event loop ejects on its own traffic, and a new decision clears ejections, while requests list their
        // candidates: an ejection that changes in the middle of one listing must not list a backend twice or drop it.
        RoutingTable t = table(Mode.ACTIVE_PASSIVE, List.of("a"), List.of("b", "c"));
        Target a = t.active().get(0);
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        Thread churn = new Thread(() -> {
            while (!done.get()) {
                a.eject(NOW, Duration.ofSeconds(1), Duration.ofSeconds(10));
                a.clearEjection();
            }
        });
        churn.start();
        try {
            for (int i = 0; i < 200_000; i++) {
                List<String> ids = ids(t.candidates(BalancePolicy.ROUND_ROBIN, NOW, 3));
                if (!ids.equals(List.of("a", "b", "c")) && !ids.equals(List.of("b", "c", "a"))) {
                    assertEquals(List.of("a", "b", "c"), ids, "listing " + i + " (or b, c, a)");
                }
            }
        } finally {
            done.set(true);
            churn.join();
        }
    }
}
