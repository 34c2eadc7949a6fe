import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * N long-poll watchers of the control plane in one JVM, for bench/propagation.sh --watchers and bench/scale.sh
 * (a proxy JVM per watcher makes the figures those of a machine at load 30–80). JDK only:
 *
 *   java bench/tools/Watchers.java CP_URL AGENT_TOKEN N OUT_DIR [QUERY]
 *
 * Each watcher has its own keep-alive HTTP/1.1 connection and loops {@code GET /api/v1/watch?since=<last revision>}
 * (plus {@code &QUERY} when given, e.g. {@code timeoutMs=20000}), as the proxy's cp-client does: the first request
 * has since=-1 (answered at once with the current state). All of them run on ONE selector thread with non-blocking
 * sockets (JDK 17 has no virtual threads; 500 platform threads would measure the scheduler): when an answer is
 * complete, the watcher's receive time ({@code Instant.now()}, microseconds) is taken before anything else is done
 * with it, and its next request is written at once.
 *
 * Every second OUT_DIR/progress is rewritten: {@code waiting=W min=R max=R answers=A bytes=B errors=E} (W: watchers
 * whose last answer is in and whose next watch is sent; min/max: the lowest and highest revision held). On SIGTERM
 * (or SIGINT) OUT_DIR/received.csv is written: {@code watcher,revision,status,received_epoch_us,body_bytes}, one
 * line per answer (200 and 204), then the process exits.
 */
public final class Watchers {

    private static final byte[] CRLFCRLF = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    /** One answer as received. */
    private record Received(int watcher, long revision, int status, long epochMicros, int bodyBytes) {
    }

    /** One watcher: its connection, what it holds, the answer being read. */
    private static final class Watcher {
        final int id;
        final SocketChannel channel;
        long revision = -1;
        ByteBuffer out;
        byte[] in = new byte[16 * 1024];
        int inLength;
        long bodyRead;              // body bytes of the answer being read that were dropped already
        int headerEnd = -1;        // index just past the blank line, once seen
        int status;
        long contentLength = -1;
        long answerRevision = -1;
        boolean waiting;            // its watch is sent and no answer has come since

        Watcher(int id, SocketChannel channel) {
            this.id = id;
            this.channel = channel;
        }
    }

    private final InetSocketAddress address;
    private final String hostHeader;
    private final String token;
    private final String query;
    private final List<Received> received = new ArrayList<>(1 << 16);
    private long bytes;
    private long errors;
    private volatile boolean stopping;

    private Watchers(URI base, String token, String query) {
        this.address = new InetSocketAddress(base.getHost(), base.getPort());
        this.hostHeader = base.getHost() + ":" + base.getPort();
        this.token = token;
        this.query = query;
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 4 && args.length != 5) {
            System.err.println("usage: java Watchers.java CP_URL AGENT_TOKEN N OUT_DIR [QUERY]");
            System.exit(2);
        }
        URI base = URI.create(args[0]);
        int n = Integer.parseInt(args[2]);
        Path outDir = Path.of(args[3]);
        Files.createDirectories(outDir);
        Watchers w = new Watchers(base, args[1], args.length > 4 ? args[4] : "");
        Thread main = Thread.currentThread();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            w.stopping = true;
            try {
                main.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
        w.run(n, outDir);
    }

    private void run(int n, Path outDir) throws IOException {
        List<Watcher> watchers = new ArrayList<>(n);
        try (Selector selector = Selector.open()) {
            for (int i = 0; i < n; i++) {
                SocketChannel ch = SocketChannel.open();
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                ch.connect(address);   // blocking connect: loopback, once at the start
                ch.configureBlocking(false);
                Watcher w = new Watcher(i + 1, ch);
                watchers.add(w);
                ch.register(selector, SelectionKey.OP_READ, w);
                send(w, selector);
            }
            long nextProgress = 0;
            while (!stopping) {
                selector.select(200);
                Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey key = it.next();
                    it.remove();
                    Watcher w = (Watcher) key.attachment();
                    try {
                        if (key.isValid() && key.isWritable()) {
                            flush(w, key);
                        }
                        if (key.isValid() && key.isReadable()) {
                            read(w, key, selector);
                        }
                    } catch (IOException e) {
                        errors++;
                        System.err.println("watcher " + w.id + ": " + e);
                        key.cancel();
                        w.channel.close();
                    }
                }
                long now = System.nanoTime();
                if (now >= nextProgress) {
                    progress(watchers, outDir);
                    nextProgress = now + TimeUnit.SECONDS.toNanos(1);
                }
            }
            progress(watchers, outDir);
            for (Watcher w : watchers) {
                w.channel.close();
            }
        }
        Path tmp = outDir.resolve("received.csv.tmp");
        try (PrintWriter pw = new PrintWriter(Files.newBufferedWriter(tmp))) {
            pw.println("watcher,revision,status,received_epoch_us,body_bytes");
            for (Received r : received) {
                pw.printf(Locale.ROOT, "%d,%d,%d,%d,%d%n", r.watcher(), r.revision(), r.status(), r.epochMicros(), r.bodyBytes());
            }
        }
        Files.move(tmp, outDir.resolve("received.csv"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private void send(Watcher w, Selector selector) throws IOException {
        String request = "GET /api/v1/watch?since=" + w.revision + (query.isEmpty() ? "" : "&" + query) + " HTTP/1.1\r\n"
                + "Host: " + hostHeader + "\r\nAuthorization: Bearer " + token + "\r\nAccept: application/json\r\n\r\n";
        w.out = ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII));
        w.channel.write(w.out);
        w.waiting = true;
        if (w.out.hasRemaining()) {
            w.channel.keyFor(selector).interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
        }
    }

