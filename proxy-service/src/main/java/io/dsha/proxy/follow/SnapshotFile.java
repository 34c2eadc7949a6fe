package io.dsha.proxy.follow;

import io.dsha.api.json.DshaJson;
import io.dsha.api.persist.AtomicFile;
import io.dsha.api.problem.Violation;
import io.dsha.api.state.StateSnapshot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

/** The last snapshot from the control plane, kept on disk ({@code snapshot.json}) so the proxy can start without it. */
public final class SnapshotFile {

    private final Path file;
    private final AtomicReference<StateSnapshot> waiting = new AtomicReference<>();
    private long written = Long.MIN_VALUE;

    public SnapshotFile(Path dir) {
        this.file = dir.toAbsolutePath().resolve("snapshot.json");
    }

    public Path path() {
        return file;
    }

    /**
     * Saves a snapshot, or a newer one that arrived meanwhile. Snapshots adopted in quick succession
     * are saved from concurrent worker threads, and the writes share one temp file: they take turns,
     * and each turn writes the newest snapshot waiting (so a burst costs two writes, not one per
     * revision, and an older revision never lands over a newer one).
     */
    public void write(StateSnapshot snapshot) throws IOException {
        waiting.accumulateAndGet(snapshot, (held, offered) -> held == null || offered.revision() > held.revision() ? offered : held);
        synchronized (this) {
            StateSnapshot newest = waiting.getAndSet(null);
            if (newest == null || newest.revision() <= written) {
                return; // an earlier turn saved it, or something newer
            }
            Files.createDirectories(file.getParent());
            AtomicFile.write(file, DshaJson.mapper().writeValueAsBytes(newest));
            written = newest.revision();
        }
    }

    /** The saved snapshot; empty when there is none. An unreadable file is an error naming the file. */
    public Optional<StateSnapshot> read() {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            DshaJson.Binding<StateSnapshot> b = DshaJson.bind(Files.readString(file, StandardCharsets.UTF_8), StateSnapshot.class);
            if (!b.ok()) {
                throw new IllegalStateException("snapshot file " + file + " is not a valid snapshot: "
                        + b.violations().stream().map(Violation::toString).collect(Collectors.joining("; ")));
            }
            return Optional.of(b.value());
        } catch (IOException e) {
            throw new IllegalStateException("snapshot file " + file + " cannot be read: " + e.getMessage(), e);
        }
    }
}
