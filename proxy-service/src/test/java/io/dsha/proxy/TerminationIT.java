package io.dsha.proxy;

import static org.awaitility.Awaitility.await;
import static io.dsha.proxy.support.ProxyTestKit.awaitLoopLagProbed;
import static io.dsha.proxy.support.ProxyTestKit.metric;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dsha.proxy.support.ProxyProcess;
import io.dsha.proxy.support.TestBackend;
import io.dsha.proxy.support.TestCa;
import io.dsha.proxy.support.Topologies;
import io.dsha.testkit.ControlPlaneProcess;
import io.dsha.testkit.ProcessOutputOnFailure;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** HTTPS terminated at the proxy, end to end, and active/passive failover under load. */
@ExtendWith(ProcessOutputOnFailure.class)
class TerminationIT {

    @TempDir
    Path dir;

    private Vertx vertx;
    private TestBackend a;
    private TestBackend b;
    private ControlPlaneProcess cp;
    private ProxyProcess proxy;
    private TestCa ca;
    private TestCa.Issued cert;
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
        cert = ca.issue("localhost");
        cert.writePem(dir, "lb");
        proxy = new ProxyProcess(cp, Map.of(
                "dsha.state-dir", dir.resolve("proxy").toString(),
                "dsha.tls.cert-file", dir.resolve("lb.crt").toString(),
                "dsha.tls.key-file", dir.resolve("lb.key").toString()));
        port = proxy.awaitReady();
        client = HttpClient.newBuilder().sslContext(ca.clientContext()).connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterEach
    void stop() {
        proxy.close();
        cp.close();
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    private HttpResponse<String> get(String path, HttpClient.Version version) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("https://localhost:" + port + path)).version(version)
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void httpsIsTerminatedAtTheProxyWithHttp2AndHttp11() throws Exception {
        assertTerminates();
        // AUTO: BoringSSL (netty-tcnative) where it loads, as it does on linux-x86_64 and aarch64.
        assertTrue(proxy.process().output().contains("(netty-tcnative)"), proxy.process().output());
        assertOnlyForwardSecretAeadSuites();
    }

    /** Mozilla's "intermediate" set by default: static RSA and CBC suites are refused, ECDHE with AEAD and TLS 1.3 accepted. */
    private void assertOnlyForwardSecretAeadSuites() {
        for (String refused : List.of("TLS_RSA_WITH_AES_128_CBC_SHA", "TLS_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
                "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384")) {
            assertEquals("refused", negotiate("TLSv1.2", refused), refused);
        }
        for (String offered : List.of("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
                "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256")) {
            assertEquals(offered, negotiate("TLSv1.2", offered), offered);
        }
        assertEquals("TLS_AES_128_GCM_SHA256", negotiate("TLSv1.3", "TLS_AES_128_GCM_SHA256"));
    }

