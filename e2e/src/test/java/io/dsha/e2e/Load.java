package io.dsha.e2e;

import io.dsha.launcher.SelfSignedCertificate;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Steady client load on the balancer: a few workers, each sending one request after another (paced, bounded in time
 * and count), over HTTPS trusting the stack's certificate. Every answer is kept, so a scenario asserts what the
 * client saw.
 */
final class Load implements AutoCloseable {

    /** One request as the client saw it; {@code status} 0 when no answer came (the error says why). */
    record Outcome(long startNanos, long endNanos, String method, String recordId, int status, String instance, String error) {
        boolean ok() {
            return status >= 200 && status < 300;
        }
    }

    /** What a worker sends: GETs of {@code /api/info}, or POSTs of records with unique ids. */
    enum Kind { READ, INGEST, MIXED }

    private static final Duration MAX_RUN = Duration.ofSeconds(120);
    private static final int MAX_REQUESTS = 40_000;
    private static final long PACE_NANOS = Duration.ofMillis(8).toNanos();

    private final String base;
    private final HttpClient http;
    private final Kind kind;
    private final ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicLong sent = new AtomicLong();
    private final List<Thread> workers = new ArrayList<>();
    private final long startedAt = System.nanoTime();

    Load(String base, SelfSignedCertificate cert, int workerCount, Kind kind) {
        this.base = base;
        this.kind = kind;
        this.http = HttpClient.newBuilder().sslContext(trusting(cert)).connectTimeout(Duration.ofSeconds(5)).build();
        for (int i = 0; i < workerCount; i++) {
            int w = i;
            Thread t = new Thread(() -> run(w), "load-" + i);
            t.setDaemon(true);
            workers.add(t);
            t.start();
        }
    }

    private void run(int worker) {
        long n = 0;
        while (running.get() && System.nanoTime() - startedAt < MAX_RUN.toNanos() && sent.incrementAndGet() <= MAX_REQUESTS) {
            boolean ingest = kind == Kind.INGEST || (kind == Kind.MIXED && n % 4 == 3);
            String id = ingest ? "w" + worker + "-" + n : null;
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + (ingest ? "/api/records" : "/api/info")))
                    .timeout(Duration.ofSeconds(15));
            if (ingest) {
                b.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"" + id + "\",\"v\":" + n + "}"));
            }
            long start = System.nanoTime();
            try {
                HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
                outcomes.add(new Outcome(start, System.nanoTime(), ingest ? "POST" : "GET", id, r.statusCode(),
                        r.headers().firstValue("X-DataStack-Instance").orElse(null), r.statusCode() < 300 ? null : r.body()));
            } catch (Exception e) {
                outcomes.add(new Outcome(start, System.nanoTime(), ingest ? "POST" : "GET", id, 0, null, e.toString()));
            }
            n++;
            LockSupport.parkNanos(PACE_NANOS);
        }
    }

    List<Outcome> outcomes() {
        return List.copyOf(outcomes);
    }

    /** The instances that answered the last {@code n} successful requests. */
    Map<String, Long> lastServedBy(int n) {
        List<Outcome> ok = outcomes().stream().filter(Outcome::ok).sorted(Comparator.comparingLong(Outcome::endNanos)).toList();
        return ok.subList(Math.max(0, ok.size() - n), ok.size()).stream()
                .collect(Collectors.groupingBy(o -> String.valueOf(o.instance()), TreeMap::new, Collectors.counting()));
    }

    long successes() {
        return outcomes.stream().filter(Outcome::ok).count();
    }

    List<Outcome> errors() {
        return outcomes().stream().filter(o -> !o.ok()).toList();
    }

    /** Stops the workers (each finishes its request in flight). */
    Load stop() {
        running.set(false);
        for (Thread t : workers) {
            try {
                t.join(Duration.ofSeconds(30).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return this;
    }

    /** requests, errors, longest gap between successful responses, and who served them. */
    String summary(String scenario) {
        List<Outcome> all = outcomes();
        long[] ends = all.stream().filter(Outcome::ok).mapToLong(Outcome::endNanos).sorted().toArray();
        long gap = 0;
        for (int i = 1; i < ends.length; i++) {
            gap = Math.max(gap, ends[i] - ends[i - 1]);
        }
        Map<String, Long> by = all.stream().filter(Outcome::ok)
                .collect(Collectors.groupingBy(o -> String.valueOf(o.instance()), TreeMap::new, Collectors.counting()));
        Map<Integer, Long> failures = all.stream().filter(o -> !o.ok())
                .collect(Collectors.groupingBy(Outcome::status, TreeMap::new, Collectors.counting()));
        return String.format("[e2e] %-44s requests %6d  errors %3d %s  longest gap %5d ms  served by %s", scenario, all.size(),
                all.size() - ends.length, failures.isEmpty() ? "" : failures.toString(), gap / 1_000_000, by);
    }

    @Override
    public void close() {
        stop();
    }

    static SSLContext trusting(SelfSignedCertificate cert) {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(cert.keyStore())) {
                ks.load(in, cert.password().toCharArray());
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (Exception e) {
            throw new IllegalStateException("cannot trust " + cert.keyStore(), e);
        }
    }
}
