package io.dsha.proxy;

import static io.dsha.proxy.support.ProxyTestKit.awaitFollowing;
import static io.dsha.proxy.support.ProxyTestKit.awaitNoConnectionsTo;
import static io.dsha.proxy.support.ProxyTestKit.member;
import static io.dsha.proxy.support.ProxyTestKit.metric;
import static io.dsha.proxy.support.ProxyTestKit.state;
import static io.dsha.proxy.support.ProxyTestKit.topology;
import static io.dsha.proxy.support.ProxyTestKit.verdict;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.dsha.proxy.support.ProxyProcess;
import io.dsha.proxy.support.Teardown;
import io.dsha.proxy.support.TestBackend.Behaviour;
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
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the proxy may send again, end to end: a request that may have reached a backend is retried
 * elsewhere only when it is idempotent and held in full; one that never left (connection refused)
 * may go anywhere; a backend that does not answer in time gives a 504. ACTIVE_PASSIVE, a (priority
 * 0) active and b (priority 1) standby, both reported UP; fresh backends for each test, so no local
 * ejection carries over.
 */
@ExtendWith(ProcessOutputOnFailure.class)
class SafeRetryIT {

    private static final String PROXY_ID = "safe-retry-it";

    @TempDir
    static Path dir;

    private static Vertx vertx;
    private static ControlPlaneProcess cp;
    private static TestBackend seed;
    private static ProxyProcess proxy;
    private static int port;
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private TestBackend a;
    private TestBackend b;

    @BeforeAll
    static void startStack() {
        vertx = Vertx.vertx();
        cp = new ControlPlaneProcess(dir.resolve("cp"));
        seed = new TestBackend(vertx, "seed");
        cp.putTopology(topology("ACTIVE_PASSIVE", "MANUAL", 0, "TRY_ALL", member("seed", seed, 0, 1)));
        cp.settle("seed", "UP");
        proxy = new ProxyProcess(cp, Map.of(
                "dsha.listener.plain-http", "true",
                "dsha.proxy-id", PROXY_ID,
                "dsha.timeouts.first-byte", "1s",
                "dsha.access-log.format", "json",
                "dsha.access-log.file", dir.resolve("access.log").toString(),
                "dsha.state-dir", dir.resolve("proxy").toString()));
        port = proxy.awaitReady();
    }

    @AfterAll
    static void stopStack() {
        Teardown.close(proxy, cp, seed, vertx);
    }

    @BeforeEach
    void freshBackends() {
        a = new TestBackend(vertx, "alpha");
        b = new TestBackend(vertx, "beta");
        cp.putTopology(topology("ACTIVE_PASSIVE", "MANUAL", 0, "TRY_ALL", member("a", a, 0, 1), member("b", b, 1, 1)));
        cp.settle("a", "UP");
        cp.settle("b", "UP");
        awaitFollowing(cp, proxy);
    }

    @AfterEach
    void closeBackends() {
        a.close();
        b.close();
    }

