package io.dsha.proxy.support;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Steady HTTPS load as Ink clients make it: each client keeps one keep-alive connection, sends its next request as
 * soon as the last answer is in, and opens a new connection when the answer said {@code Connection: close}, after
 * {@code requestsPerConnection} requests, or after a failure. A failure is a request that got no complete answer (or
 * a connection that could not be made): what a client would have seen as an error.
 */
public final class KeepAliveLoad implements AutoCloseable {

    private final TestCa ca;
    private final int port;
    private final String serverName;
    private final int requestsPerConnection;
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicLong answered = new AtomicLong();
    private final AtomicLong closesAsked = new AtomicLong();
    private final List<String> failures = Collections.synchronizedList(new ArrayList<>());
    private volatile boolean running = true;

    /** Starts {@code clients} clients on {@code 127.0.0.1:port}, asking for {@code serverName}. */
    public KeepAliveLoad(TestCa ca, int port, String serverName, int clients, int requestsPerConnection) {
        this.ca = ca;
        this.port = port;
        this.serverName = serverName;
        this.requestsPerConnection = requestsPerConnection;
        for (int i = 0; i < clients; i++) {
            Thread t = new Thread(this::run, "keep-alive-load-" + i);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    private void run() {
        while (running) {
            TlsClient c;
            try {
                c = TlsClient.connect(ca, port, serverName);
            } catch (IOException e) {
                failures.add("connect: " + e);
                continue;
            }
            try (c) {
                for (int n = 0; running && n < requestsPerConnection; n++) {
                    TlsClient.Response r = c.get("/");
                    if (r.status() != 200) {
                        failures.add("status " + r.status() + ": " + r.text());
                    } else {
                        answered.incrementAndGet();
                    }
                    if (r.closing()) {
                        closesAsked.incrementAndGet();
                        break;
                    }
                }
            } catch (IOException e) {
                failures.add("request: " + e);
            }
        }
    }

    /** Requests answered 200 so far. */
    public long answered() {
        return answered.get();
    }

    /** Answers that said {@code Connection: close}. */
    public long closesAsked() {
        return closesAsked.get();
    }

    /** What failed, in order. */
    public List<String> failures() {
        synchronized (failures) {
            return List.copyOf(failures);
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        for (Thread t : threads) {
            t.join(30_000);
        }
    }
}
