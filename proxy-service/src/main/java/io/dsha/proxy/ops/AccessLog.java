package io.dsha.proxy.ops;

import io.dsha.proxy.config.ProxyConfig.AccessLogConfig.Format;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.FastThreadLocal;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.jboss.logging.Logger;

/**
 * The access log: one line per request (and per passthrough connection), written off the event loops.
 *
 * <p>Each event loop formats its lines straight into a batch of its own (64 KiB of bytes, no per-line objects);
 * a batch goes to the writer thread when it is nearly full, and at least every {@link #HAND_OFF_MILLIS} ms. The
 * writer writes it out (to standard output in pieces of at most {@link #PIPE_BUF} bytes that end on a line, so
 * that no other line of the process lands inside one of ours on a pipe; to a file in one write) and gives the
 * batch back. There are {@code bufferBytes / 64 KiB} batches in all: when the writer falls behind (a blocked
 * pipe, a slow disk) and none is free, lines are dropped, never waited for. Drops are counted in
 * {@code dsha_access_log_lines_total{result="dropped"}} and said in a warning at most every 10 s.
 *
 * <p>Two formats: {@code text} (space-separated, one {@code key=value} per field after the request line) and
 * {@code json} (one object per line). Fields: time (the request's start, UTC, milliseconds), client (address),
 * method, path (its query left out), status, bytes in (the request body's bytes from the client), bytes out
 * (the response body's bytes to the client), backend, attempts (backends tried), and three durations: total,
 * connect (the last attempt's wait for a backend connection, new or reused) and first byte (from the request's
 * start to the backend's response head). What cannot be known is {@code -} (text) or {@code null} (json).
 */
