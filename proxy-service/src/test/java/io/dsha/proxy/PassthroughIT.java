package io.dsha.proxy;

import static io.dsha.proxy.support.ProxyTestKit.awaitFollowing;
import static io.dsha.proxy.support.ProxyTestKit.awaitLoopLagProbed;
import static io.dsha.proxy.support.ProxyTestKit.metric;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dsha.proxy.support.ProxyProcess;
import io.dsha.proxy.support.Teardown;
import io.dsha.proxy.support.TestCa;
import io.dsha.proxy.support.TlsBackend;
import io.dsha.proxy.support.TlsClient;
import io.dsha.testkit.ControlPlaneProcess;
import io.dsha.testkit.ProcessOutputOnFailure;
import io.vertx.core.Vertx;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS passthrough end to end: a real control plane, a real proxy holding no certificate at all,
 * and two TLS backends each with its own certificate for the FQDN from a CA made here. The client
 * trusts only that CA and checks the name, so a successful handshake whose certificate serial is
 * the backend's proves the proxy relayed the bytes rather than terminating them.
 */
@ExtendWith(ProcessOutputOnFailure.class)
class PassthroughIT {

    static final String FQDN = "ds.example.test";

    @TempDir
    static Path dir;

    private static Vertx vertx;
    private static TestCa ca;
    private static TestCa.Issued certA;
    private static TestCa.Issued certB;
    private static TlsBackend seedA;
    private static TlsBackend seedB;
    private static ControlPlaneProcess cp;
    private static ProxyProcess proxy;
    private static int port;

    static String topology(String mode, TlsBackend a, TlsBackend b) {
        return """
                {"listener": {"host": "127.0.0.1", "port": 9}, "fqdn": "%s", "tlsMode": "PASSTHROUGH", "mode": "%s",
                 "failback": {"policy": "AUTO", "delayMs": 0},
                 "backends": [
                   {"id": "a", "host": "127.0.0.1", "port": %d, "priority": 0, "weight": 1},
                   {"id": "b", "host": "127.0.0.1", "port": %d, "priority": 1, "weight": 1}]}
                """.formatted(FQDN, mode, a.port(), b.port());
    }

    @BeforeAll
    static void startStack() {
        vertx = Vertx.vertx();
        ca = new TestCa();
        certA = ca.issue(FQDN);
        certB = ca.issue(FQDN);
        // The proxy needs a topology to become ready; each test puts its own, with fresh backends.
        seedA = new TlsBackend(vertx, "seed-a", certA, false);
        seedB = new TlsBackend(vertx, "seed-b", certB, false);
        cp = new ControlPlaneProcess(dir.resolve("cp"));
        cp.putTopology(topology("ACTIVE_PASSIVE", seedA, seedB));
        // No dsha.tls.* at all: a passthrough proxy holds no key. One event loop, so a stuck client would show.
        proxy = new ProxyProcess(cp, Map.of(
                "dsha.state-dir", dir.resolve("proxy").toString(),
                "dsha.event-loops", "1",
                "dsha.passthrough.hello-timeout", "1s"));
        port = proxy.awaitReady();
    }

    @AfterAll
    static void stopStack() {
        Teardown.close(proxy, cp, seedA, seedB, vertx);
    }

    private TlsBackend a;
    private TlsBackend b;

    /**
     * Fresh backends on new ports (new targets for the proxy, with no local ejection carried over from
     * another test), both up, ACTIVE_PASSIVE with a as primary, followed by the proxy.
     */
    @BeforeEach
    void reset() {
        a = new TlsBackend(vertx, "a", certA, false);
        b = new TlsBackend(vertx, "b", certB, false);
        cp.putTopology(topology("ACTIVE_PASSIVE", a, b));
        cp.settle("a", "UP");
        cp.settle("b", "UP");
        awaitFollowing(cp, proxy);
    }

    @AfterEach
    void closeBackends() {
        Teardown.close(a, b);
    }

    private static TlsClient client() throws IOException {
        return TlsClient.connect(ca, port, FQDN);
    }

    @Test
    void theClientSeesTheInstancesOwnCertificateThroughTheProxy() throws IOException {
        double before = metric(proxy, "dsha_proxy_tcp_connections_total", "backend=\"a\"");
        try (TlsClient c = client()) {
            assertEquals(a.serial(), c.serial(), "the handshake was made with backend a's own certificate");
            TlsClient.Response r = c.get("/whoami");
            assertEquals(200, r.status());
            assertTrue(r.text().startsWith("a "), r.text());
            assertTrue(c.get("/whoami").text().startsWith("a "), "keep-alive over the relayed connection");
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> metric(proxy, "dsha_proxy_tcp_connections_total", "backend=\"a\"") > before);
        assertTrue(metric(proxy, "dsha_proxy_tcp_bytes_total", "backend=\"a\"", "direction=\"upstream\"") > 0);
        assertTrue(metric(proxy, "dsha_proxy_tcp_bytes_total", "backend=\"a\"", "direction=\"downstream\"") > 0);
    }

