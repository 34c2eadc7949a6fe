package io.dsha.proxy;

import static io.dsha.proxy.support.ProxyTestKit.awaitFollowing;
import static io.dsha.proxy.support.ProxyTestKit.member;
import static io.dsha.proxy.support.ProxyTestKit.metric;
import static io.dsha.proxy.support.ProxyTestKit.topology;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dsha.proxy.support.ProxyProcess;
import io.dsha.proxy.support.RawHttp;
import io.dsha.proxy.support.Teardown;
import io.dsha.proxy.support.TestBackend;
import io.dsha.testkit.ControlPlaneProcess;
import io.dsha.testkit.ProcessOutputOnFailure;
import io.vertx.core.Vertx;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the proxy lets through, end to end: header and body size limits, WebSocket upgrades, and
 * which headers cross it. One stack for the class (the tests do not change it): ACTIVE_PASSIVE with
 * a active, {@code dsha.limits.max-header-bytes=8192}, {@code dsha.limits.max-body-bytes=4096}.
 */
@ExtendWith(ProcessOutputOnFailure.class)
class LimitsIT {

    private static final int MAX_HEADER_BYTES = 8192;
    private static final int MAX_BODY_BYTES = 4096;
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    static Path dir;

    private static Vertx vertx;
    private static TestBackend a;
    private static TestBackend b;
    private static ControlPlaneProcess cp;
    private static ProxyProcess proxy;
    private static int port;
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void startStack() {
        vertx = Vertx.vertx();
        a = new TestBackend(vertx, "alpha");
        b = new TestBackend(vertx, "beta");
        cp = new ControlPlaneProcess(dir.resolve("cp"));
        cp.putTopology(topology("ACTIVE_PASSIVE", "MANUAL", 0, "TRY_ALL", member("a", a, 0, 1), member("b", b, 1, 1)));
        cp.settle("a", "UP");
        cp.settle("b", "UP");
        proxy = new ProxyProcess(cp, Map.of(
                "dsha.listener.plain-http", "true",
                "dsha.proxy-id", "limits-it",
                "dsha.limits.max-header-bytes", String.valueOf(MAX_HEADER_BYTES),
                "dsha.limits.max-body-bytes", String.valueOf(MAX_BODY_BYTES),
                "dsha.state-dir", dir.resolve("proxy").toString()));
        port = proxy.awaitReady();
        awaitFollowing(cp, proxy);
    }

    @AfterAll
    static void stopStack() {
        Teardown.close(proxy, cp, vertx);
    }

    private static int received() {
        return a.total() + b.total();
    }

    // ---- sizes ----

    @Test
    void headersLargerThanTheLimitGet431AndReachNoBackend() {
        RawHttp.Response small = RawHttp.exchange(port, "GET / HTTP/1.1\r\nHost: limits.test\r\nX-Filler: " + "s".repeat(4 * 1024), null,
                TIMEOUT);
        assertEquals(200, small.status(), "4 KB of headers are within the limit: " + small);

        int before = received();
        RawHttp.Response big = RawHttp.exchange(port, "GET / HTTP/1.1\r\nHost: limits.test\r\nX-Filler: " + "b".repeat(20 * 1024), null,
                TIMEOUT);
        assertEquals(431, big.status(), big.toString());
        assertEquals(before, received(), "nothing reached a backend");

        // The same through an ordinary client.
        HttpResponse<String> viaClient = send(HttpRequest.newBuilder(uri("/")).header("X-Filler", "c".repeat(20 * 1024)).GET());
        assertEquals(431, viaClient.statusCode());
        assertEquals(before, received(), "nothing reached a backend");
    }

    @Test
    void aDeclaredBodyLargerThanTheLimitGets413AndReachesNoBackend() {
        int before = received();
        // Only the head is sent: the proxy must refuse on Content-Length alone, without waiting for the body.
        RawHttp.Response r = RawHttp.exchange(port, "POST /echo HTTP/1.1\r\nHost: limits.test\r\nContent-Type: application/octet-stream\r\n"
                + "Content-Length: " + (10 * 1024 * 1024), null, TIMEOUT);
        assertEquals(413, r.status(), r.toString());
        assertTrue(r.body().contains("too large"), r.body());
        assertEquals("close", r.header("connection"), "the unread body makes the connection unusable: " + r.headers());
        assertEquals(before, received(), "nothing reached a backend");
    }

