package io.dsha.proxy;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dsha.proxy.support.KeepAliveLoad;
import io.dsha.proxy.support.ProxyProcess;
import io.dsha.proxy.support.TestBackend;
import io.dsha.proxy.support.TestCa;
import io.dsha.proxy.support.TlsBackend;
import io.dsha.proxy.support.TlsClient;
import io.dsha.proxy.support.Topologies;
import io.dsha.testkit.ControlPlaneProcess;
import io.dsha.testkit.ProcessOutputOnFailure;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM and the restart beside a running proxy, with real processes: the slow request in flight is answered
 * (saying {@code Connection: close}), an idle keep-alive connection is closed with a FIN (not reset), the port stops
 * accepting; a second proxy bound on the same address (SO_REUSEPORT) takes over under steady keep-alive HTTPS load
 * while the first one leaves, and no client sees a failed request, for TLS termination and for passthrough.
 *
 * <p>The restarts run with {@code net.ipv4.tcp_migrate_req=1} (Linux 5.14 and later), as the README asks of an
 * operator who restarts this way: the kernel then hands the connections waiting in the old socket's accept queue to
 * the new socket instead of resetting them. The test sets it for its run and puts the old value back.
 */
@ExtendWith(ProcessOutputOnFailure.class)
class GracefulShutdownIT {

    private static final Path MIGRATE_REQ = Path.of("/proc/sys/net/ipv4/tcp_migrate_req");
    private static final String FQDN = "ds.example.test";

    @TempDir
    Path dir;

