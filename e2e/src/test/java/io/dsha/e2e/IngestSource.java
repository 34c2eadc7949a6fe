package io.dsha.e2e;

import io.dsha.launcher.SelfSignedCertificate;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A data source posting {@code total} records through the balancer at a steady rate ({@code perSecond}, spread over
 * a few workers, each its own connection), every record with its own {@code Idempotency-Key} (its id). With
 * {@code resend}, a record not acknowledged (an error status, no answer) is sent again under the same key until it is,
 * as a careful source does; without, it is counted and left. Keeps which records were acknowledged, and every status.
 */
final class IngestSource implements AutoCloseable {

    private static final Duration MAX_RUN = Duration.ofSeconds(180);

    private final String url;
    private final int total;
    private final long nanosPerRecord;
    private final boolean resend;
    private final String prefix;
    private final HttpClient http;
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Set<String> acked = ConcurrentHashMap.newKeySet();
    private final Set<String> unacked = ConcurrentHashMap.newKeySet();
    private final Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
    private final Map<Integer, String> lastBody = new ConcurrentHashMap<>();
    private final List<Thread> workers = new ArrayList<>();
    private final long startedAt = System.nanoTime();

    IngestSource(String base, SelfSignedCertificate cert, String prefix, int total, int perSecond, int workers, boolean resend) {
        this.url = base + "/api/records";
        this.prefix = prefix;
        this.total = total;
        this.nanosPerRecord = 1_000_000_000L / perSecond;
        this.resend = resend;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(Load.trusting(cert))
                .connectTimeout(Duration.ofSeconds(2)).build();
        for (int i = 0; i < workers; i++) {
            Thread t = new Thread(this::run, "ingest-source-" + i);
            t.setDaemon(true);
            this.workers.add(t);
            t.start();
        }
    }

    static String id(String prefix, int n) {
        return String.format("%s-%05d", prefix, n);
    }

    private void run() {
        int n;
        while (running.get() && (n = next.getAndIncrement()) < total) {
            long due = startedAt + n * nanosPerRecord;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            String id = id(prefix, n);
            while (true) {
                int status = post(id);
                if (status >= 200 && status < 300) {
                    acked.add(id);
                    unacked.remove(id);
                    break;
                }
                unacked.add(id);
                if (!resend || !running.get() || System.nanoTime() - startedAt > MAX_RUN.toNanos()) {
                    break;
                }
                LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
            }
        }
    }

    private int post(String id) {
        int status;
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                    .header("Content-Type", "application/json").header("Idempotency-Key", id)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"" + id + "\",\"value\":42}")).build(), HttpResponse.BodyHandlers.ofString());
            status = r.statusCode();
            if (status >= 300) {
                lastBody.put(status, r.body());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            status = -1;
        } catch (Exception e) {
            status = 0;
            lastBody.put(0, e.toString());
        }
        statuses.computeIfAbsent(status, k -> new AtomicInteger()).incrementAndGet();
        return status;
    }

    /** How many records were sent (first tries) so far. */
    int started() {
        return Math.min(next.get(), total);
    }

    boolean finished() {
        return workers.stream().noneMatch(Thread::isAlive);
    }

    Set<String> acked() {
        return Set.copyOf(acked);
    }

    /** Records whose last try was not acknowledged. */
    Set<String> unacked() {
        return Set.copyOf(unacked);
    }

    Map<Integer, Integer> statuses() {
        Map<Integer, Integer> out = new TreeMap<>();
        statuses.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

    /** The last body answered with each error status (0: the exception). */
    Map<Integer, String> lastErrors() {
        return new TreeMap<>(lastBody);
    }

    @Override
    public void close() {
        running.set(false);
        for (Thread t : workers) {
            try {
                t.join(15_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
