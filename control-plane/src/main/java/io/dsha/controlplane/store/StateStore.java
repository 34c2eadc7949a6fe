package io.dsha.controlplane.store;

import io.dsha.api.event.Event;
import io.dsha.controlplane.decision.ControlState;
import io.dsha.controlplane.decision.Outcome;
import io.dsha.controlplane.topology.TopologyValidator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.jboss.logging.Logger;

/**
 * The single owner of the published state. Changes are applied one at a time under a lock: the
 * change function computes the next state, and if anything a watcher cares about moved, the
 * revision goes up, the events get their numbers, the change is made durable and only then is the
 * new state swapped in. A change that throws, or whose write fails, leaves everything as it was.
 * Watchers and listeners are told after the swap, outside the lock.
 *
 * <p>Durable means one append and one {@code fdatasync} to the {@link Journal} (the change without
 * the event history it does not touch). {@code state.json} is written whole (temp file, previous copy,
 * rename, two fsyncs) by the first change, every {@value #DEFAULT_JOURNAL_LIMIT} changes after it
 * (the journal is then started over, naming that revision) and on a clean {@link #close()}.
 *
 * <p>A write that fails (a full disk, an I/O error) is remembered, with the file and the error, until
 * a change is written again: {@link #writeFailure()} (readiness reports it) and {@link #writeFailures()}.
 */
public final class StateStore extends StoreBase {

    /** Changes the journal holds before {@code state.json} is written whole again. */
    static final int DEFAULT_JOURNAL_LIMIT = 1000;

    private static final Logger LOG = Logger.getLogger(StateStore.class);

    private final StateFile file;
    private final Journal journal;
    private final int journalLimit;
    private final int maxEvents;
    /** The revision of {@code state.json} on disk (null while there is none): the journal applies over it. */
    private Long fileRevision;
    private final Object lock = new Object();
    private volatile Published current;

    private StateStore(StateFile file, Journal journal, int journalLimit, Long fileRevision, Published initial, int maxEvents) {
        this.file = file;
        this.journal = journal;
        this.journalLimit = journalLimit;
        this.fileRevision = fileRevision;
        this.current = initial;
        this.maxEvents = maxEvents;
    }

    /**
     * Opens the state directory and loads {@code state.json} with the changes journaled since (an
     * empty state at revision 0 when there is none). Refuses, with a message naming the file, a state
     * file or journal that cannot be read or does not validate, a state file that does not match its
     * checksum, and a journal that is not the one the state file was written with (missing, emptied,
     * or continuing a newer state file). {@code settle} re-evaluates a restored state (votes are not
     * persisted).
     */
    public static StateStore open(Path dir, TopologyValidator validator, UnaryOperator<ControlState> settle, int maxEvents) {
        return open(dir, validator, settle, maxEvents, DEFAULT_JOURNAL_LIMIT);
    }

