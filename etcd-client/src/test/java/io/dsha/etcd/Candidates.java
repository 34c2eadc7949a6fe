package io.dsha.etcd;

import static io.dsha.etcd.Sync.await;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;

/**
 * Candidates of one election in a test, each with a client of its own (as separate replicas), and the log of every
 * role change they reported, in the order they happened (all run on the test thread's one Vert.x context).
 */
final class Candidates implements AutoCloseable {

    static final Duration TTL = Duration.ofSeconds(2);

    /** One reported change: who, what, when (System.nanoTime). */
    record Change(int who, Role role, long at) {
    }

    final Bytes key;
    final List<Election> elections = new ArrayList<>();
    final List<EtcdClient> clients = new ArrayList<>();
    final List<Change> log = new CopyOnWriteArrayList<>();
    private final Vertx vertx;
    private final EtcdOptions options;
    private final EtcdClient checker;

    Candidates(Vertx vertx, EtcdOptions options, EtcdClient checker, Bytes key) {
        this.vertx = vertx;
        this.options = options;
        this.checker = checker;
        this.key = key;
    }

    static Bytes value(int i) {
        return Bytes.of("{\"id\":\"cp-" + i + "\",\"url\":\"http://10.0.0." + i + ":8080\"}");
    }

    /** Adds candidate number {@code elections.size()} and starts it. */
    Election add() {
        return add(System::nanoTime);
    }

    Election add(LongSupplier nanoClock) {
        int who = elections.size();
        EtcdClient client = new EtcdClient(vertx, options);
        Election e = new Election(client, key, value(who), TTL, nanoClock);
        e.onChange(r -> log.add(new Change(who, r, System.nanoTime())));
        clients.add(client);
        elections.add(e);
        e.start();
        return e;
    }

    List<Election> leading() {
        return elections.stream().filter(Election::leading).toList();
    }

    /** The one leader, where exactly one leads and every other follows it. */
    Optional<Election> settled() {
        List<Election> l = leading();
        if (l.size() != 1) {
            return Optional.empty();
        }
        // The election sets its lead before it publishes its role: for a moment it leads with no leader value yet.
        Optional<Bytes> known = l.get(0).leader();
        if (known.isEmpty()) {
            return Optional.empty();
        }
        Bytes v = known.get();
        boolean others = elections.stream().filter(e -> e != l.get(0)).allMatch(e -> e.role().kind() == Role.Kind.FOLLOWER
                && e.leader().equals(Optional.of(v)));
        return others ? Optional.of(l.get(0)) : Optional.empty();
    }

    /**
     * Exclusivity, checked with etcd: of the candidates that say they lead, at most one fence lets a transaction
     * through. Where etcd does not answer, nothing can be written either.
     */
    boolean exclusive() {
        int through = 0;
        for (Election e : elections) {
            Optional<Fence> f = e.fence();
            if (f.isPresent()) {
                try {
                    TxnResult t = await(checker.txn(List.of(f.get().compare()), List.of(Op.put(Bytes.of("/probe" + key), Bytes.of("x"))), List.of()));
                    through += t.succeeded() ? 1 : 0;
                } catch (EtcdException ex) {
                    // etcd unreachable: no fence lets anything through
                }
            }
        }
        if (through > 1) {
            fail(through + " leaders' fences let a write through: " + log);
        }
        return true;
    }

    /** Replays the log: never two candidates LEADER at once. */
    void assertNeverTwoLeaders() {
        Map<Integer, Role.Kind> now = new HashMap<>();
        for (Change c : log) {
            now.put(c.who(), c.role().kind());
            long leaders = now.values().stream().filter(k -> k == Role.Kind.LEADER).count();
            assertTrue(leaders <= 1, "two leaders at once at " + c + " in " + log);
        }
    }

    /** The first change of {@code who} to {@code kind} at or after index {@code from} of the log, or -1. */
    int indexOf(int who, Role.Kind kind, int from) {
        for (int i = from; i < log.size(); i++) {
            if (log.get(i).who() == who && log.get(i).role().kind() == kind) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public void close() {
        List<Future<Void>> all = new ArrayList<>();
        elections.forEach(e -> all.add(e.close().otherwiseEmpty()));
        await(Future.join(all));
        clients.forEach(c -> await(c.close()));
    }
}
