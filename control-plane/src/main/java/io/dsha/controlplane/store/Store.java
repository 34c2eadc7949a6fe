package io.dsha.controlplane.store;

import io.dsha.controlplane.decision.ControlState;
import io.dsha.controlplane.decision.Outcome;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Where the published state lives, and the one way it changes: {@link #update}. The state is
 * made durable before it is published, a change that throws or is not durable changes nothing,
 * and revisions go up by one per change that a watcher would hear about. {@link StateStore} keeps
 * it in files on one host (the default, {@code dsha.store=file}).
 */
public interface Store extends AutoCloseable {

    /** The last write that failed: where it was writing (a file, an endpoint) and the error. */
    record WriteFailure(String where, String error) {
    }

    Published current();

    /**
     * Applies one change. {@code expectedTopologyRevision}, when not null, must equal the topology's current
     * revision (optimistic concurrency), else {@link RevisionMismatch}. Returns what is published afterwards (the
     * same object when nothing changed).
     */
    Published update(Long expectedTopologyRevision, Function<ControlState, Outcome> change);

    /** Completes when the revision passes {@code since} (at once if it already has). */
    CompletableFuture<Published> awaitAfter(long since);

    /** Long-polls waiting now. */
    int watchers();

    /** Called with each newly published state, after it is current. */
    void addListener(Consumer<Published> listener);

    /** Called with each write that fails; keep it short. */
    void addWriteFailureListener(Consumer<WriteFailure> listener);

    /** The last write's failure, until a change is written again; empty when the last write succeeded. */
    Optional<WriteFailure> writeFailure();

    /** Writes that failed since the store was opened. */
    long writeFailures();

    /** Where the state is kept, for logs and readiness: a file, or etcd's endpoints and prefix. */
    String location();

    /** Whether a change could be written now, as far as the store can tell without writing. */
    boolean writable();

    @Override
    void close();
}
