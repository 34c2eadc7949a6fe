package io.dsha.proxy;

import static io.dsha.proxy.support.ProxyTestKit.awaitFollowing;
import static io.dsha.proxy.support.ProxyTestKit.json;
import static io.dsha.proxy.support.ProxyTestKit.member;
import static io.dsha.proxy.support.ProxyTestKit.state;
import static io.dsha.proxy.support.ProxyTestKit.topology;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.dsha.proxy.support.ProxyProcess;
import io.dsha.proxy.support.Teardown;
import io.dsha.proxy.support.TestBackend;
import io.dsha.testkit.ControlPlaneProcess;
import io.dsha.testkit.ProcessOutputOnFailure;
import io.vertx.core.Vertx;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * How the proxy spreads and moves traffic, end to end: a real control plane, two real proxies (one
 * per ACTIVE_ACTIVE policy) following it, and stand-in backends. Each test gets fresh backends (new
 * ports, so the proxies know them as new targets with no local ejection carried over) and declares
 * its own topology.
 */
@ExtendWith(ProcessOutputOnFailure.class)
class BalancingIT {

    private static final int REQUESTS = 4000;
    private static final int CLIENTS = 8;

    @TempDir
    static Path dir;

    private static Vertx vertx;
    private static ControlPlaneProcess cp;
    private static TestBackend seed;
    private static ProxyProcess roundRobin;
    private static ProxyProcess leastOutstanding;
    private static int roundRobinPort;
    private static int leastOutstandingPort;
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private TestBackend a;
    private TestBackend b;

    @BeforeAll
    static void startStack() {
        vertx = Vertx.vertx();
        cp = new ControlPlaneProcess(dir.resolve("cp"));
        // The proxies need a topology to become ready; each test replaces it.
        seed = new TestBackend(vertx, "seed");
        cp.putTopology(topology("ACTIVE_PASSIVE", "MANUAL", 0, "TRY_ALL", member("seed", seed, 0, 1)));
        cp.settle("seed", "UP");
        roundRobin = proxy("ROUND_ROBIN");
        leastOutstanding = proxy("LEAST_OUTSTANDING");
        roundRobinPort = roundRobin.awaitReady();
        leastOutstandingPort = leastOutstanding.awaitReady();
    }

    private static ProxyProcess proxy(String policy) {
        String name = policy.toLowerCase().replace('_', '-');
        return new ProxyProcess(cp, Map.of(
                "dsha.listener.plain-http", "true",
                "dsha.balance.policy", policy,
                "dsha.proxy-id", "balancing-it-" + name,
                "dsha.access-log.enabled", "false",
                "dsha.state-dir", dir.resolve("proxy-" + name).toString()));
    }

    @AfterAll
    static void stopStack() {
        Teardown.close(roundRobin, leastOutstanding, cp, vertx);
    }

    @BeforeEach
    void freshBackends() {
        a = new TestBackend(vertx, "alpha");
        b = new TestBackend(vertx, "beta");
    }

    @AfterEach
    void closeBackends() {
        a.close();
        b.close();
    }

    /** Declares a topology over a (priority 0) and b (priority 1), reports both as {@code status}, and waits until the proxies follow. */
    private void declare(String mode, String failback, long delayMs, String allDown, int weightA, int weightB, String status) {
        cp.putTopology(topology(mode, failback, delayMs, allDown, member("a", a, 0, weightA), member("b", b, 1, weightB)));
        cp.settle("a", status);
        cp.settle("b", status);
        awaitFollowing(cp, roundRobin, leastOutstanding);
    }

