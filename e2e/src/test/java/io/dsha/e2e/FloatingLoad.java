package io.dsha.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * The client side of {@link FloatingAddressIT}, run as its own process inside the client's network namespace (the
 * test's JVM is outside it): a few keep-alive HTTP/1.1 clients, each sending one GET after another to the floating
 * address, and opening a new connection after a reset or a timeout, as Ink clients do. Prints one line per request,
 * {@code START_NANOS END_NANOS STATUS} (no answer: {@value #CONNECT_TIMEOUT} the connect timed out (a SYN nobody
 * answered), {@value #REFUSED} refused, {@value #ANSWER_TIMEOUT} sent and not answered in time, {@value #BROKEN} any other
 * error, a reset among them), on {@link System#nanoTime()}, which is the machine's
 * monotonic clock, the same in the test's JVM. Ends when its standard input closes (the test ended) or after 4 minutes.
 *
 * <p>bench/vrrp.sh runs it too, with {@code -Dfloating.epoch-micros=true} (times in microseconds since the epoch, on the
 * same monotonic clock from one reading of the wall clock at start, to compare with the script's {@code EPOCHREALTIME})
 * and {@code -Dfloating.max-seconds=N} (its own bound instead of 4 minutes).
 *
 * <p>Timeouts: connect 500 ms, answer 1 s. A request sent to a proxy that froze, or to a host whose link went down,
 * waits that long before the client gives up and reconnects (to the address's new holder).
 */
public final class FloatingLoad {

    private static final Duration MAX_RUN = Duration.ofSeconds(Long.getLong("floating.max-seconds", 240));
    private static final boolean EPOCH_MICROS = Boolean.getBoolean("floating.epoch-micros");
    private static final long PACE_NANOS = Duration.ofMillis(10).toNanos();

    static final int CONNECT_TIMEOUT = -1;
    static final int REFUSED = -2;
    static final int ANSWER_TIMEOUT = -3;
    static final int BROKEN = 0;

    private FloatingLoad() {
    }

    /** What kind of failure {@code e} is, as a negative status (0: any other). */
    static int failure(IOException e) {
        if (e instanceof java.net.http.HttpConnectTimeoutException) {
            return CONNECT_TIMEOUT;
        }
        if (e instanceof java.net.http.HttpTimeoutException) {
            return ANSWER_TIMEOUT;
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.net.ConnectException) {
                return REFUSED;
            }
        }
        return BROKEN;
    }

    public static void main(String... args) {
        URI uri = URI.create(args[0]);
        int workers = Integer.parseInt(args[1]);
        PrintStream out = System.out;
        Thread watcher = new Thread(() -> {
            try (InputStream in = System.in) {
                while (in.read() >= 0) {
                    // nothing is sent; only the end matters
                }
            } catch (IOException e) {
                // the test is gone either way
            }
            System.exit(0);
        }, "stdin-watcher");
        watcher.setDaemon(true);
        watcher.start();
        long startedAt = System.nanoTime();
        java.time.Instant wall = java.time.Instant.now();
        long epochMicrosAtStart = wall.getEpochSecond() * 1_000_000 + wall.getNano() / 1_000;
        for (int i = 0; i < workers; i++) {
            Thread t = new Thread(() -> {
                HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofMillis(500)).build();
                HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(1)).build();
                while (System.nanoTime() - startedAt < MAX_RUN.toNanos()) {
                    long start = System.nanoTime();
                    int status;
                    try {
                        status = http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
                    } catch (IOException e) {
                        status = failure(e);
                    } catch (InterruptedException e) {
                        return;
                    }
                    long end = System.nanoTime();
                    String line = EPOCH_MICROS
                            ? (epochMicrosAtStart + (start - startedAt) / 1_000) + " " + (epochMicrosAtStart + (end - startedAt) / 1_000) + " " + status
                            : start + " " + end + " " + status;
                    synchronized (out) {
                        out.println(line);
                    }
                    LockSupport.parkNanos(PACE_NANOS);
                }
                System.exit(0);
            }, "client-" + i);
            t.start();
        }
    }
}