    private Vertx vertx;
    private TestCa ca;
    private ControlPlaneProcess cp;
    private final List<AutoCloseable> open = new java.util.ArrayList<>();
    private String migrateReqBefore;

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
        ca = new TestCa();
        ca.issue("localhost").writePem(dir, "lb");
        cp = new ControlPlaneProcess(dir.resolve("cp"));
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        cp.close();
        vertx.close().toCompletionStage().toCompletableFuture().join();
        if (migrateReqBefore != null) {
            Files.writeString(MIGRATE_REQ, migrateReqBefore);
        }
    }

    private <T extends AutoCloseable> T closing(T c) {
        open.add(c);
        return c;
    }

    private Map<String, String> terminating(String stateDir, int port) {
        Map<String, String> s = new HashMap<>();
        s.put("dsha.state-dir", dir.resolve(stateDir).toString());
        s.put("dsha.tls.cert-file", dir.resolve("lb.crt").toString());
        s.put("dsha.tls.key-file", dir.resolve("lb.key").toString());
        s.put("dsha.shutdown.grace", "30s");
        s.put("dsha.listener.port", String.valueOf(port));
        return s;
    }

    private void topology(TestBackend a, TestBackend b) {
        cp.putTopology(Topologies.twoBackends("ACTIVE_PASSIVE", "MANUAL", a, b));
        cp.settle("a", "UP");
        cp.settle("b", "UP");
    }

    @Test
    void sigtermAnswersTheSlowRequestClosesIdleConnectionsWithAFinAndStopsAccepting() throws Exception {
        TestBackend a = closing(new TestBackend(vertx, "alpha"));
        TestBackend b = closing(new TestBackend(vertx, "beta"));
        topology(a, b);
        ProxyProcess proxy = closing(new ProxyProcess(cp, terminating("proxy", 0)));
        int port = proxy.awaitReady();

        TlsClient idle = closing(TlsClient.connect(ca, port, "localhost"));
        assertEquals("alpha\n", idle.get("/").text());
        TlsClient slow = closing(TlsClient.connect(ca, port, "localhost"));
        slow.output().write("GET /slow?ms=3000 HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        slow.output().flush();
        await("the slow request reaches a").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .until(() -> a.received("GET /slow") == 1);

        proxy.process().process().toHandle().destroy(); // SIGTERM, without waiting
        await("readiness goes down").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> {
            try {
                return proxy.readiness().statusCode() != 200;
            } catch (IOException e) {
                return true;
            }
        });
        idle.socket().setSoTimeout(10_000);
        assertEquals("FIN", idle.ending(), "the idle keep-alive connection is closed in order, not reset");
        await("the port stops accepting").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .until(() -> refused(port));

        TlsClient.Response answer = slow.response();
        assertEquals(200, answer.status());
        assertTrue(answer.text().startsWith("alpha"), answer.text());
        assertTrue(answer.closing(), "the answer given during the shutdown says Connection: close");
        assertEquals("FIN", slow.ending());

        await("the proxy exits").atMost(Duration.ofSeconds(20)).until(() -> !proxy.process().alive());
        Process p = proxy.process().process();
        assertTrue(Set.of(0, 143).contains(p.exitValue()), "exit status " + p.exitValue());
        assertFalse(proxy.process().output().contains("still in flight"), proxy.process().output());
    }

    private static boolean refused(int port) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    @Test
    void aProxyStartedBesideTheRunningOneTakesOverWithoutAFailedRequestWhenTerminating() throws Exception {
        TestBackend a = closing(new TestBackend(vertx, "alpha"));
        TestBackend b = closing(new TestBackend(vertx, "beta"));
        topology(a, b);
        restartUnderLoad(this::terminating, "localhost", Integer.MAX_VALUE);
    }

    /**
     * Passthrough: the old proxy cannot ask for {@code Connection: close} inside TLS it does not decrypt, so its
     * sessions run on until their clients close them (here after 20 requests, as a client with a per-connection
     * request limit does), within {@code dsha.shutdown.grace}.
     */
    @Test
    void aProxyStartedBesideTheRunningOneTakesOverWithoutAFailedRequestInPassthrough() throws Exception {
        TestCa.Issued cert = ca.issue(FQDN);
        TlsBackend a = closing(new TlsBackend(vertx, "a", cert, false));
        TlsBackend b = closing(new TlsBackend(vertx, "b", cert, false));
        cp.putTopology(PassthroughIT.topology("ACTIVE_PASSIVE", a, b));
        cp.settle("a", "UP");
        cp.settle("b", "UP");
        restartUnderLoad((stateDir, port) -> {
            Map<String, String> s = new HashMap<>();
            s.put("dsha.state-dir", dir.resolve(stateDir).toString());
            s.put("dsha.shutdown.grace", "30s");
            s.put("dsha.listener.port", String.valueOf(port));
            return s;
        }, FQDN, 20);
    }

    private interface Settings {
        Map<String, String> of(String stateDir, int port);
    }

    private void restartUnderLoad(Settings settings, String serverName, int requestsPerConnection) throws Exception {
        migrateQueuedConnections();
        int port = freePort();
        ProxyProcess old = closing(new ProxyProcess(cp, settings.of("old", port)));
        assertEquals(port, old.awaitReady());
        KeepAliveLoad load = new KeepAliveLoad(ca, port, serverName, 8, requestsPerConnection);
        try {
            await("load through the old proxy").atMost(Duration.ofSeconds(30)).until(() -> load.answered() >= 500);

            ProxyProcess fresh = closing(new ProxyProcess(cp, settings.of("new", port)));
            assertEquals(port, fresh.awaitReady(), "the new proxy binds the same address beside the old one");
            long before = load.answered();
            await("both serve").atMost(Duration.ofSeconds(30)).until(() -> load.answered() >= before + 500);

            old.process().process().toHandle().destroy(); // SIGTERM
            await("the old proxy leaves").atMost(Duration.ofSeconds(40)).until(() -> !old.process().alive());
            long after = load.answered();
            await("the new proxy serves alone").atMost(Duration.ofSeconds(30)).until(() -> load.answered() >= after + 500);
            assertTrue(Set.of(0, 143).contains(old.process().process().exitValue()));
            assertFalse(old.process().output().contains("still in flight"), old.process().output());
        } finally {
            load.close();
        }
        assertEquals(List.of(), load.failures(), "no request failed during the restart");
    }

    /** net.ipv4.tcp_migrate_req=1 for this test (put back afterwards); a kernel without it fails the test, saying so. */
    private void migrateQueuedConnections() throws IOException {
        assertTrue(Files.isWritable(MIGRATE_REQ), MIGRATE_REQ + " is missing or not writable: the restart test needs Linux 5.14 or"
                + " later and root, to hand queued connections from the old listener to the new one");
        migrateReqBefore = Files.readString(MIGRATE_REQ).trim();
        Files.writeString(MIGRATE_REQ, "1");
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
