package io.dsha.controlplane.store;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Who hears of each published state: long-polls waiting for a revision to pass, and listeners.
 * Thread-safe; shared by every {@link Store}.
 */
final class Watchers {

    private record Waiter(long since, CompletableFuture<Published> future) {
    }

    private final Set<Waiter> waiters = ConcurrentHashMap.newKeySet();
    private final List<Consumer<Published>> listeners = new CopyOnWriteArrayList<>();

    /** Completes when the revision {@code current} gives passes {@code since} (at once if it already has). */
    CompletableFuture<Published> awaitAfter(long since, Supplier<Published> current) {
        Published now = current.get();
        if (now.revision() > since) {
            return CompletableFuture.completedFuture(now);
        }
        Waiter w = new Waiter(since, new CompletableFuture<>());
        waiters.add(w);
        w.future().whenComplete((p, e) -> waiters.remove(w));
        // A change may have been published between the check and the add.
        Published again = current.get();
        if (again.revision() > since) {
            w.future().complete(again);
        }
        return w.future();
    }

    int waiting() {
        return waiters.size();
    }

    void addListener(Consumer<Published> listener) {
        listeners.add(listener);
    }

    /** Tells everyone of {@code p}, which is current now. */
    void publish(Published p) {
        for (Waiter w : waiters) {
            if (p.revision() > w.since()) {
                w.future().complete(p);
            }
        }
        for (Consumer<Published> l : listeners) {
            l.accept(p);
        }
    }

    /** The store closes: long-polls end. */
    void cancelAll() {
        for (Waiter w : waiters) {
            w.future().cancel(false);
        }
    }
}
