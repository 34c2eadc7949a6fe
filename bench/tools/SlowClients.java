import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Slow readers for bench/soak.sh: CONNECTIONS clients that each send one GET and then read the
 * response at READ_RATE bytes per second, through a receive buffer of RCVBUF bytes, for SECONDS;
 * then they close. JDK only, one thread (non-blocking sockets, read on a 100 ms tick):
 *
 *   java bench/tools/SlowClients.java HOST PORT PATH CONNECTIONS SECONDS READ_RATE RCVBUF [RAMP_SECONDS]
 *
 * A client whose response is complete sends its next request on the same connection (keep-alive),
 * so every client keeps reading slowly until the end. A client whose connection closes or fails
 * reconnects. Every 10 s and at the end one line on stdout: seconds, open connections, responses
 * begun (status line seen) and completed, bytes read, errors. The last line is "total ...".
 */
public final class SlowClients {

    private static final long TICK_MS = 100;

    private static final class Client {
        SocketChannel ch;
        long expected = -1;      // header + body bytes of the current response, once its headers are in
        long got;                // bytes of the current response read so far
        final StringBuilder head = new StringBuilder();
        boolean headDone;
        boolean waitingFirstByte;
    }

    private static String host;
    private static int port;
    private static String path;
    private static int rcvbuf;
    private static long begun, completed, bytes, errors, reconnects;

    public static void main(String[] args) throws Exception {
        if (args.length < 7) {
            System.err.println("usage: java SlowClients.java HOST PORT PATH CONNECTIONS SECONDS READ_RATE RCVBUF [RAMP_SECONDS]");
            System.exit(2);
        }
        host = args[0];
        port = Integer.parseInt(args[1]);
        path = args[2];
        int n = Integer.parseInt(args[3]);
        long seconds = Long.parseLong(args[4]);
        int rate = Integer.parseInt(args[5]);
        rcvbuf = Integer.parseInt(args[6]);
        long rampMs = args.length > 7 ? Long.parseLong(args[7]) * 1000 : 5000;

        List<Client> clients = new ArrayList<>(n);
        int perTick = (int) Math.max(1, rate * TICK_MS / 1000);
        ByteBuffer buf = ByteBuffer.allocateDirect(perTick);
        long t0 = System.nanoTime();
        long end = t0 + TimeUnit.SECONDS.toNanos(seconds);
        long nextReport = t0 + TimeUnit.SECONDS.toNanos(10);
        long tick = t0;
        System.out.printf("# %d clients, GET %s from %s:%d, %d B/s each (%d B per %d ms), SO_RCVBUF %d (effective %s), ramp %d ms, %d s%n",
                n, path, host, port, rate, perTick, TICK_MS, rcvbuf, effectiveRcvbuf(), rampMs, seconds);
        while (System.nanoTime() < end) {
            long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            int wanted = rampMs <= 0 ? n : (int) Math.min(n, (long) n * (elapsedMs + TICK_MS) / rampMs);
            while (clients.size() < wanted) {
                Client c = new Client();
                clients.add(c);
                open(c);
            }
            for (Client c : clients) {
                if (c.ch == null) {
                    reconnects++;
                    open(c);
                    continue;
                }
                buf.clear();
                int r;
                try {
                    r = c.ch.read(buf);
                } catch (IOException e) {
                    errors++;
                    close(c);
                    continue;
                }
                if (r < 0) {
                    // Closed by the proxy: a failure unless the response was complete.
                    if (c.expected < 0 || c.got < c.expected) {
                        errors++;
                    }
                    close(c);
                    continue;
                }
                if (r == 0) {
                    continue;
                }
                bytes += r;
                c.got += r;
                if (!c.headDone) {
                    buf.flip();
                    byte[] b = new byte[buf.remaining()];
                    buf.get(b);
                    if (c.waitingFirstByte) {
                        c.waitingFirstByte = false;
                        begun++;
                    }
                    c.head.append(new String(b, StandardCharsets.ISO_8859_1));
                    int idx = c.head.indexOf("\r\n\r\n");
                    if (idx >= 0) {
                        c.headDone = true;
                        String h = c.head.substring(0, idx).toLowerCase();
                        if (!h.startsWith("http/1.1 200")) {
                            errors++;
                            System.err.println("SlowClients: " + h.lines().findFirst().orElse("?"));
                            close(c);
                            continue;
                        }
                        int cl = h.indexOf("content-length:");
                        if (cl >= 0) {
                            String v = h.substring(cl + 15).lines().findFirst().orElse("").trim();
                            c.expected = idx + 4 + Long.parseLong(v);
                        }
                        c.head.setLength(0);
                    }
                }
                if (c.expected >= 0 && c.got >= c.expected) {
                    completed++;
                    if (!send(c)) {
                        close(c);
                    }
                }
            }
            long now = System.nanoTime();
            if (now >= nextReport) {
                report("at", now - t0, clients);
                nextReport += TimeUnit.SECONDS.toNanos(10);
            }
            tick += TimeUnit.MILLISECONDS.toNanos(TICK_MS);
            long sleep = tick - System.nanoTime();
            if (sleep > 0) {
                TimeUnit.NANOSECONDS.sleep(sleep);
            } else {
                tick = System.nanoTime();   // behind: do not burst to catch up
            }
        }
        report("total", System.nanoTime() - t0, clients);
        for (Client c : clients) {
            close(c);
        }
    }

    private static String effectiveRcvbuf() {
        try (SocketChannel probe = SocketChannel.open()) {
            probe.setOption(StandardSocketOptions.SO_RCVBUF, rcvbuf);
            return String.valueOf(probe.getOption(StandardSocketOptions.SO_RCVBUF));
        } catch (IOException e) {
            return "?";
        }
    }

    private static void report(String what, long nanos, List<Client> clients) {
        long open = clients.stream().filter(c -> c.ch != null).count();
        System.out.printf("%s %.1f s: open %d, responses begun %d, completed %d, bytes %d, errors %d, reconnects %d%n",
                what, nanos / 1e9, open, begun, completed, bytes, errors, reconnects);
    }

    private static void open(Client c) {
        try {
            SocketChannel ch = SocketChannel.open();
            // Before connect, so that the window announced in the handshake is already small.
            ch.setOption(StandardSocketOptions.SO_RCVBUF, rcvbuf);
            ch.connect(new InetSocketAddress(host, port));
            ch.configureBlocking(false);
            c.ch = ch;
            if (!send(c)) {
                close(c);
            }
        } catch (IOException e) {
            errors++;
            c.ch = null;
        }
    }

    private static boolean send(Client c) {
        c.expected = -1;
        c.got = 0;
        c.headDone = false;
        c.head.setLength(0);
        c.waitingFirstByte = true;
        ByteBuffer req = ByteBuffer.wrap(("GET " + path + " HTTP/1.1\r\nHost: " + host + ":" + port
                + "\r\nUser-Agent: dsha-bench-slow-client\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        try {
            while (req.hasRemaining()) {
                c.ch.write(req);   // a few dozen bytes into an empty send buffer: one call
            }
            return true;
        } catch (IOException e) {
            errors++;
            return false;
        }
    }

    private static void close(Client c) {
        if (c.ch != null) {
            try {
                c.ch.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        c.ch = null;
    }
}