    /** Before the control plane knows anything: the connect is refused, the next backend takes the connection. */
    @Test
    void aPrimaryWhoseListenerDiedIsSkippedInvisibly() throws IOException {
        a.kill();
        for (int i = 0; i < 3; i++) {
            try (TlsClient c = client()) {
                assertEquals(b.serial(), c.serial());
                assertTrue(c.get("/whoami").text().startsWith("b "));
            }
        }
        assertTrue(metric(proxy, "dsha_proxy_ejections_total", "backend=\"a\"") >= 1);
    }

    @Test
    void activeActiveSpreadsConnectionsByWeight() throws IOException {
        cp.putTopology(topology("ACTIVE_ACTIVE", a, b));
        awaitFollowing(cp, proxy);
        int onA = 0;
        int onB = 0;
        for (int i = 0; i < 20; i++) {
            try (TlsClient c = client()) {
                if (c.serial().equals(a.serial())) {
                    onA++;
                } else if (c.serial().equals(b.serial())) {
                    onB++;
                }
            }
        }
        assertEquals(10, onA, "round robin with equal weights alternates");
        assertEquals(10, onB);
    }

    /** The relay's event loop is probed for lag, as the HTTP listener's is (dsha_proxy_event_loop_lag_seconds). */
    @Test
    void theRelaysEventLoopIsProbedForLag() {
        awaitLoopLagProbed(proxy);
    }

    @Test
    void anUnknownServerNameGetsAnAlertAndIsCounted() {
        double before = metric(proxy, "dsha_proxy_tcp_rejects_total", "reason=\"unknown_sni\"");
        SSLException e = assertThrows(SSLException.class, () -> TlsClient.connect(ca, port, "other.example.test").close());
        assertTrue(e.getMessage().contains("unrecognized_name"), e.getMessage());
        assertEquals(before + 1, metric(proxy, "dsha_proxy_tcp_rejects_total", "reason=\"unknown_sni\""));
    }

    /** A client connecting by IP address sends no SNI; by default it is routed (the certificates name 127.0.0.1 too). */
    @Test
    void aClientHelloWithoutServerNameIsRoutedByDefault() throws IOException {
        try (TlsClient c = TlsClient.connect(ca, port, "127.0.0.1")) {
            assertEquals(a.serial(), c.serial());
        }
    }

    /** The socket under TLS writes at most 40 bytes per segment, with TCP_NODELAY: the ClientHello arrives in pieces. */
    @Test
    void aClientHelloSplitIntoManySegmentsIsReassembled() throws IOException {
        Socket chopping = new Socket() {
            @Override
            public OutputStream getOutputStream() throws IOException {
                return new FilterOutputStream(super.getOutputStream()) {
                    @Override
                    public void write(byte[] bytes, int off, int len) throws IOException {
                        for (int i = 0; i < len; i += 40) {
                            out.write(bytes, off + i, Math.min(40, len - i));
                            out.flush();
                        }
                    }
                };
            }
        };
        try (TlsClient c = TlsClient.connect(ca.clientContext(), chopping, port, FQDN)) {
            assertEquals(a.serial(), c.serial());
            assertTrue(c.get("/whoami").text().startsWith("a "));
        }
    }

    /**
     * A client that sends half a ClientHello and stops is cut after the hello timeout (1 s here);
     * meanwhile the proxy's only event loop keeps serving everyone else.
     */
    @Test
    void aClientThatNeverFinishesItsClientHelloIsCutWithoutBlockingOthers() throws Exception {
        double before = metric(proxy, "dsha_proxy_tcp_rejects_total", "reason=\"hello_timeout\"");
        try (Socket slow = new Socket()) {
            slow.connect(new InetSocketAddress("127.0.0.1", port));
            slow.setSoTimeout(20_000);
            slow.getOutputStream().write(new byte[] {22, 3, 1, 2, 0, 1, 0}); // a record header and the start of a ClientHello
            slow.getOutputStream().flush();
            try (TlsClient c = client()) {
                assertTrue(c.get("/whoami").text().startsWith("a "), "served while the slow client is pending");
            }
            assertEquals(-1, slow.getInputStream().read(), "the proxy closed the slow connection");
        }
        assertEquals(before + 1, metric(proxy, "dsha_proxy_tcp_rejects_total", "reason=\"hello_timeout\""));
    }