    private static HttpResponse<String> get(int port, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    // ---- ACTIVE_ACTIVE ----

    @Test
    void roundRobinSpreadsByWeight() throws Exception {
        declare("ACTIVE_ACTIVE", "MANUAL", 0, "TRY_ALL", 3, 1, "UP");
        assertThreeToOne(spread(roundRobinPort, 1), "ROUND_ROBIN, one client");
        assertThreeToOne(spread(roundRobinPort, CLIENTS), "ROUND_ROBIN, " + CLIENTS + " concurrent clients");
    }

    /**
     * One client at a time: nothing is ever in flight when a backend is picked, so every backend is
     * equally loaded and the weights alone must decide. Under concurrency the policy follows the
     * in-flight counts (that is its point), so there it must serve everything and use both backends;
     * an exact ratio is not its contract.
     */
    @Test
    void leastOutstandingSpreadsByWeight() throws Exception {
        declare("ACTIVE_ACTIVE", "MANUAL", 0, "TRY_ALL", 3, 1, "UP");
        assertThreeToOne(spread(leastOutstandingPort, 1), "LEAST_OUTSTANDING, one client");
        int[] concurrent = spread(leastOutstandingPort, CLIENTS);
        assertTrue(concurrent[0] > 0 && concurrent[1] > 0, "both backends take requests under load: a=" + concurrent[0]
                + " b=" + concurrent[1]);
    }

    /** Equal weights, one slow request in flight on one backend: every new request goes to the other one. */
    @Test
    void leastOutstandingAvoidsTheBackendWithARequestInFlight() throws Exception {
        declare("ACTIVE_ACTIVE", "MANUAL", 0, "TRY_ALL", 1, 1, "UP");
        CompletableFuture<HttpResponse<String>> slow = HTTP.sendAsync(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + leastOutstandingPort + "/slow?ms=4000"))
                        .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        await().atMost(Duration.ofSeconds(10)).until(() -> a.received("GET /slow") + b.received("GET /slow") == 1);
        TestBackend busy = a.received("GET /slow") == 1 ? a : b;
        TestBackend idle = busy == a ? b : a;
        int busyBefore = busy.total();
        for (int i = 0; i < 20; i++) {
            assertEquals(idle.name() + "\n", get(leastOutstandingPort, "/").body(), "request " + i);
        }
        assertEquals(busyBefore, busy.total(), "nothing new went to the backend with a request in flight");
        assertFalse(slow.isDone(), "the slow request was in flight throughout");
        assertEquals(busy.name() + "\n", slow.get(20, TimeUnit.SECONDS).body());
    }

    private static void assertThreeToOne(int[] spread, String what) {
        double shareA = 100.0 * spread[0] / REQUESTS;
        assertTrue(shareA >= 70 && shareA <= 80, what + ": weights 3:1 should give a 75 % ± 5 points, got a=" + spread[0] + " b="
                + spread[1] + " (" + shareA + " %)");
    }

    /** Sends 4000 GETs from {@code clients} concurrent clients; every one must be answered 200 by a or b. Returns {a, b}. */
    private int[] spread(int port, int clients) throws Exception {
        Map<String, AtomicInteger> bodies = new ConcurrentHashMap<>();
        Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
        List<String> errors = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger issued = new AtomicInteger();
        int receivedByA = a.received("GET /");
        int receivedByB = b.received("GET /");
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                workers.add(pool.submit(() -> {
                    while (issued.incrementAndGet() <= REQUESTS) {
                        try {
                            HttpResponse<String> r = get(port, "/");
                            statuses.computeIfAbsent(r.statusCode(), k -> new AtomicInteger()).incrementAndGet();
                            bodies.computeIfAbsent(r.body().trim(), k -> new AtomicInteger()).incrementAndGet();
                        } catch (Exception e) {
                            errors.add(e.toString());
                        }
                    }
                }));
            }
            for (Future<?> w : workers) {
                w.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(List.of(), errors);
        assertEquals(Map.of(200, REQUESTS), Map.copyOf(counts(statuses)), "every request answered 200");
        int alpha = count(bodies, "alpha");
        int beta = count(bodies, "beta");
        assertEquals(REQUESTS, alpha + beta, "answered only by a and b: " + bodies);
        assertEquals(alpha, a.received("GET /") - receivedByA, "the bodies match what a received");
        assertEquals(beta, b.received("GET /") - receivedByB, "the bodies match what b received");
        return new int[] {alpha, beta};
    }

    private static Map<Integer, Integer> counts(Map<Integer, AtomicInteger> m) {
        Map<Integer, Integer> r = new ConcurrentHashMap<>();
        m.forEach((k, v) -> r.put(k, v.get()));
        return r;
    }

    private static int count(Map<String, AtomicInteger> m, String key) {
        AtomicInteger n = m.get(key);
        return n == null ? 0 : n.get();
    }

