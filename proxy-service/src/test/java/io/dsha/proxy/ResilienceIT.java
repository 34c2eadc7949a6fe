package io.dsha.proxy;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dsha.proxy.support.ProxyProcess;
import io.dsha.proxy.support.TestBackend;
import io.dsha.proxy.support.TestCa;
import io.dsha.proxy.support.Topologies;
import io.dsha.testkit.ControlPlaneProcess;
import io.dsha.testkit.ProcessOutputOnFailure;
import io.vertx.core.Vertx;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The proxy on its own feet, against real processes: it keeps routing while the control plane is
 * away and follows it again when it is back; it starts from its saved snapshot when the control
 * plane is down; DRAIN and a graceful shutdown let requests in flight finish.
 */
@ExtendWith(ProcessOutputOnFailure.class)
class ResilienceIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration GRACE = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private Vertx vertx;
    private TestBackend a;
    private TestBackend b;
    private ControlPlaneProcess cp;
    private ProxyProcess proxy;
    private TestCa ca;
    private Map<String, String> settings;
    private HttpClient client;
    private int port;

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
        a = new TestBackend(vertx, "alpha");
        b = new TestBackend(vertx, "beta");
        cp = new ControlPlaneProcess(dir.resolve("cp"));
        cp.putTopology(Topologies.twoBackends("ACTIVE_PASSIVE", "MANUAL", a, b));
        cp.settle("a", "UP");
        cp.settle("b", "UP");
        ca = new TestCa();
        ca.issue("localhost").writePem(dir, "lb");
        settings = Map.of(
                "dsha.state-dir", dir.resolve("proxy").toString(),
                "dsha.tls.cert-file", dir.resolve("lb.crt").toString(),
                "dsha.tls.key-file", dir.resolve("lb.key").toString(),
                "dsha.shutdown.grace", GRACE.toSeconds() + "s");
        proxy = new ProxyProcess(cp, settings);
        port = proxy.awaitReady();
        client = HttpClient.newBuilder().sslContext(ca.clientContext()).connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterEach
    void stop() {
        proxy.close();
        cp.close();
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    private HttpRequest request(String path) {
        return HttpRequest.newBuilder(URI.create("https://localhost:" + port + path)).version(HttpClient.Version.HTTP_1_1)
                .timeout(Duration.ofSeconds(30)).build();
    }

    private HttpResponse<String> get(String path) throws Exception {
        return client.send(request(path), HttpResponse.BodyHandlers.ofString());
    }

    /** GET / answered 200, by the backend named in the body. */
    private String servedBy() throws Exception {
        HttpResponse<String> r = get("/");
        assertEquals(200, r.statusCode(), r.body());
        return r.body();
    }

    /** The proxy's readiness: its HTTP status, and the "routing" check with its data. */
    record Readiness(int http, JsonNode check) {
        String status() {
            return check.path("status").asText();
        }

        String data(String key) {
            return check.path("data").path(key).asText();
        }

        long revision() {
            return check.path("data").path("revision").asLong(-1);
        }
    }

    private Readiness readiness() throws Exception {
        HttpResponse<String> r = proxy.readiness();
        for (JsonNode check : JSON.readTree(r.body()).path("checks")) {
            if (check.path("name").asText().equals("routing")) {
                return new Readiness(r.statusCode(), check);
            }
        }
        throw new AssertionError("no routing check in " + r.body());
    }

    /** The revision of a state the control plane answered with. (It moves on by itself too: its ticker flags silent checkers STALE.) */
    private static long revisionOf(String state) throws Exception {
        return JSON.readTree(state).path("revision").asLong();
    }

    private JsonNode savedSnapshot() throws Exception {
        return JSON.readTree(Files.readString(dir.resolve("proxy").resolve("snapshot.json")));
    }

    @Test
    void routingGoesOnWhileTheControlPlaneIsAwayAndFollowsItAgainWhenItIsBack() throws Exception {
        assertEquals("alpha\n", servedBy());
        await().atMost(Duration.ofSeconds(10)).until(() -> readiness().data("controlPlane").equals("connected"));

        cp.stop();
        await("readiness reports the control plane unreachable").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> readiness().data("controlPlane").equals("unreachable"));
        Readiness away = readiness();
        assertEquals(200, away.http(), away.check().toString());
        assertEquals("UP", away.status(), away.check().toString());
        assertEquals("a", away.data("active"));
        for (int i = 0; i < 20; i++) {
            assertEquals("alpha\n", servedBy(), "request " + i + " while the control plane is down");
        }

        cp.restart();
        await("the proxy reconnects").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> readiness().data("controlPlane").equals("connected"));
        assertEquals("alpha\n", servedBy());

        long drained = revisionOf(cp.setAdminState("a", "DRAIN"));
        await("the proxy follows the change made after the reconnection").atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(50)).until(() -> servedBy().equals("beta\n"));
        for (int i = 0; i < 10; i++) {
            assertEquals("beta\n", servedBy());
        }
        Readiness back = readiness();
        assertEquals("b", back.data("active"));
        assertTrue(back.revision() >= drained, "revision " + back.revision() + ", the drain was " + drained);
        assertTrue(proxy.process().output().contains("Lost the control plane"), proxy.process().output());
    }

    @Test
    void aProxyRestartedWhileTheControlPlaneIsDownServesFromItsSavedSnapshot() throws Exception {
        // A burst of operator changes, ending with a drained: traffic on b.
        for (int i = 0; i < 20; i++) {
            cp.setAdminState("a", i % 2 == 0 ? "DRAIN" : "ENABLED");
        }
        long drained = revisionOf(cp.setAdminState("a", "DRAIN"));
        await("the proxy follows the burst").atMost(Duration.ofSeconds(10)).untilAsserted(
                () -> assertTrue(readiness().revision() >= drained, "at " + readiness().revision() + ", the drain is " + drained));
        assertEquals("beta\n", servedBy());

        cp.stop();
        await("readiness reports the control plane unreachable").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> readiness().data("controlPlane").equals("unreachable"));
        long last = readiness().revision(); // nothing moves it any more
        await("the last revision the proxy adopted is saved").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                .untilAsserted(() -> assertEquals(last, savedSnapshot().path("revision").asLong()));
        String firstRun = proxy.process().output();
        assertFalse(firstRun.contains("Could not save the snapshot"), firstRun);

        proxy.stop();
        proxy = new ProxyProcess(cp, settings);
        port = proxy.awaitReady();

        Readiness r = readiness();
        assertEquals(200, r.http());
        assertEquals("UP", r.status());
        assertEquals("unreachable", r.data("controlPlane"));
        assertEquals(last, r.revision(), "the saved revision is in effect");
        assertEquals("b", r.data("active"));
        for (int i = 0; i < 10; i++) {
            assertEquals("beta\n", servedBy(), "request " + i + " from the saved snapshot");
        }
        assertTrue(proxy.process().output().contains("serving from the saved snapshot"), proxy.process().output());
    }

    @Test
    void drainLetsTheRequestInFlightFinishWhileNewRequestsGoToTheNextBackend() throws Exception {
        assertEquals("alpha\n", servedBy());
        CompletableFuture<HttpResponse<String>> slow = client.sendAsync(request("/slow?ms=4000"), HttpResponse.BodyHandlers.ofString());
        await("the slow request reaches a").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .until(() -> a.received("GET /slow") == 1);

        cp.setAdminState("a", "DRAIN");
        assertFalse(slow.isDone(), "the slow request is still in flight when a is drained");
        await("new requests go to b").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                .until(() -> servedBy().equals("beta\n"));
        assertFalse(slow.isDone(), "b took new requests while a's request was still in flight");
        int aBefore = a.total();
        for (int i = 0; i < 10; i++) {
            assertEquals("beta\n", servedBy());
        }
        assertEquals(aBefore, a.total(), "a drained receives no new request");

        HttpResponse<String> done = slow.get(30, TimeUnit.SECONDS);
        assertEquals(200, done.statusCode(), done.body());
        assertEquals("alpha\n", done.body(), "the request in flight finished on a");
        assertEquals(1, a.received("GET /slow"), "not retried elsewhere");
        assertEquals(0, b.received("GET /slow"));
    }

    @Test
    void aFrozenPrimaryDeclaredDownHandsItsWaitingGetToTheStandbyAndKeepsItsPost() throws Exception {
        // Frozen: a takes requests and answers nothing (as under SIGSTOP). The first-byte timeout is the default 30 s.
        a.behave(TestBackend.Behaviour.HANG);
        CompletableFuture<HttpResponse<String>> waitingGet = client.sendAsync(request("/"), HttpResponse.BodyHandlers.ofString());
        CompletableFuture<HttpResponse<String>> waitingPost = client.sendAsync(HttpRequest.newBuilder(URI.create("https://localhost:" + port + "/"))
                .version(HttpClient.Version.HTTP_1_1).timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofString("x")).build(),
                HttpResponse.BodyHandlers.ofString());
        await("both requests reach a").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .until(() -> a.received("GET /") == 1 && a.received("POST /") == 1);
        assertFalse(waitingGet.isDone());

        cp.settle("a", "DOWN");
        HttpResponse<String> got = waitingGet.get(10, TimeUnit.SECONDS);
        assertEquals(200, got.statusCode(), got.body());
        assertEquals("beta\n", got.body(), "the GET went to b once a was declared DOWN, long before the first-byte timeout");
        assertEquals(0, b.received("POST /"), "the POST, which a may have applied, is not sent again");
        assertFalse(waitingPost.isDone(), "the POST still waits for a's answer");

        a.close();   // a's connections close: the POST, already sent, ends as a 502 and is still not replayed
        HttpResponse<String> post = waitingPost.get(20, TimeUnit.SECONDS);
        assertEquals(502, post.statusCode(), post.body());
        assertEquals(0, b.received("POST /"));
        assertEquals(1, b.received("GET /"));
    }

    @Test
    void sigtermLetsTheRequestInFlightFinishThenExitsCleanly() throws Exception {
        assertEquals("alpha\n", servedBy());
        CompletableFuture<HttpResponse<String>> slow = client.sendAsync(request("/slow?ms=3000"), HttpResponse.BodyHandlers.ofString());
        await("the slow request reaches a").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .until(() -> a.received("GET /slow") == 1);
        assertFalse(slow.isDone());

        long t0 = System.nanoTime();
        proxy.stop(); // SIGTERM, then waits for the exit
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        Process p = proxy.process().process();
        assertFalse(p.isAlive());

        HttpResponse<String> done = slow.get(10, TimeUnit.SECONDS);
        assertEquals(200, done.statusCode(), done.body());
        assertEquals("alpha\n", done.body());
        // The process has ended; its output is read by another thread until the end of the pipe.
        await("the proxy's last words").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .until(() -> proxy.process().output().contains("dsha-proxy stopped in"));
        String out = proxy.process().output();
        // 143 = 128 + SIGTERM: the JVM's status after a signal-initiated, orderly shutdown; 137 would be the forced kill.
        assertTrue(Set.of(0, 143).contains(p.exitValue()), "exit status " + p.exitValue() + ":\n" + out);
        assertTrue(took.compareTo(GRACE) < 0, "took " + took + " (grace " + GRACE + ")");
        assertFalse(out.contains("still in flight"), out);
        assertTrue(java.util.regex.Pattern.compile("GET /slow 200 in=0 out=\\d+ backend=a attempts=1 ").matcher(out).find(),
                "the access log has the request that finished during the shutdown:\n" + out);
    }
}
