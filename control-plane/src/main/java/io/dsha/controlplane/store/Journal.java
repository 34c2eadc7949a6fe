package io.dsha.controlplane.store;

import io.dsha.api.json.DshaJson;
import io.dsha.api.problem.Violation;
import io.quarkus.runtime.annotations.RegisterForReflection;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * {@code state.journal}: the changes made since {@code state.json} was last written whole, one line
 * each, appended and made durable with a single {@code fdatasync}. A line is the CRC-32C of its JSON
 * (8 hex digits), a space, and the JSON in compact form. The first line is a header,
 * {@code {"after":N}}: the revision of the {@code state.json} this journal continues. Every other line
 * is a change's {@link StateDocument} holding only the events that change added; everything else in it
 * is the whole state at that revision. Replayed over {@code state.json} at start.
 *
 * <p>The journal is started (header only) by replacing the file atomically, right after
 * {@code state.json} is written whole, or right before when it holds no change (so there is never a
 * {@code state.json} of this version without a journal that names it, not even after a crash). A
 * journal that is missing, empty, or has lost its header where {@code state.json} says one follows it,
 * or that continues a newer {@code state.json} than the one there, is refused: the changes it held would
 * otherwise be rolled back silently (see {@link #changesAfter}).
 *
 * <p>An append that fails is cut off again, so the file only ever holds whole records. A crash during
 * an append can still leave a partial last line; that change was never acknowledged (its fsync had not
 * returned), so a damaged <em>last</em> line is dropped with a warning. A damaged line followed by good
 * ones is corruption, and the store refuses to start over it. Records lost from the end at a line
 * boundary cannot be told from changes never made: only the state file could say, and it is not
 * rewritten for each change.
 *
 * <p>Not thread-safe: the store calls it under its lock.
 */
final class Journal implements AutoCloseable {

    static final String NAME = "state.journal";

    private static final Logger LOG = Logger.getLogger(Journal.class);
    private static final HexFormat HEX = HexFormat.of();
    private static final int CRC_DIGITS = Crc.DIGITS;

    private final Path file;
    private FileChannel channel;
    /** The revision of the state file this journal continues (its header); null for a journal without one. */
    private Long after;
    /** Where the next record goes: the end of the last whole record. */
    private long length;
    private int records;
    /** An append could not be undone: append nothing until {@link #restart} succeeds. */
    private boolean damaged;

    /**
     * What {@link #read} found: the header's revision (null without one), the whole records, and the
     * bytes after them that a crash left (cut off before the next append).
     */
    record Contents(Long after, List<StateDocument> records, long length, long droppedBytes) {
    }

    /** The header line: the revision of the state file a journal continues. */
    @RegisterForReflection
    record Header(Long after) {
    }

    private Journal(Path file, Contents contents) {
        this.file = file;
        this.after = contents.after();
        this.length = contents.length();
        this.records = contents.records().size();
    }

    /** The journal in {@code dir} as {@link #read} found it; the file is opened at the first append or reset. */
    static Journal open(Path dir, Contents contents) {
        return new Journal(dir.resolve(NAME), contents);
    }

    /** The header and records in {@code dir}'s journal, oldest first; none when there is no journal. */
    static Contents read(Path dir) {
        Path file = dir.resolve(NAME);
        if (!Files.exists(file)) {
            return new Contents(null, List.of(), 0, 0);
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw corrupt(file, "cannot be read: " + e);
        }
        Long after = null;
        List<StateDocument> records = new ArrayList<>();
        int start = 0;
        int line = 0;
        while (start < bytes.length) {
            line++;
            int end = indexOf(bytes, (byte) '\n', start);
            Long header = end >= 0 && line == 1 ? header(bytes, start, end) : null;
            String problem = null;
            if (end < 0) {
                problem = "ends without a newline";
            } else if (header != null) {
                after = header;
            } else {
                problem = problem(bytes, start, end, records);
            }
            if (problem != null) {
                if (end < 0 || end == bytes.length - 1) {
                    // The last line: an append that a crash cut short, never acknowledged.
                    LOG.warnf("State journal %s: the last line (%d, %d bytes) %s; it is a change that was being written when the "
                            + "control plane stopped and was never acknowledged: dropped", file, line, bytes.length - start, problem);
                    return new Contents(after, List.copyOf(records), start, bytes.length - start);
                }
                throw corrupt(file, "is damaged at line " + line + " (byte " + start + "): " + problem + ", and changes follow it");
            }
            start = end + 1;
        }
        return new Contents(after, List.copyOf(records), bytes.length, 0);
    }

    /** The revision a header line names, or null when the line is not a whole header. */
    private static Long header(byte[] bytes, int start, int end) {
        String json = checked(bytes, start, end);
        if (json == null || !json.startsWith("{\"after\":")) {
            return null;
        }
        DshaJson.Binding<Header> binding = DshaJson.bind(json, Header.class);
        return binding.ok() && binding.value().after() != null && binding.value().after() >= 0 ? binding.value().after() : null;
    }

    /** The JSON of a line whose checksum matches, else null. */
    private static String checked(byte[] bytes, int start, int end) {
        if (end - start < CRC_DIGITS + 2 || bytes[start + CRC_DIGITS] != ' ') {
            return null;
        }
        String recorded = new String(bytes, start, CRC_DIGITS, StandardCharsets.US_ASCII);
        if (!recorded.equalsIgnoreCase(Crc.of(bytes, start + CRC_DIGITS + 1, end - start - CRC_DIGITS - 1))) {
            return null;
        }
        return new String(bytes, start + CRC_DIGITS + 1, end - start - CRC_DIGITS - 1, StandardCharsets.UTF_8);
    }

    /** Parses one line into {@code records}; what is wrong with it, or null. */
    private static String problem(byte[] bytes, int start, int end, List<StateDocument> records) {
        if (end - start < CRC_DIGITS + 2 || bytes[start + CRC_DIGITS] != ' ') {
            return "is not a checksum and a record";
        }
        try {
            HEX.fromHexDigitsToLong(new String(bytes, start, CRC_DIGITS, StandardCharsets.US_ASCII));
        } catch (IllegalArgumentException e) {
            return "does not start with a checksum";
        }
        String json = checked(bytes, start, end);
        if (json == null) {
            return "does not match its checksum";
        }
        DshaJson.Binding<StateDocument> binding = DshaJson.bind(json, StateDocument.class);
        if (!binding.ok()) {
            return "is not a valid record: " + binding.violations().stream().map(Violation::toString).collect(Collectors.joining("; "));
        }
        StateDocument doc = binding.value();
        if (doc.format() == null || doc.format() != StateDocument.FORMAT || doc.revision() == null || doc.events() == null) {
            return "is not a record of format " + StateDocument.FORMAT + " with a revision and its events";
        }
        records.add(doc);
        return null;
    }

    private static int indexOf(byte[] bytes, byte b, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }

    static StateFileException corrupt(Path file, String problem) {
        return new StateFileException("state journal " + file + " " + problem + ". The control plane will not start over it: "
                + "repair or restore it (removing it loses the changes made since " + StateFile.NAME + " was last written).");
    }

    /**
     * The records of {@code contents} to replay over a state file at {@code revision}, oldest first.
     * Refuses a journal that cannot be the one {@code stateFile} was written with: replaying it, or
     * ignoring it, would roll back changes that were acknowledged. {@code sealed}: the state file has a
     * checksum, so this version wrote it and started a journal naming it.
     */
    static List<StateDocument> changesAfter(Path file, Contents contents, Path stateFile, long revision, boolean sealed) {
        List<StateDocument> records = contents.records();
        long newest = records.isEmpty() ? -1 : records.get(records.size() - 1).revision();
        Long after = contents.after();
        if (after == null) {
            if (!sealed) {
                // Written by an earlier version (or the state file's checksum was removed by hand): replayed as it was.
                return records.stream().filter(r -> r.revision() > revision).toList();
            }
            if (records.isEmpty()) {
                String what = !Files.exists(file) ? "is missing" : contents.length() == 0 && contents.droppedBytes() == 0
                        ? "is empty" : "has lost its header line (" + contents.droppedBytes() + " bytes left, not one whole line)";
                throw rollback(file, what + ", but " + stateFile + " (revision " + revision + ") was written to be continued by it",
                        stateFile, revision);
            }
            if (newest > revision) {
                throw corrupt(file, "has no header line but holds revision " + newest + ", after the revision " + revision + " of "
                        + stateFile + ", which was written to be continued by a journal with one");
            }
            // An earlier version's journal, folded into the state file just before a stop: nothing in it is new.
            return List.of();
        }
        if (after == revision) {
            if (!records.isEmpty() && records.get(0).revision() != revision + 1) {
                throw corrupt(file, "continues revision " + revision + " of " + stateFile + " but starts at revision "
                        + records.get(0).revision());
            }
            return records;
        }
        if (after < revision) {
            // The state file was written whole after this journal's last change, and a crash (or a failed write) came before
            // the journal was started again: everything in it is in the state file.
            if (newest > revision) {
                throw corrupt(file, "continues revision " + after + " and holds revision " + newest + ", but " + stateFile
                        + " is at revision " + revision + " and was written after it");
            }
            return List.of();
        }
        if (!records.isEmpty()) {
            throw rollback(file, "continues revision " + after + " (and holds up to revision " + newest + "), but " + stateFile
                    + " is at revision " + revision + ": the state file is older than its journal (restored from a copy?)",
                    stateFile, revision);
        }
        // Started for a state file whose write then failed or was cut by a crash: that change was never acknowledged.
        return List.of();
    }

    private static StateFileException rollback(Path file, String problem, Path stateFile, long revision) {
        return new StateFileException("state journal " + file + " " + problem + ": the changes made after revision " + revision
                + " would be rolled back silently. The control plane will not start over it: restore the journal that goes with "
                + stateFile + "; to start from " + stateFile + " as it is, accepting the loss, remove its \"checksum\" field.");
    }

    Path path() {
        return file;
    }

    /** Records appended since the journal was last started (or found at start). */
    int records() {
        return records;
    }

    /** Whether the next change can be appended over a state file at {@code revision}: the journal continues it, undamaged. */
    boolean continues(long revision) {
        return !damaged && after != null && after == revision;
    }

    /** Appends one record and makes it durable; on failure the journal is as it was (or damaged: no longer {@link #continues}). */
    void append(StateDocument record) throws IOException {
        if (damaged) {
            throw new IOException("state journal " + file + " is damaged; the next change is written whole instead");
        }
        ByteBuffer line = ByteBuffer.wrap(line(DshaJson.mapper().writeValueAsBytes(record)));
        FileChannel ch = channel();
        try {
            long at = length;
            while (line.hasRemaining()) {
                at += ch.write(line, at);
            }
            ch.force(false);
        } catch (IOException e) {
            undo(ch);
            throw e;
        }
        length += line.limit();
        records++;
    }

    /** A journal line: the checksum of {@code json}, a space, the JSON, a newline. */
    private static byte[] line(byte[] json) {
        byte[] line = new byte[CRC_DIGITS + 1 + json.length + 1];
        System.arraycopy(Crc.of(json).getBytes(StandardCharsets.US_ASCII), 0, line, 0, CRC_DIGITS);
        line[CRC_DIGITS] = ' ';
        System.arraycopy(json, 0, line, CRC_DIGITS + 1, json.length);
        line[line.length - 1] = '\n';
        return line;
    }

    private void undo(FileChannel ch) {
        try {
            ch.truncate(length);
            ch.force(false);
        } catch (IOException e) {
            damaged = true;
        }
    }

    /**
     * Starts the journal over, after the state file at {@code revision}: the file is replaced at once
     * (temp file, fsync, rename, directory fsync) by the header alone, so that at any moment it is
     * either the old journal or the new one. On failure the journal is as it was.
     */
    void restart(long revision) throws IOException {
        byte[] header = line(DshaJson.mapper().writeValueAsBytes(new Header(revision)));
        Path temp = file.resolveSibling(NAME + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buf = ByteBuffer.wrap(header);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException again) {
                e.addSuppressed(again);
            }
            throw e;
        }
        close();
        syncDirectory(file.getParent());
        after = revision;
        length = header.length;
        records = 0;
        damaged = false;
    }

    private FileChannel channel() throws IOException {
        if (channel == null) {
            boolean created = !Files.exists(file);
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            if (created) {
                // The new name must survive a crash as well as what is appended under it.
                syncDirectory(file.getParent());
            } else if (channel.size() > length) {
                channel.truncate(length);
                channel.force(false);
            }
        }
        return channel;
    }

    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            // Some file systems cannot open a directory for sync (as in AtomicFile).
        }
    }

    @Override
    public void close() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // closing on shutdown: every record was already forced
            }
            channel = null;
        }
    }
}