    @Test
    void aBodyJustAboveTheLimitGets413AndOneAtTheLimitPasses() {
        int before = received();
        String atLimit = "k".repeat(MAX_BODY_BYTES);
        HttpResponse<String> ok = send(HttpRequest.newBuilder(uri("/echo")).POST(HttpRequest.BodyPublishers.ofString(atLimit)));
        assertEquals(200, ok.statusCode(), ok.body());
        assertEquals(atLimit, ok.body());
        assertEquals(before + 1, received());

        RawHttp.Response tooBig = RawHttp.exchange(port, "POST /echo HTTP/1.1\r\nHost: limits.test\r\nContent-Length: "
                + (MAX_BODY_BYTES + 1), ("k".repeat(MAX_BODY_BYTES + 1)).getBytes(StandardCharsets.US_ASCII), TIMEOUT);
        assertEquals(413, tooBig.status(), tooBig.toString());
        assertEquals(before + 1, received(), "the oversized body reached no backend");
    }

    /** Without a Content-Length the limit still holds: the proxy counts a chunked body as it streams. */
    @Test
    void aChunkedBodyAboveTheLimitGets413AndOneBelowPasses() {
        int before = received();
        double ejections = metric(proxy, "dsha_proxy_ejections_total");
        RawHttp.Response small = RawHttp.exchange(port, "POST /echo HTTP/1.1\r\nHost: limits.test\r\nTransfer-Encoding: chunked",
                chunked(3, 1000), TIMEOUT);
        assertEquals(200, small.status(), small.headers().toString());
        assertEquals("z".repeat(3000), small.body());
        assertEquals(before + 1, received());

        RawHttp.Response big = RawHttp.exchange(port, "POST /echo HTTP/1.1\r\nHost: limits.test\r\nTransfer-Encoding: chunked",
                chunked(8, 1000), TIMEOUT);
        assertEquals(413, big.status(), big.headers().toString());
        assertTrue(big.body().contains("too large"), big.body());
        assertEquals(before + 1, received(), "no backend received the oversized body as a complete request");
        assertEquals(ejections, metric(proxy, "dsha_proxy_ejections_total"), "the client's fault: no backend was set aside");
    }