    // ---- ACTIVE_PASSIVE failback ----

    @Test
    void autoFailbackReturnsTrafficToThePrimaryOnceItIsUpAgain() throws Exception {
        declare("ACTIVE_PASSIVE", "AUTO", 300, "TRY_ALL", 1, 1, "UP");
        assertEquals("alpha\n", get(roundRobinPort, "/").body());

        cp.settle("a", "DOWN");
        await().atMost(Duration.ofSeconds(10)).until(() -> get(roundRobinPort, "/").body().equals("beta\n"));
        assertEquals(List.of("b"), active(state(cp)));

        cp.settle("a", "UP");
        await().atMost(Duration.ofSeconds(10)).until(() -> get(roundRobinPort, "/").body().equals("alpha\n"));
        JsonNode after = state(cp);
        assertEquals(List.of("a"), active(after), after.toString());
        int servedByBeta = b.total();
        for (int i = 0; i < 20; i++) {
            assertEquals("alpha\n", get(roundRobinPort, "/").body());
        }
        assertEquals(servedByBeta, b.total(), "after the failback nothing goes to the secondary");
    }

    @Test
    void manualFailbackKeepsTrafficOnTheSecondaryUntilTheOperatorFailsBack() throws Exception {
        declare("ACTIVE_PASSIVE", "MANUAL", 0, "TRY_ALL", 1, 1, "UP");
        assertEquals("alpha\n", get(roundRobinPort, "/").body());

        cp.settle("a", "DOWN");
        await().atMost(Duration.ofSeconds(10)).until(() -> get(roundRobinPort, "/").body().equals("beta\n"));

        cp.settle("a", "UP");
        JsonNode pending = state(cp);
        assertEquals("a", pending.path("routing").path("pendingFailback").asText(), pending.toString());
        assertEquals(List.of("b"), active(pending));
        awaitFollowing(cp, roundRobin);
        int servedByAlpha = a.total();
        for (int i = 0; i < 50; i++) {
            assertEquals("beta\n", get(roundRobinPort, "/").body(), "MANUAL: no failback before the operator's");
        }
        assertEquals(servedByAlpha, a.total());

        cp.failback();
        await().atMost(Duration.ofSeconds(10)).until(() -> get(roundRobinPort, "/").body().equals("alpha\n"));
        assertEquals(List.of("a"), active(state(cp)));
    }

    private static List<String> active(JsonNode state) {
        List<String> ids = new ArrayList<>();
        state.path("routing").path("active").forEach(n -> ids.add(n.asText()));
        return ids;
    }

    // ---- nothing UP ----

    @Test
    void failFastAnswers503WithRetryAfterWhenEveryBackendIsDown() throws Exception {
        declare("ACTIVE_PASSIVE", "MANUAL", 0, "FAIL_FAST", 1, 1, "DOWN");
        assertTrue(state(cp).path("routing").path("allDown").asBoolean());
        for (int port : new int[] {roundRobinPort, leastOutstandingPort}) {
            HttpResponse<String> r = get(port, "/");
            assertEquals(503, r.statusCode(), r.body());
            assertTrue(r.body().contains("no backend available"), r.body());
            assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("application/json"), r.headers().toString());
            assertTrue(r.headers().firstValue("retry-after").isPresent(), "Retry-After: " + r.headers());
            JsonNode body = json(r.body());
            assertEquals(503, body.path("status").asInt(), r.body());
        }
        assertEquals(0, a.total(), "FAIL_FAST sends nothing to a");
        assertEquals(0, b.total(), "FAIL_FAST sends nothing to b");
    }

    @Test
    void tryAllReachesTheBackendThatIsActuallyAliveWhenEveryBackendIsReportedDown() throws Exception {
        declare("ACTIVE_PASSIVE", "MANUAL", 0, "TRY_ALL", 1, 1, "DOWN");
        assertTrue(state(cp).path("routing").path("allDown").asBoolean());
        a.kill();
        for (int port : new int[] {roundRobinPort, leastOutstandingPort}) {
            HttpResponse<String> r = get(port, "/");
            assertEquals(200, r.statusCode(), r.body());
            assertEquals("beta\n", r.body());
        }
    }
}
