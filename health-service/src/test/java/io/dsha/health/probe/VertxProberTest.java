package io.dsha.health.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dsha.api.topology.HealthCheck;
import io.dsha.api.topology.HealthCheckType;
import io.dsha.health.cert.CertificateCheck;
import io.dsha.health.support.SimulatedDataStack;
import io.dsha.health.support.TestCa;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import java.net.ServerSocket;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Real probes against real servers on free ports: HTTP flipped by the test, TCP, TLS with generated certificates. */
class VertxProberTest {

    private static final String FQDN = "datastack.example.com";
    // Timeouts far above what a probe takes: the first TLS handshake of a cold JVM on a busy 2-core
    // machine took over 2 s (the probe() wait is 10 s), and these tests are about the answers, not the timeout (which has its own).
    private static final HealthCheck HTTP = new HealthCheck(HealthCheckType.HTTP, "/health", 200, 1000, 5_000, 2, 2);
    private static final HealthCheck TCP = new HealthCheck(HealthCheckType.TCP, null, null, 1000, 5_000, 2, 2);
    private static final HealthCheck TLS = new HealthCheck(HealthCheckType.TLS, null, null, 1000, 5_000, 2, 2);
    private static final HealthCheck HTTP_SHORT = new HealthCheck(HealthCheckType.HTTP, "/health", 200, 1000, 300, 2, 2);

    private static Vertx vertx;
    private static TestCa ca;
    private static VertxProber prober;

    @BeforeAll
    static void start() {
        vertx = Vertx.vertx();
        ca = new TestCa();
        prober = new VertxProber(vertx, new CertificateCheck(List.of(ca.certificate()), 30, Clock.systemUTC()));
    }

