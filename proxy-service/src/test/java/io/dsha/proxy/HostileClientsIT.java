package io.dsha.proxy;

import static io.dsha.proxy.support.ProxyTestKit.awaitFollowing;
import static io.dsha.proxy.support.ProxyTestKit.metric;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dsha.proxy.support.ProxyProcess;
import io.dsha.proxy.support.RawHttp;
import io.dsha.proxy.support.RecordingBackend;
import io.dsha.proxy.support.Teardown;
import io.dsha.testkit.ControlPlaneProcess;
import io.dsha.testkit.ProcessOutputOnFailure;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.netty.handler.codec.http2.Http2Headers;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The data path against clients that lie, stall or flood, with raw sockets against the real proxy
 * process, and backends that record exactly what reaches them ({@link RecordingBackend}). One stack for
 * the class: ACTIVE_PASSIVE, a active; short client timeouts (request-header 1 s, request-body 1 s,
 * client-idle 2 s), first-byte 1.5 s, backend idle 2 s, a 4 KiB retry buffer (bodies beyond it are streamed), one event loop.
 */
@ExtendWith(ProcessOutputOnFailure.class)
class HostileClientsIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final int RETRY_BUFFER = 4096;

    @TempDir
    static Path dir;

    private static RecordingBackend a;
    private static RecordingBackend b;
    private static ControlPlaneProcess cp;
    private static ProxyProcess proxy;
    private static int port;

    @BeforeAll
    static void startStack() {
        a = new RecordingBackend();
        b = new RecordingBackend();
        cp = new ControlPlaneProcess(dir.resolve("cp"));
        cp.putTopology("""
                {"listener": {"host": "127.0.0.1", "port": 9}, "mode": "ACTIVE_PASSIVE",
                 "failback": {"policy": "MANUAL", "delayMs": 0}, "allDown": "TRY_ALL",
                 "backends": [{"id": "a", "host": "127.0.0.1", "port": %d, "priority": 0, "weight": 1},
                              {"id": "b", "host": "127.0.0.1", "port": %d, "priority": 1, "weight": 1}]}
                """.formatted(a.port(), b.port()));
        cp.settle("a", "UP");
        cp.settle("b", "UP");
        proxy = new ProxyProcess(cp, Map.of(
                "dsha.listener.plain-http", "true",
                "dsha.event-loops", "1",
                "dsha.timeouts.request-header", "1s",
                "dsha.timeouts.request-body", "1s",
                "dsha.timeouts.client-idle", "2s",
                "dsha.timeouts.first-byte", "1500ms",
                "dsha.timeouts.idle", "2s",
                "dsha.limits.retry-buffer-bytes", String.valueOf(RETRY_BUFFER),
                "dsha.state-dir", dir.resolve("proxy").toString()));
        port = proxy.awaitReady();
        awaitFollowing(cp, proxy);
    }

    @AfterAll
    static void stopStack() {
        Teardown.close(proxy, cp, a, b);
    }

    // ---- framing: nothing a client sends may be framed one way here and another way at a backend ----

    @Test
    void aConnectionHeaderNamingContentLengthCannotSmuggleARequest() throws IOException {
        String smuggled = "GET /smuggled HTTP/1.1\r\nHost: x\r\nX-Pad: ";
        try (Raw attacker = new Raw()) {
            attacker.send("POST /attack HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Content-Length\r\nContent-Length: "
                    + smuggled.length() + "\r\n\r\n" + smuggled);
            assertEquals(200, attacker.response().status());
        }
        // A victim's request next, on the pooled connection the attacker's went over.
        RawHttp.Response victim = RawHttp.exchange(port, "GET /victim HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer victim", null, TIMEOUT);
        assertEquals(200, victim.status());
        assertTrue(victim.body().contains("GET /victim"), "the victim gets its own answer: " + victim.body());

        List<RecordingBackend.Received> attack = a.received("/attack");
        assertEquals(1, attack.size());
        assertEquals(String.valueOf(smuggled.length()), attack.get(0).header("content-length"));
        assertEquals(smuggled, attack.get(0).bodyText(), "the body went as the attack's body");
        assertTrue(a.received("/smuggled").isEmpty(), "no request was smuggled: " + a.received());
        assertEquals(List.of("Bearer victim"), a.received("/victim").get(0).all("authorization"));
    }

    @Test
    void aTransferEncodingOtherThanALoneChunkedIs400AndReachesNoBackend() throws IOException {
        for (String te : List.of("xchunked", "gzip", "chunked, gzip", "gzip, chunked", "chunked\r\nTransfer-Encoding: chunked",
                "chunked, chunked", "identity")) {
            int before = a.received().size() + b.received().size();
            try (Raw c = new Raw()) {
                c.send("POST /te HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: " + te + "\r\n\r\n"
                        + "0\r\n\r\nGET /te-smuggled HTTP/1.1\r\nHost: x\r\n\r\n");
                assertEquals(400, c.response().status(), te);
                assertTrue(c.closedByProxy(), "closed after the 400: " + te);
            }
            assertEquals(before, a.received().size() + b.received().size(), "nothing reached a backend for " + te);
        }
        // A Content-Length with Transfer-Encoding, and an HTTP/1.0 request with Transfer-Encoding (Netty's decoder).
        for (String head : List.of("POST /te HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked",
                "POST /te HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked")) {
            RawHttp.Response r = RawHttp.exchange(port, head, "0\r\n\r\n".getBytes(StandardCharsets.US_ASCII), TIMEOUT);
            assertEquals(400, r.status(), head);
        }
        assertTrue(a.received("/te").isEmpty() && b.received("/te").isEmpty());
        assertTrue(metric(proxy, "dsha_proxy_client_errors_total", "reason=\"transfer_encoding\"") >= 6);
    }

    @Test
    void aChunkedBodyBrokenPartWayIs400AndNeverReachesABackendAsComplete() throws IOException {
        try (Raw c = new Raw()) {
            // Within the retry buffer: held here, so no backend sees any of it.
            c.send("POST /broken-held HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz-not-a-size\r\n");
            assertEquals(400, c.response().status());
            assertTrue(c.closedByProxy());
        }
        assertTrue(a.received("/broken-held").isEmpty() && a.started("/broken-held").isEmpty());
        try (Raw c = new Raw()) {
            // Beyond it: streamed to a; once a has the head and part of the body, the body turns malformed.
            int size = RETRY_BUFFER + 100;
            c.send("POST /broken-streamed HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + Integer.toHexString(size) + "\r\n"
                    + "x".repeat(size) + "\r\n");
            await().atMost(TIMEOUT).until(() -> !a.started("/broken-streamed").isEmpty());
            c.send("zz-not-a-size\r\n");
            assertEquals(400, c.response().status());
            assertTrue(c.closedByProxy());
        }
        // Its connection to a was cut: the body never ended there.
        await().atMost(TIMEOUT).until(() -> !a.received("/broken-streamed").isEmpty());
        assertTrue(a.received("/broken-streamed").stream().noneMatch(RecordingBackend.Received::complete), a.received().toString());
        assertEquals(0, metric(proxy, "dsha_proxy_ejections_total"), "the client's fault, not a's");
    }

    // ---- slow clients: their slowness costs them, never a backend ----

    @Test
    void aSlowUploadLongerThanTheFirstByteTimeoutSucceedsAndCountsNothingAgainstTheBackend() throws IOException {
        int parts = 8;
        byte[] part = "y".repeat(1024).getBytes(StandardCharsets.US_ASCII);
        try (Raw c = new Raw()) {
            c.send("POST /slow-upload HTTP/1.1\r\nHost: x\r\nContent-Length: " + parts * part.length + "\r\n\r\n");
            // 8 parts 400 ms apart (the client's pace, kept by a timer): 2.8 s in all, past the 1.5 s first-byte timeout,
            // never 1 s silent.
            ScheduledExecutorService pacer = Executors.newSingleThreadScheduledExecutor();
            AtomicInteger sent = new AtomicInteger();
            try {
                pacer.scheduleAtFixedRate(() -> {
                    if (sent.get() < parts) {
                        try {
                            c.out.write(part);
                            c.out.flush();
                            sent.incrementAndGet();
                        } catch (IOException e) {
                            sent.set(parts);
                        }
                    }
                }, 0, 400, TimeUnit.MILLISECONDS);
                RawHttp.Response r = c.response();
                assertEquals(200, r.status(), r.toString());
                assertEquals(parts, sent.get(), "answered only once the whole body was sent");
            } finally {
                pacer.shutdownNow();
            }
        }
        RecordingBackend.Received got = a.received("/slow-upload").get(0);
        assertTrue(got.complete());
        assertEquals(parts * part.length, got.body().length);
        assertEquals(0, metric(proxy, "dsha_proxy_ejections_total"));
    }

    @Test
    void slowUploadsHoldNoBackendConnectionWithinTheBufferAndHalfThePoolBeyondIt() throws IOException {
        try (ProxyProcess small = new ProxyProcess(cp, Map.of("dsha.listener.plain-http", "true", "dsha.event-loops", "1",
                "dsha.balance.pool-size", "2", "dsha.limits.retry-buffer-bytes", String.valueOf(RETRY_BUFFER),
                "dsha.timeouts.request-body", "20s", "dsha.proxy-id", "small-pool", "dsha.state-dir", dir.resolve("small-pool").toString()))) {
            int smallPort = small.awaitReady();
            List<Raw> slow = new java.util.ArrayList<>();
            try {
                // Twenty uploads within the retry buffer, stalled half-way: held by the proxy, none at a backend.
                for (int i = 0; i < 20; i++) {
                    Raw c = new Raw(smallPort);
                    slow.add(c);
                    c.send("POST /slow-small HTTP/1.1\r\nHost: x\r\nContent-Length: 200\r\n\r\n" + "s".repeat(100));
                }
                // Two beyond it, stalled after 5000 bytes: they stream, and only one may hold one of a's two connections.
                for (int i = 0; i < 2; i++) {
                    Raw c = new Raw(smallPort);
                    slow.add(c);
                    c.send("POST /slow-large HTTP/1.1\r\nHost: x\r\nContent-Length: 10000\r\n\r\n" + "l".repeat(5000));
                }
                await().atMost(TIMEOUT).until(() -> a.started("/slow-large").size() == 1);
                for (int i = 0; i < 5; i++) {
                    RawHttp.Response r = RawHttp.exchange(smallPort, "GET /meanwhile HTTP/1.1\r\nHost: x", null, TIMEOUT);
                    assertEquals(200, r.status(), "a normal request still gets a connection: " + r);
                }
                assertTrue(a.started("/slow-small").isEmpty(), "no backend connection for a body within the buffer");
                assertEquals(1, a.started("/slow-large").size(), "the second streamed upload waits for its share");
            } finally {
                for (Raw c : slow) {
                    c.close();
                }
            }
        }
    }

    @Test
    void aBodyThatStopsArrivingIs408AndIsNeverStoredAsComplete() throws IOException {
        for (int sent : List.of(100, RETRY_BUFFER + 100)) {
            try (Raw c = new Raw()) {
                c.send("POST /stalled HTTP/1.1\r\nHost: x\r\nContent-Length: " + (sent * 2) + "\r\n\r\n" + "s".repeat(sent));
                RawHttp.Response r = c.response();
                assertEquals(408, r.status(), r.toString());
                assertTrue(c.closedByProxy());
            }
        }
        assertTrue(a.received("/stalled").stream().noneMatch(RecordingBackend.Received::complete));
        assertTrue(metric(proxy, "dsha_proxy_client_errors_total", "reason=\"body_timeout\"") >= 2);
        assertEquals(0, metric(proxy, "dsha_proxy_ejections_total"));
    }

    @Test
    void aHeadThatDoesNotCompleteIs408AndASilentConnectionIsClosed() throws IOException {
        try (Raw slowloris = new Raw()) {
            slowloris.send("GET /loris HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n");
            RawHttp.Response r = slowloris.response();
            assertEquals(408, r.status());
            assertTrue(slowloris.closedByProxy());
        }
        try (Raw silent = new Raw()) {
            assertTrue(silent.closedByProxy(), "a connection that sends nothing is closed without an answer");
        }
        try (Raw keepAlive = new Raw()) {
            keepAlive.send("GET /ka HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals(200, keepAlive.response().status());
            assertTrue(keepAlive.closedByProxy(), "an idle keep-alive connection is closed after client-idle");
        }
        assertTrue(a.received("/loris").isEmpty());
    }

    @Test
    void aClientThatStopsReadingItsAnswerIsNeverTheBackendsFailure() throws IOException {
        double stalled = metric(proxy, "dsha_proxy_client_errors_total", "reason=\"response_stalled\"");
        try (Raw c = new Raw()) {
            // 32 MiB asked for and never read: the answer backs up to a's connection, silent until its idle timeout (2 s).
            c.send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
            await().atMost(TIMEOUT).until(() -> metric(proxy, "dsha_proxy_client_errors_total", "reason=\"response_stalled\"") > stalled);
        }
        assertEquals(0, metric(proxy, "dsha_proxy_ejections_total"), "the client's doing, not a's");
    }

    // ---- what a request may look like ----

    @Test
    void hostMustBeOneAndTheAbsoluteFormNamesIt() {
        assertEquals(400, RawHttp.exchange(port, "GET /host-rule HTTP/1.1\r\nHost: x\r\nHost: y", null, TIMEOUT).status());
        assertEquals(400, RawHttp.exchange(port, "GET /host-rule HTTP/1.1\r\nX-No-Host: 1", null, TIMEOUT).status());
        assertEquals(400, RawHttp.exchange(port, "GET /host-rule HTTP/1.1\r\nHost: x y", null, TIMEOUT).status());
        assertTrue(a.received("/host-rule").isEmpty());

        assertEquals(200, RawHttp.exchange(port, "GET http://other.example:81/abs?q=1 HTTP/1.1\r\nHost: x", null, TIMEOUT).status());
        RecordingBackend.Received abs = a.received("/abs").get(0);
        assertEquals("/abs?q=1", abs.target());
        assertEquals(List.of("other.example:81"), abs.all("host"), "one Host, the one the target names (RFC 9112 §3.2.2)");

        assertEquals(200, RawHttp.exchange(port, "GET /conn-host HTTP/1.1\r\nHost: kept.example\r\nConnection: Host", null, TIMEOUT).status());
        assertEquals(List.of("kept.example"), a.received("/conn-host").get(0).all("host"));
    }

    @Test
    void controlCharactersInTheTargetAre400AndNeverWrittenRawToTheLog() {
        RawHttp.Response r = RawHttp.exchange(port, "GET /esc\u001b[31mred\u0007 HTTP/1.1\r\nHost: x", null, TIMEOUT);
        assertEquals(400, r.status());
        assertTrue(a.received("/esc").isEmpty());
        assertFalse(proxy.process().output().contains("\u001b"), "no raw ESC in the proxy's output");
    }

    @Test
    void unknownVersionsConnectAndAnHttp2PrefaceOnHttp1AreRefused() throws IOException {
        assertEquals(505, RawHttp.exchange(port, "GET /v HTTP/1.2\r\nHost: x", null, TIMEOUT).status());
        assertEquals(405, RawHttp.exchange(port, "CONNECT other.example:443 HTTP/1.1\r\nHost: other.example:443", null, TIMEOUT).status());
        try (Raw c = new Raw()) {
            // On a connection already speaking HTTP/1.1, the HTTP/2 preface is an HTTP/2.0 request line: not forwarded.
            c.send("GET /first HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals(200, c.response().status());
            c.send("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
            assertEquals(505, c.response().status());
        }
        assertTrue(a.received().stream().noneMatch(r -> r.method().equals("PRI") || r.method().equals("CONNECT") || r.target().equals("/v")));
    }

    // ---- HTTP/2 ----

    @Test
    void anHttp2HostDifferentFromAuthorityIs400AndAnEqualOneGoesOnOnce() throws Exception {
        try (H2 c = new H2()) {
            c.request(1, "/h2-differs", "a.example", "b.example");
            assertEquals("400", c.status(1));
            c.request(3, "/h2-same", "a.example", "A.example");
            assertEquals("200", c.status(3));
        }
        assertTrue(a.received("/h2-differs").isEmpty());
        assertEquals(1, a.received("/h2-same").get(0).all("host").size());
    }

    @Test
    void aMalformedHttp2ConnectionIsCountedAndLogsNoStackTrace() throws Exception {
        double before = metric(proxy, "dsha_proxy_client_errors_total", "reason=\"h2_protocol\"");
        try (H2 c = new H2()) {
            c.frame(1, 0x1, 0, new byte[] {0, 0, 0}); // HEADERS on stream 0: a connection error
            assertEquals(7, c.nextFrameTypeOtherThanSettings(), "answered with a GOAWAY");
        }
        await().atMost(TIMEOUT).until(() -> metric(proxy, "dsha_proxy_client_errors_total", "reason=\"h2_protocol\"") > before);
        assertFalse(proxy.process().output().contains("reached at the tail of the pipeline"), "no WARN stack trace per connection");
    }

    @Test
    void anHttp2StreamWhoseBodyNeverEndsIsAnswered408ResetAndItsConnectionStillGoesIdle() throws Exception {
        try (H2 c = new H2()) {
            c.request(1, "POST", "/h2-never-ends", "x", null, false); // HEADERS without END_STREAM, then silence
            java.util.List<Integer> seen = new java.util.ArrayList<>();
            // 408 after request-body (1 s), the stream reset, then, no stream open, GOAWAY after client-idle (2 s).
            assertEquals(7, c.nextFrameTypeNotIn(java.util.Set.of(0x0, 0x1, 0x3, 0x4, 0x6, 0x8), seen), "types seen: " + seen);
            assertTrue(seen.contains(0x3), "the stream was reset: " + seen);
        }
        assertTrue(a.received("/h2-never-ends").stream().noneMatch(RecordingBackend.Received::complete));
    }

    @Test
    void anIdleHttp2ConnectionGetsAGoawayAfterClientIdle() throws Exception {
        try (H2 c = new H2()) {
            assertEquals(7, c.nextFrameTypeOtherThanSettings(), "GOAWAY when no stream was open for client-idle");
        }
    }

    // ---- connection limit ----

    @Test
    void beyondTheConnectionLimitNewConnectionsAreClosedAndOpenOnesServed() throws IOException {
        try (ProxyProcess limited = new ProxyProcess(cp, Map.of("dsha.listener.plain-http", "true", "dsha.event-loops", "1",
                "dsha.listener.max-connections", "2", "dsha.proxy-id", "limited", "dsha.state-dir", dir.resolve("limited").toString()))) {
            int limitedPort = limited.awaitReady();
            try (Raw one = new Raw(limitedPort); Raw two = new Raw(limitedPort)) {
                one.send("GET /limit-1 HTTP/1.1\r\nHost: x\r\n\r\n");
                assertEquals(200, one.response().status());
                two.send("GET /limit-2 HTTP/1.1\r\nHost: x\r\n\r\n");
                assertEquals(200, two.response().status());
                try (Raw three = new Raw(limitedPort)) {
                    assertTrue(three.closedByProxy(), "the third connection is closed at once");
                }
                one.send("GET /limit-1 HTTP/1.1\r\nHost: x\r\n\r\n");
                assertEquals(200, one.response().status(), "open connections are still served");
            }
            assertTrue(metric(limited, "dsha_proxy_client_errors_total", "reason=\"connection_limit\"") >= 1);
            assertEquals(2, metric(limited, "dsha_proxy_connections_limit"));
            assertTrue(limited.process().output().contains("connection limit (dsha.listener.max-connections=2)"));
            // Room again once they are closed.
            await().atMost(TIMEOUT).until(() -> RawHttp.exchange(limitedPort, "GET /limit-3 HTTP/1.1\r\nHost: x\r\nConnection: close", null,
                    TIMEOUT).status() == 200);
        }
    }

    // ---- helpers ----

    /** A raw HTTP/1.1 connection to the proxy. */
    private static final class Raw implements AutoCloseable {
        final Socket socket = new Socket();
        final OutputStream out;
        final InputStream in;

        Raw() throws IOException {
            this(port);
        }

        Raw(int to) throws IOException {
            socket.connect(new InetSocketAddress("127.0.0.1", to), 5000);
            socket.setSoTimeout((int) TIMEOUT.toMillis());
            out = socket.getOutputStream();
            in = socket.getInputStream();
        }

        void send(String s) throws IOException {
            out.write(s.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        }

        RawHttp.Response response() throws IOException {
            return RawHttp.read(in);
        }

        /** Whether the proxy closes the connection (end of stream or reset) before the test's timeout. */
        boolean closedByProxy() throws IOException {
            try {
                return in.read() < 0;
            } catch (SocketTimeoutException e) {
                return false;
            } catch (IOException e) {
                return true; // reset
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** HTTP/2 with prior knowledge over a raw socket; HPACK by Netty's own encoder and decoder. */
    private static final class H2 implements AutoCloseable {
        final Raw raw;
        final DataInputStream in;

        H2() throws IOException {
            raw = new Raw();
            in = new DataInputStream(raw.in);
            raw.out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            frame(0, 0x4, 0, new byte[0]); // SETTINGS
        }

        void frame(int stream, int type, int flags, byte[] payload) throws IOException {
            ByteArrayOutputStream f = new ByteArrayOutputStream();
            f.write(payload.length >>> 16);
            f.write(payload.length >>> 8);
            f.write(payload.length);
            f.write(type);
            f.write(flags);
            f.write(new byte[] {(byte) (stream >>> 24), (byte) (stream >>> 16), (byte) (stream >>> 8), (byte) stream});
            f.write(payload);
            raw.out.write(f.toByteArray());
            raw.out.flush();
        }

        void request(int stream, String path, String authority, String host) throws Exception {
            request(stream, "GET", path, authority, host, true);
        }

        void request(int stream, String method, String path, String authority, String host, boolean end) throws Exception {
            Http2Headers h = new DefaultHttp2Headers(false).method(method).scheme("http").path(path).authority(authority);
            if (host != null) {
                h.add("host", host);
            }
            ByteBuf block = Unpooled.buffer();
            new DefaultHttp2HeadersEncoder(DefaultHttp2HeadersEncoder.NEVER_SENSITIVE, false).encodeHeaders(stream, h, block);
            byte[] bytes = new byte[block.readableBytes()];
            block.readBytes(bytes);
            frame(stream, 0x1, end ? 0x4 | 0x1 : 0x4, bytes); // HEADERS, END_HEADERS (| END_STREAM)
        }

        private final DefaultHttp2HeadersDecoder decoder = new DefaultHttp2HeadersDecoder(false);

        /** The :status of the first HEADERS frame on {@code stream}. */
        String status(int stream) throws Exception {
            while (true) {
                int length = in.readUnsignedByte() << 16 | in.readUnsignedByte() << 8 | in.readUnsignedByte();
                int type = in.readUnsignedByte();
                in.readUnsignedByte();
                int id = in.readInt() & 0x7fffffff;
                byte[] payload = in.readNBytes(length);
                if (type == 0x1) {
                    Http2Headers h = decoder.decodeHeaders(id, Unpooled.wrappedBuffer(payload));
                    if (id == stream) {
                        return String.valueOf(h.status());
                    }
                } else if (type == 0x4 && id == 0 && length > 0) {
                    frame(0, 0x4, 0x1, new byte[0]); // SETTINGS ACK
                }
            }
        }

        /** The type of the next frame that is not SETTINGS (ACKing the server's). */
        int nextFrameTypeOtherThanSettings() throws IOException {
            return nextFrameTypeNotIn(java.util.Set.of(0x4, 0x8), new java.util.ArrayList<>());
        }

        /** The type of the next frame whose type is not in {@code skip}, adding every type read to {@code seen}. */
        int nextFrameTypeNotIn(java.util.Set<Integer> skip, java.util.List<Integer> seen) throws IOException {
            while (true) {
                int length = in.readUnsignedByte() << 16 | in.readUnsignedByte() << 8 | in.readUnsignedByte();
                int type = in.readUnsignedByte();
                int flags = in.readUnsignedByte();
                in.readInt();
                in.readNBytes(length);
                seen.add(type);
                if (!skip.contains(type)) {
                    return type;
                }
                if (type == 0x4 && (flags & 0x1) == 0) {
                    frame(0, 0x4, 0x1, new byte[0]);
                }
            }
        }

        @Override
        public void close() throws IOException {
            raw.close();
        }
    }
}
