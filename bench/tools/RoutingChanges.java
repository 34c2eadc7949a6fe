import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Makes routing changes on the control plane at a fixed pace and writes, per change, when it was
 * sent and when the control plane accepted it (for bench/propagation.sh). JDK only:
 *
 *   java bench/tools/RoutingChanges.java CP_URL ADMIN_TOKEN BACKEND COUNT INTERVAL_MS OUT.csv [WARMUP_COUNT]
 *
 * Change i sets BACKEND's admin state to DRAIN (i odd) or ENABLED (i even), starting with DRAIN, so
 * each one changes the routing decision (ACTIVE_ACTIVE: active [a, b] <-> [b], draining [a]). The
 * changes are sent at START + i * INTERVAL_MS, one at a time (a change is never sent before the
 * previous answer). WARMUP_COUNT changes (rounded up to an even number, so the measured ones still
 * start with DRAIN) are made first at the same pace and not written. CSV columns: i, admin state,
 * HTTP status, revision (X-Dsha-Revision), sent and accepted as epoch microseconds, sent and
 * accepted as microseconds since local midnight (the proxies' log timestamps are local time of day).
 *
 * The client is a plain blocking HTTP/1.1 socket (keep-alive, TCP_NODELAY): "sent" is taken just
 * before the request is written to the socket, "accepted" just after the whole answer was read, with
 * no client threads in between (java.net.http.HttpClient hands each request to its selector thread
 * and the answer back, which added the client's own wake-ups to every figure).
 */
public final class RoutingChanges {

    public static void main(String[] args) throws Exception {
        if (args.length != 6 && args.length != 7) {
            System.err.println("usage: java RoutingChanges.java CP_URL ADMIN_TOKEN BACKEND COUNT INTERVAL_MS OUT.csv [WARMUP_COUNT]");
            System.exit(2);
        }
        String cp = args[0];
        String token = args[1];
        String backend = args[2];
        int count = Integer.parseInt(args[3]);
        long intervalMs = Long.parseLong(args[4]);
        java.nio.file.Path out = java.nio.file.Path.of(args[5]);
        int warmup = args.length > 6 ? Integer.parseInt(args[6]) : 0;
        warmup += warmup % 2;
        URI base = URI.create(cp);
        String path = "/api/v1/backends/" + backend + "/admin-state";
        ZoneId zone = ZoneId.systemDefault();

        try (Client http = new Client(base.getHost(), base.getPort(), token)) {
            // Warm up the client and the control plane's endpoint with reads (no change).
            for (int i = 0; i < 20; i++) {
                http.exchange("GET", "/api/v1/topology", null);
            }
            StringBuilder csv = new StringBuilder("i,admin_state,status,revision,sent_epoch_us,accepted_epoch_us,sent_tod_us,accepted_tod_us\n");
            long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(intervalMs);
            int failures = 0;
            for (int k = 1; k <= warmup + count; k++) {
                long due = start + TimeUnit.MILLISECONDS.toNanos(intervalMs) * (k - 1);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                String state = k % 2 == 1 ? "DRAIN" : "ENABLED";
                Reply resp = http.exchange("PUT", path, "{\"adminState\":\"" + state + "\"}");
                if (resp.status != 200) {
                    failures++;
                    System.err.println((k <= warmup ? "warm-up change " + k : "change " + (k - warmup)) + " (" + state + "): HTTP "
                            + resp.status + " " + resp.body);
                }
                if (k <= warmup) {
                    continue;
                }
                int i = k - warmup;
                csv.append(i).append(',').append(state).append(',').append(resp.status).append(',').append(resp.revision).append(',')
                        .append(micros(resp.sent)).append(',').append(micros(resp.accepted)).append(',')
                        .append(todMicros(resp.sent, zone)).append(',').append(todMicros(resp.accepted, zone)).append('\n');
            }
            java.nio.file.Files.writeString(out, csv);
            System.err.println("RoutingChanges: " + warmup + " warm-up changes, then " + count + " changes, one every " + intervalMs + " ms; "
                    + failures + " refused");
            System.exit(failures == 0 ? 0 : 1);
        }
    }

    record Reply(int status, String revision, String body, Instant sent, Instant accepted) {
    }

    /** One keep-alive HTTP/1.1 connection; answers framed by Content-Length or chunked. */
    static final class Client implements AutoCloseable {
        private final String host;
        private final int port;
        private final String token;
        private Socket socket;
        private OutputStream out;
        private InputStream in;

        Client(String host, int port, String token) {
            this.host = host;
            this.port = port;
            this.token = token;
        }

        Reply exchange(String method, String path, String json) throws IOException {
            if (socket == null) {
                socket = new Socket(host, port);
                socket.setTcpNoDelay(true);
                socket.setSoTimeout(10_000);
                out = socket.getOutputStream();
                in = new BufferedInputStream(socket.getInputStream());
            }
            byte[] body = json == null ? new byte[0] : json.getBytes(StandardCharsets.UTF_8);
            StringBuilder head = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\n")
                    .append("Host: ").append(host).append(':').append(port).append("\r\n")
                    .append("Authorization: Bearer ").append(token).append("\r\n")
                    .append("X-Dsha-Actor: bench-propagation\r\n");
            if (json != null) {
                head.append("Content-Type: application/json\r\nContent-Length: ").append(body.length).append("\r\n");
            }
            head.append("\r\n");
            byte[] h = head.toString().getBytes(StandardCharsets.US_ASCII);
            byte[] request = new byte[h.length + body.length];
            System.arraycopy(h, 0, request, 0, h.length);
            System.arraycopy(body, 0, request, h.length, body.length);

            Instant sent = Instant.now();
            out.write(request);
            out.flush();
            String status = line();
            int code = Integer.parseInt(status.split(" ")[1]);
            String revision = "";
            long length = -1;
            boolean chunked = false;
            boolean close = false;
            for (String l = line(); !l.isEmpty(); l = line()) {
                int colon = l.indexOf(':');
                String name = l.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                String value = l.substring(colon + 1).trim();
                switch (name) {
                    case "x-dsha-revision" -> revision = value;
                    case "content-length" -> length = Long.parseLong(value);
                    case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
                    case "connection" -> close = value.equalsIgnoreCase("close");
                    default -> { }
                }
            }
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            if (chunked) {
                for (int size = chunkSize(); size > 0; size = chunkSize()) {
                    answer.write(in.readNBytes(size));
                    line();
                }
                while (!line().isEmpty()) {
                    // trailers
                }
            } else if (length > 0) {
                answer.write(in.readNBytes((int) length));
            }
            Instant accepted = Instant.now();
            if (close) {
                close();
            }
            return new Reply(code, revision, answer.toString(StandardCharsets.UTF_8), sent, accepted);
        }

        /** The size line of a chunk (extensions after ';' ignored). */
        private int chunkSize() throws IOException {
            return Integer.parseInt(line().split(";")[0].trim(), 16);
        }

        private String line() throws IOException {
            StringBuilder sb = new StringBuilder();
            for (int c = in.read(); c != '\n'; c = in.read()) {
                if (c < 0) {
                    throw new IOException("the control plane closed the connection");
                }
                if (c != '\r') {
                    sb.append((char) c);
                }
            }
            return sb.toString();
        }

        @Override
        public void close() throws IOException {
            if (socket != null) {
                socket.close();
                socket = null;
            }
        }
    }

    private static long micros(Instant t) {
        return t.getEpochSecond() * 1_000_000L + t.getNano() / 1_000;
    }

    private static long todMicros(Instant t, ZoneId zone) {
        LocalTime lt = LocalTime.ofInstant(t, zone);
        return lt.toNanoOfDay() / 1_000;
    }
}
