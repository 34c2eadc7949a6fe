import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * A closed-loop load generator for failover measurements (bench/failover.sh; see bench/README.md).
 *
 * <pre>
 * java bench/tools/Timeline.java --url https://127.0.0.1:8443/ [--cacert lb.crt | --insecure]
 *      [--connections 16] [--timeout-ms 5000] [--mark-file FILE] [--ready-file FILE]
 *      [--max-duration-s 60] [--before-ms 1000] [--after-ms 6000] [--bin-ms 10]
 *      [--primary alpha] [--secondary bravo] [--csv OUT.csv] [--summary OUT.txt] [--raw OUT.csv]
 * </pre>
 *
 * N connections (one thread each, HTTP/1.1 keep-alive, a GET after each answer, no pause) to one URL. Every request
 * is recorded: when it was sent, when it ended, how (status and body, or the error). A 2xx answer is a success and is
 * attributed to the primary or the secondary by its body; a status >= 500, a connection error (refused, reset,
 * closed) or no answer within --timeout-ms is a failure, after which the connection is closed and opened again
 * (immediately; a refused connect is retried every 10 ms). Other statuses are counted as "other".
 *
 * The mark (the kill): an epoch-millisecond number the caller writes into --mark-file at the moment of the fault.
 * Timeline polls that file only to know when it may stop ({@code mark + after-ms}); every record carries the wall
 * clock (epoch ms, derived from one System.currentTimeMillis()/nanoTime() pair at start), so records are placed
 * relative to the mark afterwards. Without a mark file the run lasts --max-duration-s and times are relative to the
 * start. --ready-file is created once every connection has had a successful answer (the caller waits for it before
 * counting down to the fault).
 *
 * Outputs: --csv, successes per bin from -before-ms to +after-ms around the mark
 * ({@code bin_ms,successes,primary,secondary,failures}, bin_ms = the bin's start relative to the mark); --summary,
 * the figures as {@code key=value} lines followed by the requests that took long or failed around the mark (also on
 * stdout); --raw, every request ({@code start_ms,end_ms,conn,outcome,status,detail}, relative to the mark).
 * JDK classes only.
 */
public class Timeline {

    // outcome codes
    static final byte PRIMARY = 0, SECONDARY = 1, OTHER_2XX = 2, NON_2XX = 3, FAIL_5XX = 4, FAIL_ERROR = 5, FAIL_TIMEOUT = 6;
    static final String[] OUTCOME = {"primary", "secondary", "2xx-other-body", "non-2xx", "5xx", "error", "timeout"};

    static boolean failure(byte o) {
        return o >= FAIL_5XX;
    }

    static boolean success(byte o) {
        return o <= OTHER_2XX;
    }

    /** One connection's records, appended by its own thread only (read after the threads have stopped). */
    static final class Records {
        long[] start = new long[1 << 14];
        long[] end = new long[1 << 14];
        byte[] outcome = new byte[1 << 14];
        int[] status = new int[1 << 14];
        Map<Integer, String> detail = new LinkedHashMap<>();
        int n;

        void add(long s, long e, byte o, int st, String d) {
            if (n == start.length) {
                start = Arrays.copyOf(start, n * 2);
                end = Arrays.copyOf(end, n * 2);
                outcome = Arrays.copyOf(outcome, n * 2);
                status = Arrays.copyOf(status, n * 2);
            }
            start[n] = s;
            end[n] = e;
            outcome[n] = o;
            status[n] = st;
            if (d != null) {
                detail.put(n, d);
            }
            n++;
        }
    }

    // ---- options ------------------------------------------------------------------------------------------------
    static URI url;
    static int connections = 16;
    static int timeoutMs = 5000;
    static Path cacert, markFile, readyFile, csvOut, summaryOut, rawOut;
    static boolean insecure;
    static int maxDurationS = 60, beforeMs = 1000, afterMs = 6000, binMs = 10;
    static String primary = "alpha", secondary = "bravo";
    static final int SLOWEST = 20;

    // wall clock of nanoTime 0: epochMs = (nanos - NANO0) / 1e6 + EPOCH0
    static final long NANO0 = System.nanoTime();
    static final long EPOCH0 = System.currentTimeMillis();

    static double epochMs(long nanos) {
        return EPOCH0 + (nanos - NANO0) / 1e6;
    }

    static volatile boolean stop;

    public static void main(String[] args) throws Exception {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--url" -> url = URI.create(args[++i]);
                case "--connections" -> connections = Integer.parseInt(args[++i]);
                case "--timeout-ms" -> timeoutMs = Integer.parseInt(args[++i]);
                case "--cacert" -> cacert = Path.of(args[++i]);
                case "--insecure" -> insecure = true;
                case "--mark-file" -> markFile = Path.of(args[++i]);
                case "--ready-file" -> readyFile = Path.of(args[++i]);
                case "--max-duration-s" -> maxDurationS = Integer.parseInt(args[++i]);
                case "--before-ms" -> beforeMs = Integer.parseInt(args[++i]);
                case "--after-ms" -> afterMs = Integer.parseInt(args[++i]);
                case "--bin-ms" -> binMs = Integer.parseInt(args[++i]);
                case "--primary" -> primary = args[++i];
                case "--secondary" -> secondary = args[++i];
                case "--csv" -> csvOut = Path.of(args[++i]);
                case "--summary" -> summaryOut = Path.of(args[++i]);
                case "--raw" -> rawOut = Path.of(args[++i]);
                case "-h", "--help" -> {
                    usage();
                    return;
                }
                default -> {
                    System.err.println("Timeline: unknown argument " + a);
                    usage();
                    System.exit(2);
                }
            }
        }
        if (url == null || connections < 1 || timeoutMs < 1 || binMs < 1) {
            usage();
            System.exit(2);
        }
        boolean tls = url.getScheme().equalsIgnoreCase("https");
        SSLContext ssl = tls ? sslContext() : null;
        String host = url.getHost();
        int port = url.getPort() > 0 ? url.getPort() : (tls ? 443 : 80);
        String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
        if (url.getRawQuery() != null) {
            path += "?" + url.getRawQuery();
        }
        byte[] request = ("GET " + path + " HTTP/1.1\r\nHost: " + url.getRawAuthority() + "\r\nUser-Agent: dsha-bench-timeline\r\n"
                + "Accept: */*\r\n\r\n").getBytes(StandardCharsets.US_ASCII);

        Records[] records = new Records[connections];
        CountDownLatch firstSuccess = new CountDownLatch(connections);
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < connections; c++) {
            Records r = records[c] = new Records();
            Worker w = new Worker(c, host, port, ssl, request, r, firstSuccess);
            Thread t = new Thread(w, "conn-" + c);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
        long startNanos = System.nanoTime();
        long deadline = startNanos + TimeUnit.SECONDS.toNanos(maxDurationS);
        if (!firstSuccess.await(Math.min(30, maxDurationS), TimeUnit.SECONDS)) {
            System.err.println("Timeline: warning: not every connection had a successful answer within 30 s (" + firstSuccess.getCount()
                    + " without)");
        }
        if (readyFile != null) {
            Files.writeString(readyFile, String.format(Locale.ROOT, "%.0f%n", epochMs(System.nanoTime())));
        }
        Double mark = null;
        while (System.nanoTime() < deadline) {
            if (mark == null && markFile != null && Files.exists(markFile)) {
                String s = Files.readString(markFile).trim();
                if (!s.isEmpty()) {
                    mark = Double.parseDouble(s);
                }
            }
            if (mark != null && epochMs(System.nanoTime()) >= mark + afterMs + 200) {
                break;
            }
            Thread.sleep(20);
        }
        stop = true;
        for (Thread t : threads) {
            t.join(timeoutMs + 2000L);
        }
        long endNanos = System.nanoTime();
        boolean marked = mark != null;
        double origin = marked ? mark : epochMs(startNanos);
        report(records, origin, marked, epochMs(startNanos), epochMs(endNanos));
    }

    static void usage() {
        System.err.println("""
                usage: java bench/tools/Timeline.java --url URL [--cacert FILE | --insecure] [--connections 16]
                       [--timeout-ms 5000] [--mark-file FILE] [--ready-file FILE] [--max-duration-s 60]
                       [--before-ms 1000] [--after-ms 6000] [--bin-ms 10] [--primary alpha] [--secondary bravo]
                       [--csv OUT] [--summary OUT] [--raw OUT]""");
    }

    // ---- the connections -----------------------------------------------------------------------------------------
    static final class Worker implements Runnable {
        final int id;
        final String host;
        final int port;
        final SSLContext ssl;
        final byte[] request;
        final Records rec;
        final CountDownLatch firstSuccess;
        boolean counted;

        Worker(int id, String host, int port, SSLContext ssl, byte[] request, Records rec, CountDownLatch firstSuccess) {
            this.id = id;
            this.host = host;
            this.port = port;
            this.ssl = ssl;
            this.request = request;
            this.rec = rec;
            this.firstSuccess = firstSuccess;
        }

        /** The TCP socket under the TLS one: closed directly (a reset), so that no close_notify exchange can block. */
        Socket raw;

        @Override
        public void run() {
            Socket socket = null;
            InputStream in = null;
            OutputStream out = null;
            while (!stop) {
                long t0 = System.nanoTime();
                try {
                    if (socket == null) {
                        socket = open();
                        in = new BufferedInputStream(socket.getInputStream(), 16384);
                        out = socket.getOutputStream();
                    }
                    out.write(request);
                    out.flush();
                    Response r = read(in);
                    long t1 = System.nanoTime();
                    byte o;
                    String d = null;
                    if (r.status >= 200 && r.status < 300) {
                        String body = r.body.trim();
                        o = body.equals(primary) ? PRIMARY : body.equals(secondary) ? SECONDARY : OTHER_2XX;
                        if (!counted) {
                            counted = true;
                            firstSuccess.countDown();
                        }
                    } else if (r.status >= 500) {
                        o = FAIL_5XX;
                        d = oneLine(r.body);
                    } else {
                        o = NON_2XX;
                        d = oneLine(r.body);
                    }
                    rec.add(t0, t1, o, r.status, d);
                    if (r.close) {
                        abort();
                        socket = null;
                    }
                } catch (SocketTimeoutException e) {
                    rec.add(t0, System.nanoTime(), FAIL_TIMEOUT, 0, "no answer within " + timeoutMs + " ms");
                    abort();
                    socket = null;
                } catch (IOException | RuntimeException e) {
                    long t1 = System.nanoTime();
                    boolean connect = socket == null;
                    rec.add(t0, t1, FAIL_ERROR, 0, (connect ? "connect: " : "") + e.getClass().getSimpleName() + ": " + e.getMessage());
                    abort();
                    socket = null;
                    if (connect) {
                        sleepQuietly(10);   // refused: do not spin
                    }
                }
            }
            abort();
        }

        /**
         * Closes the connection at once with a reset. SSLSocket.close() sends close_notify and may wait for the
         * peer's (up to the read timeout): a client giving up on a hung server must not wait once more.
         */
        void abort() {
            if (raw != null) {
                try {
                    raw.setSoLinger(true, 0);
                } catch (IOException ignored) {
                    // closing anyway
                }
                close(raw);
                raw = null;
            }
        }

        Socket open() throws IOException {
            Socket s = new Socket();
            raw = s;
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(host, port), timeoutMs);
            s.setSoTimeout(timeoutMs);
            if (ssl == null) {
                return s;
            }
            SSLSocket t = (SSLSocket) ssl.getSocketFactory().createSocket(s, host, port, true);
            SSLParameters p = t.getSSLParameters();
            p.setApplicationProtocols(new String[] {"http/1.1"});
            if (cacert != null) {
                p.setEndpointIdentificationAlgorithm("HTTPS");   // a given CA: the name (or IP) is checked too
            }
            if (!Character.isDigit(host.charAt(0)) && !host.contains(":")) {
                p.setServerNames(List.of(new SNIHostName(host)));
            }
            t.setSSLParameters(p);
            t.setSoTimeout(timeoutMs);
            t.startHandshake();
            return t;
        }
    }

    static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void close(Socket s) {
        if (s != null) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    static String oneLine(String s) {
        s = s.replaceAll("\\s+", " ").trim();
        return s.length() > 120 ? s.substring(0, 120) + "..." : s;
    }

    record Response(int status, String body, boolean close) {
    }

    /** An HTTP/1.1 response: status line, headers, a Content-Length or chunked body (no body for 204/304). */
    static Response read(InputStream in) throws IOException {
        String statusLine = line(in);
        if (statusLine == null) {
            throw new IOException("connection closed before a response");
        }
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
            throw new IOException("not an HTTP/1.x status line: " + oneLine(statusLine));
        }
        int status = Integer.parseInt(parts[1]);
        long length = -1;
        boolean chunked = false;
        boolean close = parts[0].equals("HTTP/1.0");
        String h;
        while ((h = line(in)) != null && !h.isEmpty()) {
            int c = h.indexOf(':');
            if (c < 0) {
                continue;
            }
            String name = h.substring(0, c).trim().toLowerCase(Locale.ROOT);
            String value = h.substring(c + 1).trim();
            switch (name) {
                case "content-length" -> length = Long.parseLong(value);
                case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
                case "connection" -> {
                    if (value.toLowerCase(Locale.ROOT).contains("close")) {
                        close = true;
                    } else if (value.toLowerCase(Locale.ROOT).contains("keep-alive")) {
                        close = false;
                    }
                }
                default -> {
                }
            }
        }
        if (h == null) {
            throw new IOException("connection closed in the headers");
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (status == 204 || status == 304 || (status >= 100 && status < 200)) {
            // no body
        } else if (chunked) {
            while (true) {
                String size = line(in);
                if (size == null) {
                    throw new IOException("connection closed in a chunked body");
                }
                int semi = size.indexOf(';');
                long n = Long.parseLong((semi >= 0 ? size.substring(0, semi) : size).trim(), 16);
                if (n == 0) {
                    while ((h = line(in)) != null && !h.isEmpty()) {
                        // trailers
                    }
                    break;
                }
                copy(in, body, n);
                line(in);
            }
        } else if (length >= 0) {
            copy(in, body, length);
        } else {
            in.transferTo(body);   // until close
            close = true;
        }
        return new Response(status, body.toString(StandardCharsets.UTF_8), close);
    }

    static void copy(InputStream in, ByteArrayOutputStream out, long n) throws IOException {
        byte[] buf = new byte[8192];
        while (n > 0) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, n));
            if (r < 0) {
                throw new IOException("connection closed in the body");
            }
            if (out.size() < 4096) {
                out.write(buf, 0, r);
            }
            n -= r;
        }
    }

    static String line(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0) {
            if (b == '\n') {
                int len = sb.length();
                if (len > 0 && sb.charAt(len - 1) == '\r') {
                    sb.setLength(len - 1);
                }
                return sb.toString();
            }
            sb.append((char) b);
            if (sb.length() > 65536) {
                throw new IOException("line too long");
            }
        }
        return sb.length() == 0 ? null : sb.toString();
    }

    static SSLContext sslContext() throws Exception {
        TrustManager[] tms;
        if (cacert != null) {
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            Collection<? extends Certificate> certs;
            try (InputStream in = Files.newInputStream(cacert)) {
                certs = cf.generateCertificates(in);
            }
            int i = 0;
            for (Certificate c : certs) {
                ks.setCertificateEntry("ca-" + i++, c);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            tms = tmf.getTrustManagers();
        } else if (insecure) {
            tms = new TrustManager[] {new X509TrustManager() {
                @Override
                public void checkClientTrusted(X509Certificate[] chain, String authType) {
                }

                @Override
                public void checkServerTrusted(X509Certificate[] chain, String authType) {
                }

                @Override
                public X509Certificate[] getAcceptedIssuers() {
                    return new X509Certificate[0];
                }
            }};
        } else {
            tms = null;   // the JVM's trust store
        }
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tms, new SecureRandom());
        return ctx;
    }

    // ---- the analysis ----------------------------------------------------------------------------------------------
    record Req(double start, double end, int conn, byte outcome, int status, String detail) {
    }

    static void report(Records[] records, double origin, boolean marked, double startEpoch, double endEpoch) throws IOException {
        List<Req> all = new ArrayList<>();
        for (int c = 0; c < records.length; c++) {
            Records r = records[c];
            for (int i = 0; i < r.n; i++) {
                all.add(new Req(epochMs(r.start[i]) - origin, epochMs(r.end[i]) - origin, c, r.outcome[i], r.status[i], r.detail.get(i)));
            }
        }
        all.sort(Comparator.comparingDouble(Req::end));
        long total = all.size();
        long successes = all.stream().filter(q -> success(q.outcome)).count();
        long failed = all.stream().filter(q -> failure(q.outcome)).count();
        long[] byOutcome = new long[OUTCOME.length];
        all.forEach(q -> byOutcome[q.outcome]++);

        // gaps between successive successful answers (by completion time)
        double failoverGap = 0, failoverGapFrom = Double.NaN;
        double longestGap = 0, longestGapFrom = Double.NaN, longestAfter = 0, longestAfterFrom = Double.NaN;
        double prev = Double.NaN;
        for (Req q : all) {
            if (!success(q.outcome)) {
                continue;
            }
            if (!Double.isNaN(prev)) {
                double gap = q.end - prev;
                if (prev >= -50 && prev < 1000 && gap > failoverGap) {   // the gap the fault opened: it begins in its first second
                    failoverGap = gap;
                    failoverGapFrom = prev;
                }
                if (gap > longestGap) {
                    longestGap = gap;
                    longestGapFrom = prev;
                }
                if (q.end >= 0 && gap > longestAfter) {   // a gap that ends after the mark (the one spanning it included)
                    longestAfter = gap;
                    longestAfterFrom = prev;
                }
            }
            prev = q.end;
        }

        // after the mark: first answer of the secondary, last answer that was not the secondary's
        double firstSecondary = Double.NaN, lastNotSecondary = Double.NaN, lastPrimary = Double.NaN, steady = Double.NaN;
        long failedAfter = 0, failedBefore = 0, after = 0, afterSecondary = 0;
        double maxLatencyInFlight = 0;
        for (Req q : all) {
            if (q.end < 0) {
                if (failure(q.outcome)) {
                    failedBefore++;
                }
                continue;
            }
            after++;
            if (failure(q.outcome)) {
                failedAfter++;
            }
            if (q.outcome == SECONDARY) {
                afterSecondary++;
                if (Double.isNaN(firstSecondary)) {
                    firstSecondary = q.end;
                }
            } else {
                lastNotSecondary = q.end;
                if (q.outcome == PRIMARY) {
                    lastPrimary = q.end;
                }
            }
            if (q.start <= 0) {
                maxLatencyInFlight = Math.max(maxLatencyInFlight, q.end - q.start);
            }
        }
        // steady on the secondary: the first secondary answer after which every answer (success or failure) is the secondary's
        for (Req q : all) {
            if (q.end >= 0 && q.outcome == SECONDARY && (Double.isNaN(lastNotSecondary) || q.end > lastNotSecondary)) {
                steady = q.end;
                break;
            }
        }
        double beforeRate = rate(all, -Math.min(beforeMs, -(startEpoch - origin)), 0);
        // who served in the second before the mark (a failover that happened before the fault makes the run meaningless)
        long primaryLastS = all.stream().filter(q -> q.outcome == PRIMARY && q.end >= -1000 && q.end < 0).count();
        long secondaryLastS = all.stream().filter(q -> q.outcome == SECONDARY && q.end >= -1000 && q.end < 0).count();
        double windowEnd = endEpoch - origin;

        // latency distribution of successes before the mark
        double[] lat = all.stream().filter(q -> success(q.outcome) && q.end < 0).mapToDouble(q -> q.end - q.start).sorted().toArray();

        Map<String, String> kv = new LinkedHashMap<>();
        kv.put("url", url.toString());
        kv.put("connections", Integer.toString(connections));
        kv.put("client_timeout_ms", Integer.toString(timeoutMs));
        kv.put("marked", Boolean.toString(marked));
        kv.put("run_from_ms", fmt(startEpoch - origin));
        kv.put("run_to_ms", fmt(windowEnd));
        kv.put("requests", Long.toString(total));
        kv.put("successes", Long.toString(successes));
        kv.put("failed", Long.toString(failed));
        kv.put("failed_before_mark", Long.toString(failedBefore));
        kv.put("failed_after_mark", Long.toString(failedAfter));
        kv.put("failed_connects", Long.toString(all.stream().filter(q -> q.outcome == FAIL_ERROR && q.detail != null && q.detail.startsWith("connect")).count()));
        for (int o = 0; o < OUTCOME.length; o++) {
            kv.put("outcome_" + OUTCOME[o], Long.toString(byOutcome[o]));
        }
        kv.put("rate_before_mark_per_s", fmt(beforeRate));
        kv.put("primary_answers_last_s_before_mark", Long.toString(primaryLastS));
        kv.put("secondary_answers_last_s_before_mark", Long.toString(secondaryLastS));
        kv.put("p50_before_mark_ms", fmt(pct(lat, 50)));
        kv.put("p99_before_mark_ms", fmt(pct(lat, 99)));
        kv.put("longest_gap_ms", fmt(longestGap));
        kv.put("longest_gap_from_ms", fmt(longestGapFrom));
        kv.put("longest_gap_after_mark_ms", fmt(longestAfter));
        kv.put("longest_gap_after_mark_from_ms", fmt(longestAfterFrom));
        kv.put("failover_gap_ms", fmt(failoverGap));
        kv.put("failover_gap_from_ms", fmt(failoverGapFrom));
        kv.put("first_secondary_after_mark_ms", fmt(firstSecondary));
        kv.put("last_primary_after_mark_ms", fmt(lastPrimary));
        kv.put("last_not_secondary_after_mark_ms", fmt(lastNotSecondary));
        kv.put("all_on_secondary_after_ms", fmt(steady));
        kv.put("answers_after_mark", Long.toString(after));
        kv.put("secondary_answers_after_mark", Long.toString(afterSecondary));
        kv.put("max_latency_of_requests_in_flight_at_mark_ms", fmt(maxLatencyInFlight));

        // the requests that matter for the story: every failure, and the slowest answers, around the mark
        List<Req> notable = new ArrayList<>();
        List<Req> slowest = new ArrayList<>();
        for (Req q : all) {
            if (q.end < -beforeMs) {
                continue;
            }
            if (failure(q.outcome) || q.outcome == NON_2XX) {
                notable.add(q);
            } else {
                slowest.add(q);
            }
        }
        slowest.sort(Comparator.comparingDouble((Req q) -> q.end - q.start).reversed());
        int failures = notable.size();
        notable.addAll(slowest.subList(0, Math.min(SLOWEST, slowest.size())));
        notable.sort(Comparator.comparingDouble(Req::start));

        StringBuilder sb = new StringBuilder();
        kv.forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
        sb.append("# requests ending after -").append(beforeMs).append(" ms: the ").append(failures).append(" that failed and the ")
                .append(Math.min(SLOWEST, slowest.size())).append(" slowest answers (times relative to the mark")
                .append(notable.size() > 60 ? "; the first 60 by start" : "").append(")\n");
        sb.append("# start_ms end_ms latency_ms conn outcome status detail\n");
        for (Req q : notable.subList(0, Math.min(60, notable.size()))) {
            sb.append(String.format(Locale.ROOT, "#   %9.1f %9.1f %8.1f %3d %-9s %3d %s%n", q.start, q.end, q.end - q.start, q.conn,
                    OUTCOME[q.outcome], q.status, q.detail == null ? "" : q.detail));
        }
        System.out.print(sb);
        if (summaryOut != null) {
            Files.writeString(summaryOut, sb.toString());
        }

        if (csvOut != null) {
            int bins = (beforeMs + afterMs) / binMs;
            long[] s = new long[bins], p = new long[bins], sec = new long[bins], f = new long[bins];
            for (Req q : all) {
                int b = (int) Math.floor((q.end + beforeMs) / binMs);
                if (b < 0 || b >= bins) {
                    continue;
                }
                if (success(q.outcome)) {
                    s[b]++;
                }
                if (q.outcome == PRIMARY) {
                    p[b]++;
                }
                if (q.outcome == SECONDARY) {
                    sec[b]++;
                }
                if (failure(q.outcome)) {
                    f[b]++;
                }
            }
            try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(csvOut))) {
                w.println("bin_ms,successes,primary,secondary,failures");
                for (int b = 0; b < bins; b++) {
                    w.println((b * binMs - beforeMs) + "," + s[b] + "," + p[b] + "," + sec[b] + "," + f[b]);
                }
            }
        }
        if (rawOut != null) {
            try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(rawOut))) {
                w.println("start_ms,end_ms,conn,outcome,status,detail");
                for (Req q : all) {
                    w.println(String.format(Locale.ROOT, "%.3f,%.3f,%d,%s,%d,%s", q.start, q.end, q.conn, OUTCOME[q.outcome], q.status,
                            q.detail == null ? "" : "\"" + q.detail.replace("\"", "'") + "\""));
                }
            }
        }
    }

    static double rate(List<Req> all, double from, double to) {
        if (to <= from) {
            return Double.NaN;
        }
        long n = all.stream().filter(q -> success(q.outcome) && q.end >= from && q.end < to).count();
        return n * 1000.0 / (to - from);
    }

    static double pct(double[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    static String fmt(double v) {
        return Double.isNaN(v) ? "NaN" : String.format(Locale.ROOT, "%.1f", v);
    }
}
