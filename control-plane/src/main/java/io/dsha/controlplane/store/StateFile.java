package io.dsha.controlplane.store;

import io.dsha.api.json.DshaJson;
import io.dsha.api.persist.AtomicFile;
import io.dsha.api.problem.Violation;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * {@code state.json} in the state directory, written through {@link AtomicFile} (the previous good
 * copy stays as {@code state.json.prev}). The directory is locked while open, so two control planes
 * never share it.
 */
final class StateFile implements AutoCloseable {

    static final String NAME = "state.json";
    static final String PREVIOUS = "state.json.prev";
    private static final String LOCK = ".lock";

    private final Path dir;
    private final Path file;
    private final FileChannel lockChannel;
    private final FileLock lock;

    StateFile(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
        this.file = this.dir.resolve(NAME);
        try {
            Files.createDirectories(this.dir);
        } catch (IOException e) {
            throw new StateFileException("state directory " + this.dir + " cannot be created: " + e, e);
        }
        try {
            lockChannel = FileChannel.open(this.dir.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock l;
            try {
                l = lockChannel.tryLock();
            } catch (OverlappingFileLockException e) {
                l = null;
            }
            if (l == null) {
                lockChannel.close();
                throw new StateFileException("state directory " + this.dir + " is in use by another control plane (" + LOCK + " is locked)");
            }
            lock = l;
        } catch (IOException e) {
            throw new StateFileException("state directory " + this.dir + " is not writable: " + e, e);
        }
    }

    Path dir() {
        return dir;
    }

    Path path() {
        return file;
    }

    boolean writable() {
        return Files.isDirectory(dir) && Files.isWritable(dir);
    }

    /** The stored document, or empty when there is none yet. Anything unreadable stops here. */
    Optional<StateDocument> read() {
        if (!Files.exists(file)) {
            if (Files.exists(dir.resolve(PREVIOUS))) {
                throw new StateFileException("state file " + file + " is missing but " + dir.resolve(PREVIOUS)
                        + " exists: refusing to start empty over it; restore it as " + NAME + " or remove it");
            }
            return Optional.empty();
        }
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw corrupt("cannot be read: " + e);
        }
        DshaJson.Binding<StateDocument> binding = DshaJson.bind(text, StateDocument.class);
        if (!binding.ok()) {
            throw corrupt("is not a valid state document: "
                    + binding.violations().stream().map(Violation::toString).collect(Collectors.joining("; ")));
        }
        StateDocument doc = binding.value();
        if (doc.format() == null || doc.format() != StateDocument.FORMAT) {
            throw corrupt("has format " + doc.format() + "; this control plane reads format " + StateDocument.FORMAT);
        }
        return Optional.of(doc);
    }

    StateFileException corrupt(String problem) {
        String prev = Files.exists(dir.resolve(PREVIOUS))
                ? " The previous good copy is " + dir.resolve(PREVIOUS) + "."
                : "";
        return new StateFileException("state file " + file + " " + problem + "." + prev
                + " The control plane will not start over it: repair or restore the file (or move it away to start from dsha.topology-file).");
    }

    void write(StateDocument doc) throws IOException {
        AtomicFile.write(file, DshaJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(doc));
    }

    @Override
    public void close() {
        try {
            lock.release();
            lockChannel.close();
        } catch (IOException e) {
            // closing on shutdown: nothing left to protect
        }
    }

}