    @Test
    void largeBodiesCrossTheRelayIntactBothWays() throws Exception {
        long size = 48L * 1024 * 1024;
        byte[] chunk = new byte[256 * 1024];
        for (int i = 0; i < chunk.length; i++) {
            chunk[i] = TlsBackend.pattern(i);
        }
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        for (long sent = 0; sent < size; sent += chunk.length) {
            sha.update(chunk, 0, (int) Math.min(chunk.length, size - sent));
        }
        try (TlsClient c = client()) {
            assertEquals(size + " " + HexFormat.of().formatHex(sha.digest()), c.post("/sink", chunk, size).text());
            TlsClient.Response down = c.get("/bytes?n=" + size);
            assertEquals(size, down.body().length);
            for (int i = 0; i < down.body().length; i += 4093) {
                assertEquals(TlsBackend.pattern(i), down.body()[i], "byte " + i);
            }
        }
    }

    /**
     * A client that stops reading holds the backend back (it cannot write more than the kernel's
     * and the relay's bounded buffers take) instead of filling the proxy's memory; when it reads
     * again, the stream continues intact.
     */
    @Test
    void aClientThatStopsReadingHoldsTheBackendBackInsteadOfFillingTheProxy() throws Exception {
        long size = 1024L * 1024 * 1024;
        try (TlsClient c = client()) {
            TlsBackend source = a;
            assertEquals(a.serial(), c.serial());
            assertEquals(size, c.requestHead("/bytes?n=" + size));
            InputStream in = c.input();
            byte[] buf = new byte[64 * 1024];
            long read = readExactly(in, buf, 1024 * 1024, 0);
            // Stop reading: the backend's writes must stall.
            long[] last = {-1};
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(300)).until(() -> {
                long now = source.sent();
                boolean still = now == last[0];
                last[0] = now;
                return still;
            });
            long stalledAt = source.sent();
            assertTrue(stalledAt < 64L * 1024 * 1024, "the backend wrote " + stalledAt + " bytes to a client that read 1 MiB");
            // Reading again resumes the stream where it stopped.
            read = readExactly(in, buf, 2 * stalledAt, read);
            assertTrue(source.sent() > stalledAt, "read " + read + ", sent " + source.sent() + ", stalled at " + stalledAt);
        }
    }

    /** Reads {@code n} bytes, checking each against the stream's pattern from offset {@code from}; returns the new offset. */
    private static long readExactly(InputStream in, byte[] buf, long n, long from) throws IOException {
        long at = from;
        while (at < from + n) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, from + n - at));
            assertTrue(r > 0, "stream ended at " + at);
            for (int i = 0; i < r; i++) {
                if (buf[i] != TlsBackend.pattern(at + i)) {
                    throw new AssertionError("byte " + (at + i) + " differs");
                }
            }
            at += r;
        }
        return at;
    }

    /** An established connection whose backend dies is closed, not replayed anywhere else. */
    @Test
    void anEstablishedConnectionThatBreaksIsClosedNotReplayed() throws IOException {
        try (TlsClient c = client()) {
            assertTrue(c.get("/whoami").text().startsWith("a "));
            int bBefore = b.requests();
            a.kill();
            assertTrue(c.closedByPeer(), "the client's connection ends with its backend");
            assertEquals(bBefore, b.requests(), "nothing was replayed on b");
        }
    }

    /** DRAIN: new connections go elsewhere, open ones keep working. */
    @Test
    void drainKeepsOpenConnectionsAndSendsNewOnesElsewhere() throws IOException {
        try (TlsClient open = client()) {
            assertEquals(a.serial(), open.serial());
            cp.setAdminState("a", "DRAIN");
            awaitFollowing(cp, proxy);
            try (TlsClient fresh = client()) {
                assertEquals(b.serial(), fresh.serial());
            }
            assertTrue(open.get("/whoami").text().startsWith("a "), "the drained backend's open connection still works");
        }
    }

    /** A backend declared DOWN loses its open connections, so clients reconnect to a live one (haproxy's shutdown-sessions). */
    @Test
    void aBackendDeclaredDownLosesItsOpenConnections() throws IOException {
        try (TlsClient open = client()) {
            assertEquals(a.serial(), open.serial());
            cp.settle("a", "DOWN");
            awaitFollowing(cp, proxy);
            assertTrue(open.closedByPeer(), "the connection to the backend declared down was closed");
            try (TlsClient fresh = client()) {
                assertEquals(b.serial(), fresh.serial());
            }
        }
    }

    @Test
    void readinessSaysWhereAndHow() throws Exception {
        String body = proxy.readiness().body();
        assertTrue(body.contains("\"tlsMode\": \"PASSTHROUGH\"") || body.contains("\"tlsMode\":\"PASSTHROUGH\""), body);
        assertTrue(body.contains("https://127.0.0.1:" + port), body);
    }
}