public final class AccessLog implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(AccessLog.class);

    /** Bytes in one batch. */
    static final int BATCH_BYTES = 64 * 1024;
    /** A line never takes more than this (each variable field is cut to fit): a batch with this much left takes any line. */
    static final int MAX_LINE_BYTES = 8 * 1024;
    /** The most bytes of a path written (escaped). */
    static final int MAX_PATH_BYTES = 4 * 1024;
    /** The most bytes of a short field (client, method, backend, SNI, ending) written (escaped). */
    static final int MAX_SHORT_BYTES = 256;
    /** A write to a pipe of at most this many bytes is never interleaved with another (POSIX PIPE_BUF on Linux). */
    static final int PIPE_BUF = 4096;
    /** The longest a line waits on its event loop before going to the writer. */
    static final long HAND_OFF_MILLIS = 100;
    /** How long the writer sleeps when it found nothing to write. */
    static final long WRITER_PARK_MILLIS = 20;
    private static final long DROP_WARN_EVERY_NANOS = 10_000_000_000L;

    private final Format format;
    private final OutputStream out;
    private final String destination;
    /** Whether the destination may be shared with other writers of this process (standard output): write line-whole pieces. */
    private final boolean pieces;
    /** Batches free to fill, and batches waiting for the writer: lock-free, and a hand-off wakes no thread. */
    private final ConcurrentLinkedQueue<Batch> free = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Batch> full = new ConcurrentLinkedQueue<>();
    private final FastThreadLocal<Local> locals = new FastThreadLocal<>() {
        @Override
        protected Local initialValue() {
            Local l = new Local();
            all.add(l);
            return l;
        }
    };
    private final List<Local> all = new CopyOnWriteArrayList<>();
    private final Thread writer;
    private final AtomicLong written = new AtomicLong();
    private final LongAdder dropped = new LongAdder();
    private final AtomicLong lastDropWarn = new AtomicLong(System.nanoTime() - DROP_WARN_EVERY_NANOS);
    private final AtomicLong droppedAtLastWarn = new AtomicLong();
    private volatile boolean closed;
    private volatile IOException failure;

    /**
     * @param file where to append, or null for standard output
     * @param bufferBytes the most bytes of lines held at once, waiting for the writer (at least two batches)
     */
    public AccessLog(Format format, Path file, long bufferBytes) throws IOException {
        this.format = format;
        if (file == null) {
            this.out = new FileOutputStream(FileDescriptor.out);
            this.destination = "standard output";
            this.pieces = true;
        } else {
            this.out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
            this.destination = file.toString();
            this.pieces = false;
        }
        int batches = (int) Math.max(2, Math.min(4096, bufferBytes / BATCH_BYTES));
        for (int i = 0; i < batches; i++) {
            free.add(new Batch());
        }
        this.writer = new Thread(this::write, "dsha-access-log");
        writer.setDaemon(true);
        writer.start();
    }

    /** Counts lines written and dropped: {@code dsha_access_log_lines_total{result}}. */
    public void register(MeterRegistry registry) {
        FunctionCounter.builder("dsha.access.log.lines", written, AtomicLong::get).tag("result", "written")
                .description("Access log lines written, and dropped because the writer fell behind").register(registry);
        FunctionCounter.builder("dsha.access.log.lines", dropped, LongAdder::sum).tag("result", "dropped")
                .description("Access log lines written, and dropped because the writer fell behind").register(registry);
    }

    public String destination() {
        return destination;
    }

    public long written() {
        return written.get();
    }

    public long dropped() {
        return dropped.sum();
    }

    /**
     * One HTTP request's line. Call on the request's event loop ({@code loop}; null: not on one, the line goes to
     * the writer at once). Durations in nanoseconds, negative when unknown; {@code backend} null when none.
     */
    public void http(EventExecutor loop, String client, String method, String uri, int status, long bytesIn, long bytesOut, String backend,
            int attempts, long totalNanos, long connectNanos, long firstByteNanos) {
        Local l = locals.get();
        Batch b = begin(l, loop, client, totalNanos);
        if (b == null) {
            return;
        }
        if (format == Format.JSON) {
            b.raw(",\"method\":").jsonString(method, MAX_SHORT_BYTES).raw(",\"path\":").jsonPath(uri)
                    .raw(",\"status\":").number(status).raw(",\"bytes_in\":").number(bytesIn).raw(",\"bytes_out\":").number(bytesOut)
                    .raw(",\"backend\":").jsonString(backend, MAX_SHORT_BYTES).raw(",\"attempts\":").number(attempts)
                    .raw(",\"duration_ms\":").millis(totalNanos, "null").raw(",\"connect_ms\":").millis(connectNanos, "null")
                    .raw(",\"first_byte_ms\":").millis(firstByteNanos, "null").raw("}\n");
        } else {
            b.raw(" ").text(method, MAX_SHORT_BYTES, Integer.MAX_VALUE)
                    .raw(" ").text(uri, MAX_PATH_BYTES, '?').raw(" ").number(status).raw(" in=").number(bytesIn).raw(" out=").number(bytesOut)
                    .raw(" backend=").text(backend, MAX_SHORT_BYTES, Integer.MAX_VALUE).raw(" attempts=").number(attempts)
                    .raw(" total=").millis(totalNanos, "-").unit(totalNanos).raw(" connect=").millis(connectNanos, "-").unit(connectNanos)
                    .raw(" first_byte=").millis(firstByteNanos, "-").unit(firstByteNanos).raw("\n");
        }
        l.lineDone(loop);
    }

    /** One passthrough (TLS by SNI) connection's line, when it has closed; as {@link #http}. */
    public void tcp(EventExecutor loop, String client, String serverName, String backend, long bytesIn, long bytesOut, long totalNanos, String ending) {
        Local l = locals.get();
        Batch b = begin(l, loop, client, totalNanos);
        if (b == null) {
            return;
        }
        if (format == Format.JSON) {
            b.raw(",\"protocol\":\"tcp\",\"sni\":").jsonString(serverName, MAX_SHORT_BYTES)
                    .raw(",\"backend\":").jsonString(backend, MAX_SHORT_BYTES).raw(",\"bytes_in\":").number(bytesIn)
                    .raw(",\"bytes_out\":").number(bytesOut).raw(",\"duration_ms\":").millis(totalNanos, "null")
                    .raw(",\"end\":").jsonString(ending, MAX_SHORT_BYTES).raw("}\n");
        } else {
            b.raw(" tcp sni=")
                    .text(serverName, MAX_SHORT_BYTES, Integer.MAX_VALUE).raw(" backend=").text(backend, MAX_SHORT_BYTES, Integer.MAX_VALUE)
                    .raw(" in=").number(bytesIn).raw(" out=").number(bytesOut).raw(" total=").millis(totalNanos, "-").unit(totalNanos)
                    .raw(" end=").text(ending, MAX_SHORT_BYTES, SPACES_KEPT).raw("\n");
        }
        l.lineDone(loop);
    }

    /**
     * The batch for a line, its time (the start: {@code totalNanos} ago) and client written; null when it is
     * dropped (no batch free) or the log is closed.
     */
    private Batch begin(Local l, EventExecutor loop, String client, long totalNanos) {
        if (closed) {
            return null;
        }
        Batch b = l.batchFor(loop);
        if (b == null) {
            dropped(1);
            return null;
        }
        long startMillis = System.currentTimeMillis() - Math.max(0, totalNanos) / 1_000_000;
        if (format == Format.JSON) {
            b.raw("{\"time\":\"").time(l, startMillis).raw("\",\"client\":").jsonString(client, MAX_SHORT_BYTES);
        } else {
            b.time(l, startMillis).raw(" ").text(client, MAX_SHORT_BYTES, Integer.MAX_VALUE);
        }
        return b;
    }

    private void dropped(long n) {
        dropped.add(n);
        long now = System.nanoTime();
        long last = lastDropWarn.get();
        if (now - last >= DROP_WARN_EVERY_NANOS && lastDropWarn.compareAndSet(last, now)) {
            long total = dropped.sum();
            long since = total - droppedAtLastWarn.getAndSet(total);
            IOException f = failure;
            LOG.warnf("Access log: %d lines dropped in the last %d s (%d in all): the writer to %s falls behind%s", since,
                    DROP_WARN_EVERY_NANOS / 1_000_000_000L, total, destination, f == null ? "" : " (" + f.getMessage() + ")");
        }
    }

    /** Writes out every line taken so far (each event loop hands its batch on), then stops the writer; waits up to 2 s. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        for (Local l : all) {
            EventExecutor loop = l.loop;
            if (loop != null && !loop.isShuttingDown()) {
                try {
                    loop.submit(l::handOff).await(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                } catch (RuntimeException e) {
                    // the loop is gone: its last lines with it
                }
            }
        }
        closed = true;
        LockSupport.unpark(writer);
        try {
            writer.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!pieces) {
            try {
                out.close();
            } catch (IOException e) {
                LOG.warnf("Access log: closing %s: %s", destination, e.getMessage());
            }
        }
    }

    /**
     * The writer thread: it looks for batches every {@link #WRITER_PARK_MILLIS} ms and writes out all it finds. It is
     * never woken by an event loop: a wake-up is a system call on the loop, and on a busy host the woken thread may
     * take the loop's CPU then and there.
     */
    private void write() {
        while (true) {
            boolean wrote = false;
            for (Batch b; (b = full.poll()) != null;) {
                writeOut(b);
                wrote = true;
            }
            if (wrote) {
                flush();
            }
            if (closed && full.isEmpty()) {
                return;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(WRITER_PARK_MILLIS));
        }
    }

    private void writeOut(Batch b) {
        try {
            if (pieces) {
                int from = 0;
                while (from < b.length) {
                    int to = Math.min(b.length, from + PIPE_BUF);
                    if (to < b.length) {
                        int nl = lastNewline(b.bytes, from, to);
                        to = nl > from ? nl + 1 : to; // a line longer than PIPE_BUF goes whole in pieces
                    }
                    out.write(b.bytes, from, to - from);
                    from = to;
                }
            } else {
                out.write(b.bytes, 0, b.length);
            }
            written.addAndGet(b.lines);
            failure = null;
        } catch (IOException e) {
            if (failure == null) {
                LOG.errorf("Access log: cannot write to %s: %s; its lines are dropped until it can", destination, e.getMessage());
            }
            failure = e;
            dropped(b.lines);
        }
        b.length = 0;
        b.lines = 0;
        free.offer(b);
    }

    private void flush() {
        try {
            out.flush();
        } catch (IOException e) {
            failure = e;
        }
    }

    private static int lastNewline(byte[] bytes, int from, int to) {
        for (int i = to - 1; i >= from; i--) {
            if (bytes[i] == '\n') {
                return i;
            }
        }
        return -1;
    }

    /** What one thread (an event loop) holds: its batch, and the time of day it last formatted. */
    private final class Local {
        private Batch batch;
        /** The event loop this thread runs, once known: the periodic hand-off runs on it. */
        private EventExecutor loop;
        private long second = Long.MIN_VALUE;
        private final byte[] secondText = new byte[20]; // 2026-12-08T02:40:11.

        /** The batch for the next line (with room for a whole one); null when none is free. */
        Batch batchFor(EventExecutor executor) {
            if (loop == null && executor != null && executor.inEventLoop()) {
                loop = executor;
                executor.scheduleAtFixedRate(this::handOff, HAND_OFF_MILLIS, HAND_OFF_MILLIS, TimeUnit.MILLISECONDS);
            }
            if (batch == null) {
                batch = free.poll();
            }
            return batch;
        }

        void lineDone(EventExecutor executor) {
            batch.lines++;
            if (executor == null || executor != loop || BATCH_BYTES - batch.length < MAX_LINE_BYTES) {
                handOff();
            }
        }

        /** The batch, if it holds a line, goes to the writer (there is always room: as many places as batches). */
        void handOff() {
            Batch b = batch;
            if (b != null && b.lines > 0 && !closed) {
                batch = null;
                full.offer(b);
            }
        }
    }

    /** A batch of lines, written by one event loop, then by the writer. */
    static final class Batch {
        final byte[] bytes = new byte[BATCH_BYTES];
        int length;
        int lines;

        Batch raw(String s) {
            for (int i = 0, n = s.length(); i < n; i++) {
                bytes[length++] = (byte) s.charAt(i);
            }
            return this;
        }

        Batch number(long v) {
            if (v < 0) {
                bytes[length++] = '-';
                v = -v;
            }
            if (v < 10) {
                bytes[length++] = (byte) ('0' + v);
                return this;
            }
            int digits = 0;
            for (long t = v; t > 0; t /= 10) {
                digits++;
            }
            for (int i = length + digits - 1; i >= length; i--) {
                bytes[i] = (byte) ('0' + v % 10);
                v /= 10;
            }
            length += digits;
            return this;
        }

        /** Nanoseconds as milliseconds with three decimals (microseconds), or {@code absent} when negative. */
        Batch millis(long nanos, String absent) {
            if (nanos < 0) {
                return raw(absent);
            }
            long micros = nanos / 1_000;
            number(micros / 1_000);
            bytes[length++] = '.';
            int frac = (int) (micros % 1_000);
            bytes[length++] = (byte) ('0' + frac / 100);
            bytes[length++] = (byte) ('0' + frac / 10 % 10);
            bytes[length++] = (byte) ('0' + frac % 10);
            return this;
        }

        Batch unit(long nanos) {
            return nanos < 0 ? this : raw("ms");
        }

        /** The time as {@code 2026-12-08T02:40:11.123Z}; the text up to the second is made once a second per thread. */
        Batch time(Local l, long epochMillis) {
            long second = Math.floorDiv(epochMillis, 1000);
            if (second != l.second) {
                l.second = second;
                String s = SECOND.format(Instant.ofEpochSecond(second));
                for (int i = 0; i < 20; i++) {
                    l.secondText[i] = (byte) s.charAt(i);
                }
            }
            System.arraycopy(l.secondText, 0, bytes, length, 20);
            length += 20;
            int ms = (int) Math.floorMod(epochMillis, 1000);
            bytes[length++] = (byte) ('0' + ms / 100);
            bytes[length++] = (byte) ('0' + ms / 10 % 10);
            bytes[length++] = (byte) ('0' + ms % 10);
            bytes[length++] = 'Z';
            return this;
        }

        /**
         * A field of the text format: printable ASCII as it is, anything else (space, control, backslash, DEL,
         * beyond ASCII) as {@code \xNN}, so a field never holds a space and a line never breaks; cut at
         * {@code stop} (the query) and after {@code max} bytes (marked {@code ...}); {@code -} when null or empty.
         */
        Batch text(String s, int max, int stop) {
            boolean spaces = stop == SPACES_KEPT;
            if (s == null || s.isEmpty()) {
                bytes[length++] = '-';
                return this;
            }
            int limit = length + max;
            for (int i = 0, n = s.length(); i < n; i++) {
                char c = s.charAt(i);
                if (c == stop) {
                    break;
                }
                if (length + 4 > limit) {
                    return raw("...");
                }
                if (c > ' ' && c < 0x7f && c != '\\' || c == ' ' && spaces) {
                    bytes[length++] = (byte) c;
                } else if (c <= 0xff) {
                    hexEscape(c);
                } else {
                    // Beyond Latin-1 (not from an HTTP/1 head, which is read as bytes): its UTF-8 bytes, escaped.
                    byte[] utf8 = String.valueOf(c).getBytes(java.nio.charset.StandardCharsets.UTF_8);
                    if (length + 4 * utf8.length > limit) {
                        return raw("...");
                    }
                    for (byte u : utf8) {
                        hexEscape(u & 0xff);
                    }
                }
            }
            return this;
        }

        private void hexEscape(int c) {
            bytes[length++] = '\\';
            bytes[length++] = 'x';
            bytes[length++] = HEX[c >> 4];
            bytes[length++] = HEX[c & 0xf];
        }

        /** A JSON string (quotes included), ASCII only: {@code "} and {@code \} escaped, anything else outside printable ASCII as {@code \\uXXXX}; null as {@code null}. */
        Batch jsonString(String s, int max) {
            return json(s, max, Integer.MAX_VALUE);
        }

        /** The path, its query left out. */
        Batch jsonPath(String uri) {
            return json(uri, MAX_PATH_BYTES, '?');
        }

        private Batch json(String s, int max, int stop) {
            if (s == null) {
                return raw("null");
            }
            bytes[length++] = '"';
            int limit = length + max;
            for (int i = 0, n = s.length(); i < n; i++) {
                char c = s.charAt(i);
                if (c == stop) {
                    break;
                }
                if (length + 6 > limit) {
                    raw("...");
                    break;
                }
                if (c >= ' ' && c < 0x7f && c != '"' && c != '\\') {
                    bytes[length++] = (byte) c;
                } else if (c == '"' || c == '\\') {
                    bytes[length++] = '\\';
                    bytes[length++] = (byte) c;
                } else {
                    bytes[length++] = '\\';
                    bytes[length++] = 'u';
                    bytes[length++] = HEX[c >> 12 & 0xf];
                    bytes[length++] = HEX[c >> 8 & 0xf];
                    bytes[length++] = HEX[c >> 4 & 0xf];
                    bytes[length++] = HEX[c & 0xf];
                }
            }
            bytes[length++] = '"';
            return this;
        }
    }

    /** For {@link Batch#text}'s {@code stop}: nothing stops the field, and a space is written as it is (the last field of a line, our own words). */
    private static final int SPACES_KEPT = -2;
    private static final byte[] HEX = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final DateTimeFormatter SECOND = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.", Locale.ROOT).withZone(ZoneOffset.UTC);
}