    private static void flush(Watcher w, SelectionKey key) throws IOException {
        w.channel.write(w.out);
        if (!w.out.hasRemaining()) {
            key.interestOps(SelectionKey.OP_READ);
        }
    }

    /**
     * Reads what is there: the head is kept until its blank line is in, then the body is counted and dropped (the
     * snapshot of a big site is a megabyte; 500 copies would not fit), except an error's, kept to be shown.
     */
    private void read(Watcher w, SelectionKey key, Selector selector) throws IOException {
        while (true) {
            if (w.inLength == w.in.length) {
                if (w.headerEnd < 0 || w.status != 200 && w.status != 204) {
                    w.in = java.util.Arrays.copyOf(w.in, w.in.length * 2);
                } else {
                    w.bodyRead += w.inLength - w.headerEnd;   // a 200's body: counted, not kept
                    w.inLength = w.headerEnd;
                }
            }
            int got = w.channel.read(ByteBuffer.wrap(w.in, w.inLength, w.in.length - w.inLength));
            if (got < 0) {
                throw new IOException("the control plane closed the connection");
            }
            if (got == 0) {
                return;
            }
            w.inLength += got;
            if (w.headerEnd < 0 && !parseHeader(w)) {
                continue;
            }
            long body = w.bodyRead + w.inLength - w.headerEnd;
            if (body < w.contentLength) {
                continue;
            }
            if (body > w.contentLength) {
                throw new IOException("bytes after an answer before a request was sent");
            }
            // The whole answer is in: its time first.
            long micros = epochMicros();
            bytes += w.headerEnd + body;
            received.add(new Received(w.id, w.answerRevision, w.status, micros, (int) body));
            if (w.status == 200) {
                w.revision = Math.max(w.revision, w.answerRevision);
            } else if (w.status != 204) {
                errors++;
                System.err.println("watcher " + w.id + ": HTTP " + w.status + " "
                        + new String(w.in, w.headerEnd, w.inLength - w.headerEnd, StandardCharsets.UTF_8));
            }
            w.inLength = 0;
            w.bodyRead = 0;
            w.headerEnd = -1;
            w.contentLength = -1;
            w.answerRevision = -1;
            w.waiting = false;
            if (!stopping) {
                send(w, selector);
            }
            return;
        }
    }

    /** Parses the status line and headers once the blank line is in; false while it is not. */
    private static boolean parseHeader(Watcher w) throws IOException {
        int end = indexOf(w.in, w.inLength, CRLFCRLF);
        if (end < 0) {
            return false;
        }
        String head = new String(w.in, 0, end, StandardCharsets.US_ASCII);
        String[] lines = head.split("\r\n");
        String[] statusLine = lines[0].split(" ", 3);
        w.status = Integer.parseInt(statusLine[1]);
        w.contentLength = 0;
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon < 0) {
                continue;
            }
            String name = lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = lines[i].substring(colon + 1).trim();
            switch (name) {
                case "content-length" -> w.contentLength = Long.parseLong(value);
                case "x-dsha-revision" -> w.answerRevision = Long.parseLong(value);
                case "transfer-encoding" -> throw new IOException("chunked answers are not read by this tool: " + value);
                default -> {
                }
            }
        }
        w.headerEnd = end + CRLFCRLF.length;
        return true;
    }

    private static int indexOf(byte[] a, int length, byte[] b) {
        outer:
        for (int i = 0; i + b.length <= length; i++) {
            for (int j = 0; j < b.length; j++) {
                if (a[i + j] != b[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static long epochMicros() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }

    private void progress(List<Watcher> watchers, Path outDir) throws IOException {
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        int waiting = 0;
        for (Watcher w : watchers) {
            min = Math.min(min, w.revision);
            max = Math.max(max, w.revision);
            if (w.waiting) {
                waiting++;
            }
        }
        Path tmp = outDir.resolve("progress.tmp");
        Files.writeString(tmp, String.format(Locale.ROOT, "waiting=%d min=%d max=%d answers=%d bytes=%d errors=%d%n",
                waiting, min, max, received.size(), bytes, errors));
        Files.move(tmp, outDir.resolve("progress"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