    /** The suite a handshake offering only {@code suite} over {@code protocol} agrees on, or "refused". */
    private String negotiate(String protocol, String suite) {
        try (javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) ca.clientContext().getSocketFactory().createSocket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            s.setEnabledProtocols(new String[] {protocol});
            s.setEnabledCipherSuites(new String[] {suite});
            s.startHandshake();
            return s.getSession().getCipherSuite();
        } catch (IOException e) {
            return "refused";
        }
    }

    @Test
    void theCipherSuitesAndProtocolsCanBeNarrowedAndAnUnknownNameKeepsTheListenerUnbound() throws Exception {
        proxy.close();
        proxy = new ProxyProcess(cp, Map.of(
                "dsha.state-dir", dir.resolve("proxy").toString(),
                "dsha.tls.cert-file", dir.resolve("lb.crt").toString(),
                "dsha.tls.key-file", dir.resolve("lb.key").toString(),
                "dsha.tls.protocols", "TLSv1.3"));
        port = proxy.awaitReady();
        assertEquals("refused", negotiate("TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"));
        assertEquals("TLS_AES_256_GCM_SHA384", negotiate("TLSv1.3", "TLS_AES_256_GCM_SHA384"));
        proxy.close();

        proxy = new ProxyProcess(cp, Map.of(
                "dsha.state-dir", dir.resolve("proxy").toString(),
                "dsha.tls.cert-file", dir.resolve("lb.crt").toString(),
                "dsha.tls.key-file", dir.resolve("lb.key").toString(),
                "dsha.tls.ciphers", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_NO_SUCH_SUITE"));
        ProxyProcess unbound = proxy;
        await().atMost(Duration.ofSeconds(30)).until(() -> unbound.process().output().contains("TLS_NO_SUCH_SUITE"));
        assertTrue(proxy.process().output().contains("dsha.tls.ciphers: not available"), proxy.process().output());
        assertEquals(503, proxy.readiness().statusCode(), "not ready without its listener");
    }

    @Test
    void theJdkTlsEngineTerminatesTheSameWay() throws Exception {
        proxy.close();
        proxy = new ProxyProcess(cp, Map.of(
                "dsha.state-dir", dir.resolve("proxy").toString(),
                "dsha.tls.cert-file", dir.resolve("lb.crt").toString(),
                "dsha.tls.key-file", dir.resolve("lb.key").toString(),
                "dsha.tls.engine", "JDK"));
        port = proxy.awaitReady();
        assertTerminates();
        assertTrue(proxy.process().output().contains("JDK SSLEngine"), proxy.process().output());
        assertOnlyForwardSecretAeadSuites();
    }

    /** The listener's event loop is probed for lag: how long a request's next step waits for its loop. */
    @Test
    void theListenersEventLoopIsProbedForLag() {
        awaitLoopLagProbed(proxy);
    }

    /**
     * A client that speaks plain HTTP to the TLS port, or resets its connection in the middle of the
     * handshake (a scanner, a client giving up, a load generator stopping): counted by reason, no WARN
     * with a stack trace in the log, and the listener goes on serving.
     */
    @Test
    void failedHandshakesAreCountedByReasonAndNotLoggedAsWarnings() throws Exception {
        try (Socket plain = new Socket("127.0.0.1", port)) {
            plain.setSoTimeout(10_000);
            plain.getOutputStream().write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertClosedByTheProxy(plain.getInputStream());
        }
        try (Socket leaving = new Socket("127.0.0.1", port)) {
            // The start of a handshake record (a ClientHello's header and a few of its bytes), then a reset.
            leaving.getOutputStream().write(new byte[] {0x16, 0x03, 0x01, 0x00, (byte) 0xc8, 0x01, 0x00, 0x00, (byte) 0xc4, 0x03, 0x03});
            leaving.getOutputStream().flush();
            leaving.setSoLinger(true, 0);
        }
        await("both failures counted").atMost(Duration.ofSeconds(10)).until(() ->
                metric(proxy, "dsha_proxy_tls_handshake_failures_total", "reason=\"tls_error\"") == 1
                        && metric(proxy, "dsha_proxy_tls_handshake_failures_total", "reason=\"client_closed\"") == 1);
        assertTerminates();
        String log = proxy.process().output();
        assertFalse(log.contains("reached at the tail of the pipeline"), log);
        assertFalse(log.contains("Failed to select the application-level protocol"), log);
        assertFalse(log.contains("TLS handshake failed"), log);
    }

    private static void assertClosedByTheProxy(InputStream in) {
        try {
            while (in.read() >= 0) {
                // an alert at most, then the end of the stream
            }
        } catch (IOException reset) {
            // closed with our request unread on its side: a reset is a close too
        }
    }

    private void assertTerminates() throws Exception {
        HttpResponse<String> h2 = get("/", HttpClient.Version.HTTP_2);
        assertEquals(200, h2.statusCode());
        assertEquals("alpha\n", h2.body());
        assertEquals(HttpClient.Version.HTTP_2, h2.version());
        X509Certificate served = (X509Certificate) h2.sslSession().orElseThrow().getPeerCertificates()[0];
        assertEquals(cert.serial(), served.getSerialNumber());
        assertTrue(List.of("TLSv1.2", "TLSv1.3").contains(h2.sslSession().orElseThrow().getProtocol()));

        HttpResponse<String> h1 = get("/headers", HttpClient.Version.HTTP_1_1);
        assertEquals(HttpClient.Version.HTTP_1_1, h1.version());
        assertTrue(h1.body().contains("x-forwarded-proto: https"), h1.body());
        assertTrue(h1.body().contains("x-forwarded-for: 127.0.0.1"), h1.body());
        assertTrue(h1.body().contains("x-forwarded-host: localhost:" + port), h1.body());
        assertTrue(h1.body().contains("forwarded: for=127.0.0.1;proto=https"), h1.body());
    }

    @Test
    void killingThePrimaryUnderLoadLosesNoRequest() throws Exception {
        assertEquals("alpha\n", get("/", HttpClient.Version.HTTP_1_1).body());
        AtomicBoolean running = new AtomicBoolean(true);
        Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
        Map<String, AtomicInteger> bodies = new ConcurrentHashMap<>();
        List<String> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicInteger sent = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<?>> workers = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            workers.add(pool.submit(() -> {
                while (running.get() && sent.incrementAndGet() <= 20_000) {
                    try {
                        HttpResponse<String> r = get("/", HttpClient.Version.HTTP_1_1);
                        statuses.computeIfAbsent(r.statusCode(), k -> new AtomicInteger()).incrementAndGet();
                        bodies.computeIfAbsent(r.body(), k -> new AtomicInteger()).incrementAndGet();
                    } catch (Exception e) {
                        errors.add(e.toString());
                    }
                }
            }));
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> a.total() > 200);
        a.kill();
        int servedByBetaAtKill = b.total();
        await().atMost(Duration.ofSeconds(20)).until(() -> b.total() > servedByBetaAtKill + 500);
        running.set(false);
        for (Future<?> w : workers) {
            w.get(30, TimeUnit.SECONDS);
        }
        pool.shutdownNow();

        assertEquals(List.of(), errors);
        assertEquals(java.util.Set.of(200), java.util.Set.copyOf(statuses.keySet()), "every request answered 200: " + statuses);
        assertTrue(bodies.keySet().containsAll(List.of("alpha\n", "beta\n")), bodies.toString());
    }
}