    @AfterAll
    static void stop() {
        prober.close().toCompletionStage().toCompletableFuture().join();
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    private static ProbeResult probe(ProbeTarget t) throws Exception {
        return prober.probe(t).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static ProbeTarget target(int port, HealthCheck check, boolean tls) {
        return new ProbeTarget("a", "127.0.0.1", port, check, tls, FQDN);
    }

    private static int closedPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void httpFollowsTheStatusTheBackendAnswers() throws Exception {
        try (SimulatedDataStack ds = new SimulatedDataStack(vertx)) {
            ProbeTarget t = target(ds.port(), HTTP, false);
            ProbeResult up = probe(t);
            assertTrue(up.ok(), String.valueOf(up.reason()));
            assertNull(up.certificate());

            ds.status(500);
            ProbeResult down = probe(t);
            assertFalse(down.ok());
            assertEquals("HTTP 500 from /health (expected 200)", down.reason());

            ds.status(200);
            ProbeResult again = probe(t);
            assertTrue(again.ok(), again.reason());
        }
    }

    @Test
    void httpChecksTheBodyWhenAsked() throws Exception {
        try (SimulatedDataStack ds = new SimulatedDataStack(vertx)) {
            HealthCheck withBody = new HealthCheck(HealthCheckType.HTTP, "/health", 200, 1000, 5_000, 2, 2, "\"status\":\"ok\"", null, null, null, null);
            ProbeResult first = probe(target(ds.port(), withBody, false));
            assertTrue(first.ok(), first.reason());
            ds.body("{\"status\":\"starting\"}");
            assertEquals("the answer from /health does not contain \"\"status\":\"ok\"\"", probe(target(ds.port(), withBody, false)).reason());
        }
    }

    @Test
    void httpChecksAJsonFieldWhenAsked() throws Exception {
        try (SimulatedDataStack ds = new SimulatedDataStack(vertx)) {
            HealthCheck withField = new HealthCheck(HealthCheckType.HTTP, "/health", 200, 1000, 5_000, 2, 2, null, null, null, null,
                    new io.dsha.api.topology.JsonExpectation("/status", "ok"));
            ProbeResult first = probe(target(ds.port(), withField, false));
            assertTrue(first.ok(), first.reason());
            ds.body("{\"status\":\"starting\"}");
            assertEquals("the answer from /health has \"starting\" at /status (expected \"ok\")", probe(target(ds.port(), withField, false)).reason());
            ds.body("not json");
            assertEquals("the answer from /health has nothing at /status (expected \"ok\")", probe(target(ds.port(), withField, false)).reason());
        }
    }

    @Test
    void aFrozenBackendTimesOutAndAStoppedOneRefuses() throws Exception {
        try (SimulatedDataStack ds = new SimulatedDataStack(vertx)) {
            ds.freeze(true);
            ProbeResult hung = probe(target(ds.port(), HTTP_SHORT, false));
            assertEquals("timed out after 300 ms", hung.reason());
            assertTrue(hung.latencyMs() >= 300, "latency " + hung.latencyMs());

            ds.stop();
            assertEquals("connection refused", probe(target(ds.port(), HTTP, false)).reason());
            assertEquals("connection refused", probe(target(ds.port(), TCP, false)).reason());
        }
    }

    @Test
    void tcpConnects() throws Exception {
        try (SimulatedDataStack ds = new SimulatedDataStack(vertx)) {
            ProbeResult tcp = probe(target(ds.port(), TCP, false));
            assertTrue(tcp.ok(), tcp.reason());
        }
        assertFalse(probe(target(closedPort(), TCP, false)).ok());
    }

    private static ProbeResult tlsProbe(TestCa.Issued cert) throws Exception {
        try (SimulatedDataStack ds = new SimulatedDataStack(vertx, cert.keyCert())) {
            return probe(target(ds.port(), TLS, true));
        }
    }

    @Test
    void aTlsHandshakeWithAGoodCertificateHasNoProblem() throws Exception {
        ProbeResult r = tlsProbe(ca.issue(200, FQDN));
        assertTrue(r.ok(), r.reason());
        assertEquals(List.of(), r.certificate().problems());
        assertEquals(199, r.certificate().daysToExpiry());
    }

    @Test
    void selfSignedExpiredAndWrongHostnameAreEachReportedWithTheirReasonWithoutFailingTheProbe() throws Exception {
        ProbeResult selfSigned = tlsProbe(TestCa.selfSigned(FQDN));
        assertTrue(selfSigned.ok(), "a certificate problem does not take the backend out: " + selfSigned.reason());
        assertTrue(selfSigned.certificate().problems().get(0).startsWith("certificate is self-signed"), selfSigned.certificate().problems().toString());

        ProbeResult expired = tlsProbe(ca.issue(-1, FQDN));
        assertTrue(expired.ok());
        assertTrue(expired.certificate().problems().get(0).startsWith("certificate expired on"), expired.certificate().problems().toString());

        ProbeResult wrongName = tlsProbe(ca.issue(200, "other.example.com"));
        assertTrue(wrongName.ok());
        assertEquals(List.of("certificate does not name " + FQDN + " (it names: other.example.com)"), wrongName.certificate().problems());

        ProbeResult expiring = tlsProbe(ca.issue(3, FQDN));
        assertTrue(expiring.certificate().problems().get(0).startsWith("certificate expires in 2 days"), expiring.certificate().problems().toString());
    }

    @Test
    void httpsProbesCheckTheCertificateToo() throws Exception {
        try (SimulatedDataStack ds = new SimulatedDataStack(vertx, TestCa.selfSigned(FQDN).keyCert())) {
            ProbeResult r = probe(target(ds.port(), HTTP, true));
            assertTrue(r.ok(), r.reason());
            assertTrue(r.certificate().problems().get(0).startsWith("certificate is self-signed"));
        }
    }

    @Test
    void aTlsCheckAgainstAPlainListenerFails() throws Exception {
        NetServer plain = vertx.createNetServer(new NetServerOptions().setHost("127.0.0.1"))
                .connectHandler(s -> s.write("SSH-2.0-not-tls\r\n"))
                .listen(0).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        try {
            ProbeResult r = probe(target(plain.actualPort(), TLS, true));
            assertFalse(r.ok());
            assertTrue(r.reason().startsWith("TLS handshake failed") || r.reason().contains("SSL") || r.reason().contains("timed out"), r.reason());
        } finally {
            plain.close();
        }
    }

    @Test
    void freshnessIsReadOverHttp() throws Exception {
        try (SimulatedDataStack ds = new SimulatedDataStack(vertx)) {
            ds.records(42);
            String body = prober.get(target(ds.port(), HTTP, false), "/status", 1000).toCompletionStage().toCompletableFuture()
                    .get(10, TimeUnit.SECONDS).toString();
            assertTrue(body.contains("\"records\":42"), body);
        }
    }
}