    private static HttpResponse<String> send(String method, String path, String body) throws Exception {
        HttpRequest.BodyPublisher publisher = body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body);
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(15))
                .method(method, publisher).build(), HttpResponse.BodyHandlers.ofString());
    }

    // ---- the access log ----

    /** The JSON line of the request whose path (query left out) is {@code path}, once written. */
    private static JsonNode accessLine(String path) {
        Path file = dir.resolve("access.log");
        return await().atMost(Duration.ofSeconds(10)).until(() -> {
            if (!java.nio.file.Files.exists(file)) {
                return null;
            }
            for (String line : java.nio.file.Files.readAllLines(file)) {
                JsonNode n = new com.fasterxml.jackson.databind.ObjectMapper().readTree(line);
                if (path.equals(n.path("path").asText())) {
                    return n;
                }
            }
            return null;
        }, java.util.Objects::nonNull);
    }

    @Test
    void theAccessLogSaysWhereEachRequestWentAndWhatItCost() throws Exception {
        String body = "x".repeat(3000);
        HttpResponse<String> put = send("PUT", "/echo-logged", body);
        assertEquals(200, put.statusCode());
        JsonNode echoed = accessLine("/echo-logged");
        assertEquals(3000, echoed.get("bytes_in").asInt());
        assertEquals(put.body().length(), echoed.get("bytes_out").asInt());
        assertEquals(1, echoed.get("attempts").asInt());
        assertEquals("a", echoed.get("backend").asText());

        a.behave(Behaviour.DROP_AFTER_REQUEST);
        assertEquals(200, send("GET", "/logged-retry?token=secret", null).statusCode());
        JsonNode retried = accessLine("/logged-retry");
        assertEquals("GET", retried.get("method").asText());
        assertEquals(200, retried.get("status").asInt());
        assertEquals("b", retried.get("backend").asText());
        assertEquals(2, retried.get("attempts").asInt(), "a, then b");
        assertEquals("beta\n".length(), retried.get("bytes_out").asInt());
        assertEquals("127.0.0.1", retried.get("client").asText());
        double total = retried.get("duration_ms").asDouble();
        assertTrue(retried.get("connect_ms").asDouble() >= 0 && retried.get("first_byte_ms").asDouble() <= total, retried.toString());
        assertFalse(retried.toString().contains("secret"), "the query is never logged");

        assertEquals(0.0, metric(proxy, "dsha_access_log_lines_total", "result=\"dropped\""), "nothing dropped");
        assertTrue(metric(proxy, "dsha_access_log_lines_total", "result=\"written\"") >= 2, "counted as written");
    }

    // ---- the request reached the backend, which then failed ----

    @Test
    void aPostThatReachedABackendIsNeverReplayed() throws Exception {
        a.behave(Behaviour.DROP_AFTER_REQUEST);
        HttpResponse<String> r = send("POST", "/echo", "order-42");
        assertEquals(502, r.statusCode(), r.body());
        assertTrue(r.body().contains("bad gateway"), r.body());
        assertEquals(1, a.received("POST /echo"), "a received the POST exactly once");
        // Nothing may arrive at b later either: watch it for a while (the answer is already back, so this is belt and braces).
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> b.received("POST /echo") == 0);
        assertEquals(0, b.total(), "the POST was never replayed on b");
        assertEquals(1, a.received("POST /echo"));
    }

    @Test
    void aGetThatReachedAFailingPrimaryIsRetriedOnTheSecondary() throws Exception {
        a.behave(Behaviour.DROP_AFTER_REQUEST);
        HttpResponse<String> r = send("GET", "/", null);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("beta\n", r.body());
        assertEquals(1, a.received("GET /"), "tried on a first");
        assertEquals(1, b.received("GET /"), "then once on b");
    }

    @Test
    void anIdempotentRequestWithASmallBodyIsRetriedWithTheSameBody() throws Exception {
        a.behave(Behaviour.DROP_AFTER_REQUEST);
        String body = "{\"name\":\"put-retried\",\"padding\":\"" + "x".repeat(4000) + "\"}";
        HttpResponse<String> r = send("PUT", "/echo", body);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(body, r.body(), "b received the whole body held by the proxy");
        assertEquals(1, a.received("PUT /echo"));
        assertEquals(1, b.received("PUT /echo"));
    }

    @Test
    void anHttp2GetThatReachedAFailingPrimaryIsRetriedOnTheSecondary() throws Exception {
        // HTTP/2 says nothing of a GET's body before the stream ends: the proxy holds it (empty) all the same.
        a.behave(Behaviour.DROP_AFTER_REQUEST);
        io.vertx.core.http.HttpClient h2 = vertx.createHttpClient(new io.vertx.core.http.HttpClientOptions()
                .setProtocolVersion(io.vertx.core.http.HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false));
        try {
            var answer = h2.request(io.vertx.core.http.HttpMethod.GET, port, "127.0.0.1", "/")
                    .compose(req -> req.send().compose(resp -> resp.body().map(body -> resp.version() + " " + resp.statusCode() + " " + body)))
                    .toCompletionStage().toCompletableFuture().get(15, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals("HTTP_2 200 beta\n", answer);
        } finally {
            h2.close();
        }
        assertEquals(1, a.received("GET /"), "tried on a first");
        assertEquals(1, b.received("GET /"), "then once on b");
    }

    @Test
    void aGarbledAnswerToAGetIsRetriedOnTheSecondaryAndBlamesThePrimary() throws Exception {
        a.behave(Behaviour.MALFORMED_HEAD);
        Instant start = Instant.now();
        HttpResponse<String> r = send("GET", "/", null);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("beta\n", r.body());
        assertEquals(1, a.received("GET /"), "tried on a first");
        assertEquals(1, b.received("GET /"), "then once on b");
        assertPassiveFailureReported(start, "malformed response");
    }

    @Test
    void aGarbledAnswerToAPostIsA502AndThePostIsNotReplayed() throws Exception {
        a.behave(Behaviour.MALFORMED_HEAD);
        HttpResponse<String> r = send("POST", "/echo", "order-43");
        assertEquals(502, r.statusCode(), r.body());
        assertTrue(r.body().contains("malformed response"), r.body());
        assertEquals(1, a.received("POST /echo"));
        assertEquals(0, b.total(), "the POST was never replayed on b");
    }

    @Test
    void aBodyBrokenMidwayCutsTheClientsConnectionRatherThanEndingTheBody() throws Exception {
        // The head and a first chunk are out when the backend's chunk framing breaks: the client must not be
        // handed the end of a chunked body (it would take the truncated body for the whole).
        a.behave(Behaviour.BROKEN_CHUNK);
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
            s.setSoTimeout(15_000);
            s.getOutputStream().write("GET /anything HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            // Returns only once the proxy closed the connection. What of the response left before the break (here
            // nothing: the head and first chunk were still waiting for the end of that read) must not end as a whole.
            String seen = new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1);
            assertFalse(seen.contains("\r\n0\r\n\r\n"), "the body was ended as if whole: " + seen);
        }
        assertEquals(1, a.received("GET /anything"));
        assertEquals(0, b.total(), "a response under way is not retried");
    }

    @Test
    void aChunkedBodyLargerThanTheRetryBufferIsStreamedWholeAndNotRetried() throws Exception {
        // 200 KiB of unknown length (chunked): more than the 64 KiB the proxy holds, so what it read first goes
        // ahead of the rest, and the request, no longer held, is not sent twice.
        byte[] big = "0123456789abcdef".repeat(200 * 64).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        HttpResponse<String> ok = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/echo"))
                .timeout(Duration.ofSeconds(15))
                .PUT(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(big))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, ok.statusCode(), ok.body());
        assertEquals(new String(big, java.nio.charset.StandardCharsets.US_ASCII), ok.body(), "the whole body, in order");

        a.behave(Behaviour.DROP_AFTER_REQUEST);
        HttpResponse<String> dropped = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/echo"))
                .timeout(Duration.ofSeconds(15))
                .PUT(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(big))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(502, dropped.statusCode(), dropped.body());
        assertEquals(2, a.received("PUT /echo"));
        assertEquals(0, b.received("PUT /echo"), "a streamed body cannot be sent again");
    }

    // ---- nothing reached the backend ----

    @Test
    void aRefusedConnectionMovesEvenAPostToTheSecondary() throws Exception {
        Instant start = Instant.now();
        double retries = metric(proxy, "dsha_proxy_retries_total");
        double ejections = metric(proxy, "dsha_proxy_ejections_total", "backend=\"a\"");
        a.kill(); // the control plane still says UP
        awaitNoConnectionsTo(a.port());

        HttpResponse<String> r = send("POST", "/echo", "payment-7");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("payment-7", r.body());
        assertEquals(1, b.received("POST /echo"), "the POST went to b once");

        assertTrue(metric(proxy, "dsha_proxy_retries_total") > retries, "dsha_proxy_retries_total counts the retry");
        assertTrue(metric(proxy, "dsha_proxy_ejections_total", "backend=\"a\"") > ejections,
                "dsha_proxy_ejections_total{backend=\"a\"} counts the ejection");
        assertPassiveFailureReported(start, "connection refused");
    }

    @Test
    void aRefusedConnectionMovesAGetToTheSecondary() throws Exception {
        Instant start = Instant.now();
        double retries = metric(proxy, "dsha_proxy_retries_total");
        double ejections = metric(proxy, "dsha_proxy_ejections_total", "backend=\"a\"");
        a.kill();
        awaitNoConnectionsTo(a.port());

        HttpResponse<String> r = send("GET", "/", null);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("beta\n", r.body());

        assertTrue(metric(proxy, "dsha_proxy_retries_total") > retries, "dsha_proxy_retries_total counts the retry");
        assertTrue(metric(proxy, "dsha_proxy_ejections_total", "backend=\"a\"") > ejections,
                "dsha_proxy_ejections_total{backend=\"a\"} counts the ejection");
        assertPassiveFailureReported(start, "connection refused");
        // Set aside locally: the next requests go straight to b, still answered.
        for (int i = 0; i < 10; i++) {
            assertEquals("beta\n", send("GET", "/", null).body());
        }
    }

    /** The proxy tells the control plane what real traffic saw: verdicts[0] (a) gets a lastPassiveFailure from this proxy. */
    private static void assertPassiveFailureReported(Instant since, String reason) {
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            JsonNode state = state(cp);
            JsonNode first = state.path("verdicts").path(0);
            assertEquals("a", first.path("backendId").asText(), state.toString());
            JsonNode passive = first.path("lastPassiveFailure");
            assertTrue(passive.isObject(), "no lastPassiveFailure yet: " + first);
            assertEquals(PROXY_ID, passive.path("reporterId").asText(), passive.toString());
            assertTrue(passive.path("reason").asText().contains(reason), passive.toString());
            assertTrue(!Instant.parse(passive.path("at").asText()).isBefore(since.minusSeconds(1)), passive.toString());
        });
        // A proxy's observation does not vote: a stays UP in the control plane.
        assertEquals("UP", verdict(state(cp), "a").path("status").asText());
    }

    // ---- the backend does not answer ----

    @Test
    void aHungBackendGives504InBoundedTimeAndThePostIsNotRetried() throws Exception {
        a.behave(Behaviour.HANG);
        long t0 = System.nanoTime();
        HttpResponse<String> r = send("POST", "/echo", "hang-me");
        Duration elapsed = Duration.ofNanos(System.nanoTime() - t0);
        assertEquals(504, r.statusCode(), r.body());
        assertTrue(r.body().contains("gateway timeout"), r.body());
        assertTrue(elapsed.compareTo(Duration.ofSeconds(5)) < 0, "answered after " + elapsed);
        assertTrue(elapsed.compareTo(Duration.ofMillis(900)) >= 0, "the first-byte timeout (1 s) decided, not something else: " + elapsed);
        assertEquals(1, a.received("POST /echo"));
        assertEquals(0, b.received("POST /echo"), "the POST was not retried on b");
        assertEquals(0, b.total());
    }

    @Test
    void aHungBackendCostsAGetOnlyTheWaitTheSecondaryAnswersIt() throws Exception {
        a.behave(Behaviour.HANG);
        HttpResponse<String> r = send("GET", "/", null);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("beta\n", r.body());
        assertEquals(1, a.received("GET /"), "a got it first and never answered");
        assertEquals(1, b.received("GET /"), "then b, once");
    }

    // ---- the client leaves: its backend did nothing wrong ----

    @Test
    void aClientThatLeavesBeforeTheAnswerCostsTheBackendNothing() throws Exception {
        a.behave(Behaviour.HANG);
        double[] before = counts();
        leaveAfter("GET / HTTP/1.1\r\nHost: x\r\n\r\n", () -> a.received("GET /") == 1, null);
        assertTheClientLeftAndAWasNotBlamed(before);
    }

    @Test
    void aClientThatLeavesMidResponseCostsTheBackendNothing() throws Exception {
        double[] before = counts();
        leaveAfter("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n", () -> a.received("GET /stream") == 1, "alpha begins");
        assertTheClientLeftAndAWasNotBlamed(before);
    }

    /** Sends a request on a raw connection, waits until the backend got it (and the client read {@code text}), then leaves. */
    private static void leaveAfter(String request, java.util.function.BooleanSupplier received, String text) throws Exception {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
            s.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            await().atMost(Duration.ofSeconds(10)).until(received::getAsBoolean);
            if (text != null) {
                StringBuilder in = new StringBuilder();
                s.setSoTimeout(10_000);
                while (!in.toString().contains(text)) {
                    int c = s.getInputStream().read();
                    assertTrue(c >= 0, "the connection closed before '" + text + "': " + in);
                    in.append((char) c);
                }
            }
        }
    }

    /** a's ejections and the 499s so far: the proxy lives across tests, and its counters with it. */
    private static double[] counts() {
        return new double[] {metric(proxy, "dsha_proxy_ejections_total", "backend=\"a\""),
                metric(proxy, "dsha_proxy_requests_total", "status=\"499\"")};
    }

    private void assertTheClientLeftAndAWasNotBlamed(double[] before) throws Exception {
        await().atMost(Duration.ofSeconds(10)).until(() -> counts()[1] > before[1]);
        a.behave(Behaviour.NORMAL);
        HttpResponse<String> r = send("GET", "/", null);
        assertEquals("alpha\n", r.body(), "a is still the one served: it was not set aside");
        assertEquals(before[0], counts()[0], "a client leaving ejects no backend (nor reports it: both come from one call)");
        assertEquals(0, b.total(), "nothing was retried on b");
    }
}
