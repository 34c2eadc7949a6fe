package io.dsha.controlplane.store;

import com.fasterxml.jackson.databind.node.ObjectNode;
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
import org.jboss.logging.Logger;

/**
 * {@code state.json} in the state directory, written through {@link AtomicFile} (the previous good
 * copy stays as {@code state.json.prev}). The directory is locked while open, so two control planes
 * never share it.
 *
 * <p>Its last field, {@code checksum}, is {@code crc32c:} and the CRC-32C of the document without
 * that field, in compact JSON with the fields in the order of the file (so re-indenting the file keeps
 * it valid; changing a value does not). A mismatch refuses the start. A file without the field was
 * written by an earlier version (or an operator removed it to vouch for a hand edit): it is loaded with
 * a warning, and the next write adds one.
 */
final class StateFile implements AutoCloseable {

    static final String NAME = "state.json";
    static final String PREVIOUS = "state.json.prev";
    private static final String LOCK = ".lock";
    private static final String CHECKSUM = "checksum";
    private static final Logger LOG = Logger.getLogger(StateFile.class);

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
        if (doc.checksum() == null) {
            LOG.warnf("State file %s has no checksum (written by an earlier version, or removed by hand): loaded as it is; "
                    + "the next write adds one", file);
        } else {
            String actual = checksum(text);
            if (!doc.checksum().equals(actual)) {
                throw corrupt("does not match its checksum (checksum mismatch: the file records " + doc.checksum()
                        + ", its content has " + actual + "): it changed after it was written. If a person edited it on purpose, "
                        + "removing its \"" + CHECKSUM + "\" field accepts the edit");
            }
        }
        return Optional.of(doc);
    }

    /** The checksum of a document's JSON text: of its compact form without the checksum field. */
    private static String checksum(String json) {
        try {
            ObjectNode tree = (ObjectNode) DshaJson.mapper().readTree(json);
            tree.remove(CHECKSUM);
            return "crc32c:" + Crc.of(DshaJson.mapper().writeValueAsBytes(tree));
        } catch (IOException | ClassCastException e) {
            // The text was bound as a document just before: it is a JSON object.
            throw new IllegalStateException("state document no longer parses: " + e, e);
        }
    }

    StateFileException corrupt(String problem) {
        String prev = Files.exists(dir.resolve(PREVIOUS))
                ? " The previous good copy is " + dir.resolve(PREVIOUS) + "."
                : "";
        return new StateFileException("state file " + file + " " + problem + "." + prev
                + " The control plane will not start over it: repair or restore the file (or move it away to start from dsha.topology-file).");
    }

    /** Replaces the file with {@code doc} (its checksum field, if any, replaced by the one of its content). */
    void write(StateDocument doc) throws IOException {
        // The tree as a reader parses it, so the checksum is computed over exactly what read() computes it over.
        ObjectNode tree = (ObjectNode) DshaJson.mapper().readTree(DshaJson.mapper().writeValueAsBytes(doc));
        tree.remove(CHECKSUM);
        tree.put(CHECKSUM, "crc32c:" + Crc.of(DshaJson.mapper().writeValueAsBytes(tree)));
        AtomicFile.write(file, DshaJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(tree));
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
