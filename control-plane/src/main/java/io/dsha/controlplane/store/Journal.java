package io.dsha.controlplane.store;

import io.dsha.api.json.DshaJson;
import io.dsha.api.problem.Violation;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Collectors;
import java.util.zip.CRC32C;
import org.jboss.logging.Logger;

/**
 * {@code state.journal}: the changes made since {@code state.json} was last written whole, one line
 * each, appended and made durable with a single {@code fdatasync}. A line is the CRC-32C of its JSON
 * (8 hex digits), a space, and the change's {@link StateDocument} in compact JSON holding only the
 * events that change added; everything else in it is the whole state at that revision. Replayed over
 * {@code state.json} at start.
 *
 * <p>An append that fails is cut off again, so the file only ever holds whole records. A crash during
 * an append can still leave a partial last line; that change was never acknowledged (its fsync had not
 * returned), so a damaged <em>last</em> line is dropped with a warning. A damaged line followed by good
 * ones is corruption, and the store refuses to start over it.
 *
 * <p>Not thread-safe: the store calls it under its lock.
 */
final class Journal implements AutoCloseable {

    static final String NAME = "state.journal";

    private static final Logger LOG = Logger.getLogger(Journal.class);
    private static final HexFormat HEX = HexFormat.of();
    private static final int CRC_DIGITS = 8;

    private final Path file;
    private FileChannel channel;
    /** Where the next record goes: the end of the last whole record. */
    private long length;
    private int records;
    /** An append could not be undone, or emptying failed: append nothing until {@link #reset()} succeeds. */
    private boolean damaged;

    /** What {@link #read} found: the whole records, and the bytes after them that a crash left (cut off before the next append). */
    record Contents(List<StateDocument> records, long length, long droppedBytes) {
    }

    private Journal(Path file, Contents contents) {
        this.file = file;
        this.length = contents.length();
        this.records = contents.records().size();
    }

    /** The journal in {@code dir} as {@link #read} found it; the file is opened at the first append or reset. */
    static Journal open(Path dir, Contents contents) {
        return new Journal(dir.resolve(NAME), contents);
    }

    /** The records in {@code dir}'s journal, oldest first; none when there is no journal. */
    static Contents read(Path dir) {
        Path file = dir.resolve(NAME);
        if (!Files.exists(file)) {
            return new Contents(List.of(), 0, 0);
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw corrupt(file, "cannot be read: " + e);
        }
        List<StateDocument> records = new ArrayList<>();
        int start = 0;
        int line = 0;
        while (start < bytes.length) {
            line++;
            int end = indexOf(bytes, (byte) '\n', start);
            String problem = end < 0 ? "ends without a newline" : problem(bytes, start, end, records);
            if (problem != null) {
                if (end < 0 || end == bytes.length - 1) {
                    // The last line: an append that a crash cut short, never acknowledged.
                    LOG.warnf("State journal %s: the last line (%d, %d bytes) %s; it is a change that was being written when the "
                            + "control plane stopped and was never acknowledged: dropped", file, line, bytes.length - start, problem);
                    return new Contents(List.copyOf(records), start, bytes.length - start);
                }
                throw corrupt(file, "is damaged at line " + line + " (byte " + start + "): " + problem + ", and changes follow it");
            }
            start = end + 1;
        }
        return new Contents(List.copyOf(records), bytes.length, 0);
    }

    /** Parses one line into {@code records}; what is wrong with it, or null. */
    private static String problem(byte[] bytes, int start, int end, List<StateDocument> records) {
        if (end - start < CRC_DIGITS + 2 || bytes[start + CRC_DIGITS] != ' ') {
            return "is not a checksum and a record";
        }
        long expected;
        try {
            expected = HEX.fromHexDigitsToLong(new String(bytes, start, CRC_DIGITS, StandardCharsets.US_ASCII));
        } catch (IllegalArgumentException e) {
            return "does not start with a checksum";
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, start + CRC_DIGITS + 1, end - start - CRC_DIGITS - 1);
        if (crc.getValue() != expected) {
            return "does not match its checksum";
        }
        String json = new String(bytes, start + CRC_DIGITS + 1, end - start - CRC_DIGITS - 1, StandardCharsets.UTF_8);
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

    Path path() {
        return file;
    }

    /** Records appended since the journal was last emptied. */
    int records() {
        return records;
    }

    /** False after an append that could not be undone: the next change must be written whole, then {@link #reset()}. */
    boolean appendable() {
        return !damaged;
    }

    /** Appends one record and makes it durable; on failure the journal is as it was (or no longer {@link #appendable()}). */
    void append(StateDocument record) throws IOException {
        if (damaged) {
            throw new IOException("state journal " + file + " is damaged; the next change is written whole instead");
        }
        byte[] json = DshaJson.mapper().writeValueAsBytes(record);
        CRC32C crc = new CRC32C();
        crc.update(json);
        ByteBuffer line = ByteBuffer.allocate(CRC_DIGITS + 1 + json.length + 1);
        line.put(HEX.toHexDigits((int) crc.getValue()).getBytes(StandardCharsets.US_ASCII)).put((byte) ' ').put(json).put((byte) '\n');
        line.flip();
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

    private void undo(FileChannel ch) {
        try {
            ch.truncate(length);
            ch.force(false);
        } catch (IOException e) {
            damaged = true;
        }
    }

    /**
     * Empties the journal once {@code state.json} holds everything in it. Never throws: records left
     * behind are older than {@code state.json} and skipped at start; until emptying succeeds, nothing
     * more is appended.
     */
    void reset() {
        if (length == 0 && records == 0 && !damaged) {
            return;
        }
        try {
            FileChannel ch = channel();
            ch.truncate(0);
            ch.force(true);
            length = 0;
            records = 0;
            damaged = false;
        } catch (IOException e) {
            damaged = true;
            LOG.warnf("State journal %s could not be emptied (%s); changes are written whole to %s until it can be", file, e,
                    StateFile.NAME);
        }
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

    private static void syncDirectory(Path dir) throws IOException {
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
