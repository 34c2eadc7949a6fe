package io.dsha.proxy.ingest;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;
import java.util.zip.CRC32C;
import org.jboss.logging.Logger;

/**
 * The proxy's journal of records accepted on ingest routes, in {@code <dsha.state-dir>/ingest/journal.log}: an
 * append-only file of entries, each {@code [length][crc32c][payload]}. A RECORD entry holds the whole request and the
 * instances it is for; DONE says one instance is done with it (delivered, refused, or dropped); ABORT says it was
 * given up before any instance took it. A record is durable once its RECORD entry is forced to disk; entries from
 * many sources are forced together (group commit), on one writer thread, so a burst of records costs one fsync.
 * DONE entries are not forced on their own: one lost in a crash only makes the record be sent again, and the instance
 * knows it by its idempotency key. When the file has grown to twice what is still live, it is rewritten with only
 * the live records (a new file, forced, renamed over the old one).
 *
 * <p>At start the file is read back: a torn last entry (a crash mid-write) is cut off, and every record not done with
 * everywhere comes back ({@link #recover}).
 */
final class IngestJournal implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(IngestJournal.class);
    private static final byte RECORD = 1;
    private static final byte DONE = 2;
    private static final byte ABORT = 3;

    private final Path dir;
    private final Path file;
    private FileChannel channel;
    private final BlockingQueue<Op> ops = new LinkedBlockingQueue<>();
    private final Thread writer;
    private volatile boolean closed;
    /** Bytes in the file (written by the writer thread, read by anyone). */
    private volatile long fileBytes;
    /** The highest record number the file holds (live or not): new records are numbered after it. */
    private long maxSeq;
    /** Records whose append failed (writer thread only): a rewrite never brings them back. */
    private final java.util.Set<Long> failedSeqs = new java.util.HashSet<>();

    /**
     * One thing for the writer: append bytes (forced or not), append a record (forced; serialized on the writer thread,
     * not the caller's), or rewrite the file with the live records.
     */
    private record Op(ByteBuffer bytes, IngestRecord record, List<Recovered> live, Consumer<IOException> done) {
        boolean force() {
            return record != null || live != null;
        }
    }

    IngestJournal(Path dir) throws IOException {
        this.dir = dir;
        Files.createDirectories(dir);
        this.file = dir.resolve("journal.log");
        this.channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ);
        // The records keep the sources' headers (an Authorization among them): only the proxy's user may read them.
        ownerOnly(dir, "rwx------");
        ownerOnly(file, "rw-------");
        this.fileBytes = channel.size();
        this.writer = new Thread(this::write, "dsha-ingest-journal");
        this.writer.setDaemon(true);
    }

    private static void ownerOnly(Path p, String permissions) throws IOException {
        if (p.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString(permissions));
        }
    }

    Path file() {
        return file;
    }

    long fileBytes() {
        return fileBytes;
    }

    /** A record read back from the file, with the instances still to get it. */
    record Recovered(IngestRecord record, List<String> remaining) {
    }

    /**
     * Reads the file back: the records not yet done with everywhere, in the order they were accepted. A torn or
     * corrupt tail is cut off (logged). Call once, before {@link #start}.
     */
    List<Recovered> recover() throws IOException {
        Map<Long, IngestRecord> records = new LinkedHashMap<>();
        Map<Long, List<String>> remaining = new LinkedHashMap<>();
        long good = 0;
        long size = channel.size();
        try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
            while (good < size) {
                if (size - good < 8) {
                    break;
                }
                int len = in.readInt();
                int crc = in.readInt();
                if (len <= 0 || len > size - good - 8) {
                    break;
                }
                byte[] payload = in.readNBytes(len);
                CRC32C c = new CRC32C();
                c.update(payload);
                if ((int) c.getValue() != crc) {
                    break;
                }
                maxSeq = Math.max(maxSeq, apply(payload, records, remaining));
                good += 8 + len;
            }
        }
        if (good < size) {
            LOG.warnf("Ingest journal %s: cut %d bytes of a torn or corrupt last entry (a crash while it was written: that record "
                    + "was never acknowledged)", file, size - good);
            channel.truncate(good);
            channel.force(true);
        }
        channel.position(good);
        fileBytes = good;
        List<Recovered> out = new ArrayList<>();
        records.forEach((seq, r) -> {
            List<String> left = remaining.get(seq);
            if (!left.isEmpty()) {
                out.add(new Recovered(r, left));
            }
        });
        return out;
    }

    /** The highest record number read so far. */
    long maxSeq() {
        return maxSeq;
    }

    /** Applies one entry; returns the record number it is about. */
    private static long apply(byte[] payload, Map<Long, IngestRecord> records, Map<Long, List<String>> remaining) throws IOException {
        DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(payload));
        byte type = in.readByte();
        long seq = in.readLong();
        switch (type) {
            case RECORD -> {
                long at = in.readLong();
                String key = in.readUTF();
                String method = in.readUTF();
                String uri = in.readUTF();
                int nh = in.readUnsignedShort();
                List<Map.Entry<String, String>> headers = new ArrayList<>(nh);
                for (int i = 0; i < nh; i++) {
                    headers.add(Map.entry(in.readUTF(), in.readUTF()));
                }
                int nt = in.readUnsignedShort();
                String[] targets = new String[nt];
                List<String> left = new ArrayList<>(nt);
                for (int i = 0; i < nt; i++) {
                    targets[i] = in.readUTF();
                    if (in.readBoolean()) {
                        left.add(targets[i]);
                    }
                }
                byte[] body = in.readNBytes(in.readInt());
                String source = in.readUTF();
                records.put(seq, new IngestRecord(seq, key, method, uri, headers, body, at, targets, source));
                remaining.put(seq, left);
            }
            case DONE -> {
                String backend = in.readUTF();
                List<String> left = remaining.get(seq);
                if (left != null) {
                    left.remove(backend);
                }
            }
            case ABORT -> {
                records.remove(seq);
                remaining.remove(seq);
            }
            default -> throw new IOException("unknown entry type " + type);
        }
        return seq;
    }

    void start() {
        writer.start();
    }

    /** Appends {@code r}'s RECORD entry and forces it; {@code done} is called on the writer thread (null: durable). */
    void appendRecord(IngestRecord r, Consumer<IOException> done) {
        ops.add(new Op(null, r, null, done));
    }

    /** Appends that {@code backend} is done with record {@code seq} (not forced). */
    void appendDone(long seq, String backend) {
        ops.add(new Op(frame(small(DONE, seq, backend)), null, null, null));
    }

    /** Appends that record {@code seq} was given up (not forced: a record given up and then replayed is stored once). */
    void appendAbort(long seq) {
        ops.add(new Op(frame(small(ABORT, seq, null)), null, null, null));
    }

    /**
     * Replaces the file with these live records, each with the instances it still has to reach. Ops queued before
     * this one are written to the old file first; those after it go to the new one. The records are written one by
     * one on the writer thread (what is read of them never changes), so a rewrite costs its caller a list.
     */
    void rewrite(List<Recovered> live) {
        ops.add(new Op(null, null, live, null));
    }

    private static byte[] recordEntry(IngestRecord r, List<String> remaining) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(r.size);
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeByte(RECORD);
            out.writeLong(r.seq);
            out.writeLong(r.acceptedAtMillis);
            out.writeUTF(r.key);
            out.writeUTF(r.method);
            out.writeUTF(r.uri);
            out.writeShort(r.headers.size());
            for (Map.Entry<String, String> h : r.headers) {
                out.writeUTF(h.getKey());
                out.writeUTF(h.getValue());
            }
            out.writeShort(r.targets.length);
            for (String t : r.targets) {
                out.writeUTF(t);
                out.writeBoolean(remaining == null || remaining.contains(t));
            }
            out.writeInt(r.body.length);
            out.write(r.body);
            // Who sent it (its connection, as text): records replayed after a restart keep their order per source.
            out.writeUTF(String.valueOf(r.source));
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] small(byte type, long seq, String backend) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(32);
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeByte(type);
            out.writeLong(seq);
            if (backend != null) {
                out.writeUTF(backend);
            }
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ByteBuffer frame(byte[] payload) {
        CRC32C c = new CRC32C();
        c.update(payload);
        ByteBuffer b = ByteBuffer.allocate(8 + payload.length);
        b.putInt(payload.length).putInt((int) c.getValue()).put(payload).flip();
        return b;
    }

    /** The writer thread: takes what is queued, writes it, forces once for all that asked, then says so. */
    private void write() {
        List<Op> batch = new ArrayList<>();
        Map<Op, IOException> refused = new java.util.IdentityHashMap<>();
        while (!closed || !ops.isEmpty()) {
            try {
                Op first = ops.poll(200, java.util.concurrent.TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                ops.drainTo(batch, 4096);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            IOException failure = null;
            boolean force = false;
            long mark = -1;
            try {
                mark = channel.position();
                for (Op op : batch) {
                    if (op.live() != null) {
                        if (force) {
                            channel.force(false);
                            force = false;
                        }
                        replaceWith(op.live());
                        mark = channel.position();
                        continue;
                    }
                    ByteBuffer bytes = op.bytes();
                    if (op.record() != null) {
                        try {
                            bytes = frame(recordEntry(op.record(), null));
                        } catch (UncheckedIOException e) {
                            // This record cannot be written (a header over 64 KiB): it alone is refused.
                            refused.put(op, e.getCause());
                            failedSeqs.add(op.record().seq);
                            continue;
                        }
                    }
                    while (bytes.hasRemaining()) {
                        channel.write(bytes);
                    }
                    force |= op.force();
                }
                if (force) {
                    channel.force(false);
                }
                fileBytes = channel.position();
            } catch (IOException | RuntimeException e) {
                failure = e instanceof IOException io ? io : new IOException(e.toString(), e);
                LOG.errorf("Ingest journal %s: cannot write (%s): records are refused until it can", file, e.getMessage());
                for (Op op : batch) {
                    if (op.record() != null) {
                        failedSeqs.add(op.record().seq);
                    }
                }
                // What this batch wrote in part (a full disk stops a write midway) is cut off, so that what is
                // appended later is not behind a torn entry (which the next start would stop reading at).
                try {
                    if (mark >= 0) {
                        channel.truncate(mark);
                        channel.position(mark);
                    }
                } catch (IOException again) {
                    LOG.errorf("Ingest journal %s: cannot cut off a failed write (%s)", file, again.getMessage());
                }
            }
            for (Op op : batch) {
                if (op.done() != null) {
                    op.done().accept(failure != null ? failure : refused.get(op));
                }
            }
            batch.clear();
            refused.clear();
        }
    }

    private void replaceWith(List<Recovered> live) throws IOException {
        Path next = dir.resolve("journal.log.next");
        try (FileChannel out = FileChannel.open(next, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ownerOnly(next, "rw-------");
            for (Recovered l : live) {
                if (failedSeqs.contains(l.record().seq)) {
                    continue; // its source was told nothing was stored
                }
                ByteBuffer b = frame(recordEntry(l.record(), l.remaining()));
                while (b.hasRemaining()) {
                    out.write(b);
                }
            }
            out.force(true);
        }
        Files.move(next, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            // Some file systems cannot force a directory; the rename is still atomic.
        }
        channel.close();
        channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.READ);
        channel.position(channel.size());
    }

    /** Writes what is queued, then closes the file. */
    @Override
    public void close() {
        closed = true;
        try {
            writer.join(5_000);
            channel.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            LOG.debugf("Closing the ingest journal: %s", e.getMessage());
        }
    }
}
