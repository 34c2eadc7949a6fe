package io.dsha.etcd;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/** Who hears a background loop's changes: each is told in turn, and one that throws is logged, never the loop's end. */
final class Listeners<T> {

    private static final Logger LOG = Logger.getLogger(Listeners.class);

    private final String owner;
    private final List<Consumer<T>> all = new CopyOnWriteArrayList<>();

    /** {@code owner}: named in the log line of a listener that failed (e.g. "election /dsha/leader"). */
    Listeners(String owner) {
        this.owner = owner;
    }

    void add(Consumer<T> listener) {
        all.add(Objects.requireNonNull(listener, "listener"));
    }

    void tell(T change) {
        for (Consumer<T> l : all) {
            try {
                l.accept(change);
            } catch (RuntimeException ex) {
                LOG.warnf(ex, "%s: a listener failed", owner);
            }
        }
    }
}