    private static byte[] chunked(int chunks, int size) {
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < chunks; i++) {
            body.append(Integer.toHexString(size)).append("\r\n").append("z".repeat(size)).append("\r\n");
        }
        return body.append("0\r\n\r\n").toString().getBytes(StandardCharsets.US_ASCII);
    }

    // ---- WebSocket ----

    @Test
    void aWebSocketEchoesThroughTheProxy() throws Exception {
        int upgrades = a.received("WS /ws");
        BlockingQueue<Object> received = new LinkedBlockingQueue<>();
        WebSocket ws = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
                .buildAsync(URI.create("ws://127.0.0.1:" + port + "/ws"), new WebSocket.Listener() {
                    private final StringBuilder text = new StringBuilder();
                    private final ByteArrayOutputStream binary = new ByteArrayOutputStream();

                    @Override
                    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                        text.append(data);
                        if (last) {
                            received.add(text.toString());
                            text.setLength(0);
                        }
                        webSocket.request(1);
                        return null;
                    }

                    @Override
                    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
                        byte[] bytes = new byte[data.remaining()];
                        data.get(bytes);
                        binary.writeBytes(bytes);
                        if (last) {
                            received.add(binary.toByteArray());
                            binary.reset();
                        }
                        webSocket.request(1);
                        return null;
                    }

                    @Override
                    public void onError(WebSocket webSocket, Throwable error) {
                        received.add(error);
                    }
                }).get(10, TimeUnit.SECONDS);
        try {
            String message = "hello through the proxy \u00e9\u4e16";
            ws.sendText(message, true).get(10, TimeUnit.SECONDS);
            assertEquals(message, received.poll(10, TimeUnit.SECONDS), "the same text comes back, as a text message");
            assertEquals(upgrades + 1, a.received("WS /ws"), "the upgrade reached the active backend");

            byte[] bytes = {0, 1, 2, (byte) 0xff, 42};
            ws.sendBinary(ByteBuffer.wrap(bytes), true).get(10, TimeUnit.SECONDS);
            Object echoed = received.poll(10, TimeUnit.SECONDS);
            assertTrue(echoed instanceof byte[], "a binary message comes back as binary: " + echoed);
            assertArrayEquals(bytes, (byte[]) echoed);
        } finally {
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(10, TimeUnit.SECONDS);
        }
    }

    // ---- headers ----

    @Test
    void hopByHopHeadersStopAtTheProxyAndEndToEndOnesCross() {
        RawHttp.Response r = RawHttp.exchange(port, String.join("\r\n",
                "GET /headers HTTP/1.1",
                "Host: limits.test",
                "Connection: x-secret",
                "X-Secret: 1",
                "Keep-Alive: timeout=5, max=100",
                "Proxy-Authorization: Basic cHJveHk6c2VjcmV0",
                "Proxy-Connection: keep-alive",
                "TE: trailers",
                "X-Ordinary: kept",
                "Authorization: Bearer end-to-end",
                "Accept: text/plain"), null, TIMEOUT);
        assertEquals(200, r.status(), r.toString());
        List<String> lines = r.body().lines().map(l -> l.toLowerCase(Locale.ROOT)).toList();
        for (String name : List.of("x-secret", "keep-alive", "proxy-authorization", "proxy-connection", "te")) {
            assertFalse(lines.stream().anyMatch(l -> l.startsWith(name + ":")), name + " was forwarded: " + r.body());
        }
        assertFalse(lines.stream().anyMatch(l -> l.startsWith("connection:") && l.contains("x-secret")),
                "the client's Connection header was forwarded: " + r.body());
        assertTrue(lines.contains("x-ordinary: kept"), r.body());
        assertTrue(lines.contains("authorization: bearer end-to-end"), r.body());
        assertTrue(lines.contains("accept: text/plain"), r.body());
        assertTrue(lines.contains("host: limits.test"), r.body());
        assertTrue(lines.contains("x-forwarded-for: 127.0.0.1"), r.body());
    }

    // ---- HTTP/1.x on the wire ----

    @Test
    void pipelinedRequestsAreAnsweredInOrderOnOneConnection() {
        // The first is answered last by the backend (after 300 ms); the client still gets the answers in its order.
        List<RawHttp.Response> answers = RawHttp.pipeline(port, "GET /slow?ms=300 HTTP/1.1\r\nHost: limits.test\r\n\r\n"
                + "POST /echo HTTP/1.1\r\nHost: limits.test\r\nContent-Length: 6\r\n\r\nsecond"
                + "GET /headers HTTP/1.1\r\nHost: limits.test\r\nX-Third: 3\r\n\r\n", List.of("GET", "POST", "GET"), TIMEOUT);
        assertEquals(List.of(200, 200, 200), answers.stream().map(RawHttp.Response::status).toList(), answers.toString());
        assertEquals("alpha\n", answers.get(0).body());
        assertEquals("second", answers.get(1).body());
        assertTrue(answers.get(2).body().contains("x-third: 3"), answers.get(2).body());
    }

    @Test
    void aHeadResponseHasNoBodyAndTheConnectionGoesOn() {
        List<RawHttp.Response> answers = RawHttp.pipeline(port, "HEAD / HTTP/1.1\r\nHost: limits.test\r\n\r\n"
                + "GET / HTTP/1.1\r\nHost: limits.test\r\n\r\n", List.of("HEAD", "GET"), TIMEOUT);
        assertEquals(200, answers.get(0).status(), answers.toString());
        assertEquals("alpha", answers.get(0).header("x-backend"), "the backend's headers come through");
        assertEquals(null, answers.get(0).header("transfer-encoding"), "no body framing is added to a HEAD's answer");
        assertEquals("", answers.get(0).body());
        assertEquals("alpha\n", answers.get(1).body(), "the next response starts where the HEAD's ended");
    }

    @Test
    void aClientExpecting100ContinueGetsItOnceTheRequestIsAccepted() throws Exception {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
            s.setSoTimeout((int) TIMEOUT.toMillis());
            var out = s.getOutputStream();
            out.write(("PUT /echo HTTP/1.1\r\nHost: limits.test\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            RawHttp.Response interim = RawHttp.read(s.getInputStream());
            assertEquals(100, interim.status(), "the body is asked for before it is sent");
            out.write("hello".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            RawHttp.Response answer = RawHttp.read(s.getInputStream());
            assertEquals(200, answer.status());
            assertEquals("hello", answer.body());
        }
        // Refused on its Content-Length: the final answer comes at once, without a 100.
        RawHttp.Response refused = RawHttp.exchange(port, "PUT /echo HTTP/1.1\r\nHost: limits.test\r\nExpect: 100-continue\r\n"
                + "Content-Length: " + (MAX_BODY_BYTES + 1), null, TIMEOUT);
        assertEquals(413, refused.status(), refused.toString());
    }

    @Test
    void anHttp10ClientIsAnsweredAndItsConnectionClosed() throws Exception {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
            s.setSoTimeout((int) TIMEOUT.toMillis());
            s.getOutputStream().write("GET / HTTP/1.0\r\nHost: limits.test\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            RawHttp.Response r = RawHttp.read(s.getInputStream());
            assertEquals(200, r.status());
            assertEquals("alpha\n", r.body());
            assertEquals(-1, s.getInputStream().read(), "HTTP/1.0 without keep-alive: the proxy closes after the answer");
        }
    }

    private static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return HTTP.send(request.timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
