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
import java.util.stream.Collectors;

/** The last snapshot from the control plane, kept on disk ({@code snapshot.json}) so the proxy can start without it. */
public final class SnapshotFile {

    private final Path file;

    public SnapshotFile(Path dir) {
        this.file = dir.toAbsolutePath().resolve("snapshot.json");
    }

    public Path path() {
        return file;
    }

    public void write(StateSnapshot snapshot) throws IOException {
        Files.createDirectories(file.getParent());
        AtomicFile.write(file, DshaJson.mapper().writeValueAsBytes(snapshot));
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