    /** As {@link #open(Path, TopologyValidator, UnaryOperator, int)}, writing {@code state.json} whole every {@code journalLimit} changes. */
    static StateStore open(Path dir, TopologyValidator validator, UnaryOperator<ControlState> settle, int maxEvents, int journalLimit) {
        if (journalLimit < 1) {
            throw new IllegalArgumentException("journalLimit: " + journalLimit + " (expected: >= 1)");
        }
        StateFile file = new StateFile(dir);
        try {
            Optional<StateDocument> doc = file.read();
            Journal.Contents journaled = Journal.read(file.dir());
            if (doc.isEmpty() && !journaled.records().isEmpty()) {
                throw Journal.corrupt(file.dir().resolve(Journal.NAME), "holds " + journaled.records().size()
                        + " changes but " + file.path() + " is missing: refusing to start without it; restore it or "
                        + StateFile.PREVIOUS);
            }
            Journal journal = Journal.open(file.dir(), journaled);
            Published initial = doc.isPresent()
                    ? StateDocuments.restore(replay(doc.get(), changesAfter(file, doc.get(), journaled, journal), maxEvents, journal), validator,
                            settle, file::corrupt)
                    : new Published(0, 0, ControlState.EMPTY, List.of(), 0);
            return new StateStore(file, journal, journalLimit, doc.map(StateDocument::revision).orElse(null), initial, maxEvents);
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    /** The journaled changes to replay over {@code doc}; see {@link Journal#changesAfter}. */
    private static List<StateDocument> changesAfter(StateFile file, StateDocument doc, Journal.Contents journaled, Journal journal) {
        if (doc.revision() == null) {
            return List.of(); // refused as incomplete by restore
        }
        return Journal.changesAfter(journal.path(), journaled, file.path(), doc.revision(), doc.checksum() != null);
    }

    /** {@code base} with the journaled changes after its revision applied, in order. */
    private static StateDocument replay(StateDocument base, List<StateDocument> records, int maxEvents, Journal journal) {
        if (records.isEmpty() || base.revision() == null || base.events() == null) {
            return base;
        }
        StateDocument last = base;
        List<Event> events = new ArrayList<>(base.events());
        for (StateDocument r : records) {
            if (r.revision() != last.revision() + 1) {
                throw Journal.corrupt(journal.path(), "jumps from revision " + last.revision() + " to " + r.revision());
            }
            events.addAll(0, r.events());
            last = r;
        }
        if (last == base) {
            return base;
        }
        List<Event> kept = events.size() > maxEvents ? events.subList(0, maxEvents) : events;
        return new StateDocument(StateDocument.FORMAT, last.revision(), last.topologyRevision(), last.topology(), last.verdicts(),
                last.routing(), last.memory(), last.lastEventSeq(), kept, null, null, last.savedAt(), null);
    }

    @Override
    public Published current() {
        return current;
    }

    @Override
    public String location() {
        return file.path().toString();
    }

    @Override
    public boolean writable() {
        return file.writable();
    }

    @Override
    public Published update(Long expectedTopologyRevision, Function<ControlState, Outcome> change) {
        Published next;
        synchronized (lock) {
            Published before = current;
            Outcome outcome = apply(before, expectedTopologyRevision, change);
            if (!heard(before, outcome)) {
                current = quiet(before, outcome);
                return current;
            }
            next = Published.next(before, outcome, maxEvents);
            List<Event> fresh = next.events().subList(0, Math.min(outcome.events().size(), next.events().size()));
            persist(next, fresh);
            current = next;
        }
        watchers.publish(next);
        return next;
    }

    /**
     * Makes {@code next} durable: one journal record, or {@code state.json} written whole (and the
     * journal started over). Throws, with nothing changed that a restart would read as acknowledged, when
     * the change is not durable.
     */
    private void persist(Published next, List<Event> fresh) {
        if (fileRevision != null && journal.continues(fileRevision) && journal.records() < journalLimit) {
            try {
                journal.append(StateDocuments.document(next, fresh));
            } catch (IOException e) {
                throw failed(journal.path(), "state journal " + journal.path() + " could not be written", e);
            }
            writeSucceeded();
            return;
        }
        if (writeWhole(next)) {
            writeSucceeded();
        }
    }

    /**
     * Writes {@code p} to {@code state.json} whole and starts the journal over after it. Throws when
     * {@code p} is not durable; returns false when it is but the journal could not be started over (the
     * failure is recorded; changes are then written whole until it can be).
     */
    private boolean writeWhole(Published p) {
        StateDocument doc = StateDocuments.document(p, p.events());
        if (journal.records() == 0) {
            // Nothing in the journal to keep: start it first, so a state.json of this version is never without its journal.
            try {
                journal.restart(p.revision());
            } catch (IOException e) {
                throw failed(journal.path(), "state journal " + journal.path() + " could not be started for revision " + p.revision(), e);
            }
            writeStateFile(doc);
            return true;
        }
        writeStateFile(doc);
        try {
            journal.restart(p.revision());
            return true;
        } catch (IOException e) {
            failed(journal.path(), "state journal " + journal.path() + " could not be started over", e);
            LOG.warnf("State journal %s could not be started over after revision %d (%s); the change is in %s, and changes are "
                    + "written whole until the journal can be started", journal.path(), p.revision(), e, file.path());
            return false;
        }
    }

    private void writeStateFile(StateDocument doc) {
        try {
            file.write(doc);
        } catch (IOException e) {
            throw failed(file.path(), "state file " + file.path() + " could not be written", e);
        }
        fileRevision = doc.revision();
    }

    /** Records a failed write; the exception to throw when the change was not applied. */
    private UncheckedIOException failed(Path path, String what, IOException e) {
        recordFailure(path.toString(), e.toString());
        return new UncheckedIOException(what + "; the change was not applied: " + e, e);
    }

    /**
     * Writes {@code state.json} whole and empties the journal, so that a clean stop leaves one
     * self-contained file. A failure is only logged: the journal still holds every change.
     */
    @Override
    public void close() {
        synchronized (lock) {
            if (fileRevision != null && (journal.records() > 0 || !journal.continues(fileRevision))) {
                try {
                    writeWhole(current);
                } catch (RuntimeException e) {
                    LOG.warnf("State file %s could not be written on close (%s); %s keeps the changes since it was", file.path(), e,
                            journal.path());
                }
            }
            journal.close();
        }
        file.close();
        watchers.cancelAll();
    }
}
