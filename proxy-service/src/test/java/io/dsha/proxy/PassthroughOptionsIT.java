package io.dsha.proxy;

import static io.dsha.proxy.support.ProxyTestKit.awaitFollowing;
import static io.dsha.proxy.support.ProxyTestKit.metric;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dsha.proxy.support.ClientHellos;
import io.dsha.proxy.support.ProxyProcess;
import io.dsha.proxy.support.Teardown;
import io.dsha.proxy.support.TestCa;
import io.dsha.proxy.support.TlsBackend;
import io.dsha.proxy.support.TlsClient;
import io.dsha.testkit.ControlPlaneProcess;
import io.dsha.testkit.ProcessOutputOnFailure;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The passthrough settings an operator turns on: more server names, no-SNI clients refused, the
 * PROXY protocol towards backends that expect it; and the relay's edges: half-close, a TERMINATE
 * topology given to a proxy without a key, graceful shutdown with connections open.
 */
@ExtendWith(ProcessOutputOnFailure.class)
class PassthroughOptionsIT {

    private static final String FQDN = PassthroughIT.FQDN;
    private static final String ALT = "alt.example.test";
    private static final Duration IDLE = Duration.ofSeconds(2);

    @TempDir
    static Path dir;

    private static Vertx vertx;
    private static TestCa ca;
    private static TlsBackend a;
    private static TlsBackend b;
    private static ControlPlaneProcess cp;
    private static ProxyProcess proxy;
    private static int port;

    private static Map<String, String> settings(String stateDir) {
        return Map.of(
                "dsha.state-dir", dir.resolve(stateDir).toString(),
                "dsha.passthrough.missing-sni", "REJECT",
                "dsha.passthrough.server-names", ALT,
                "dsha.passthrough.proxy-protocol", "true");
    }

    @BeforeAll
    static void startStack() {
        vertx = Vertx.vertx();
        ca = new TestCa();
        a = new TlsBackend(vertx, "a", ca.issue(FQDN, ALT), true);
        b = new TlsBackend(vertx, "b", ca.issue(FQDN, ALT), true);
        cp = new ControlPlaneProcess(dir.resolve("cp"));
        cp.putTopology(PassthroughIT.topology("ACTIVE_PASSIVE", a, b));
        cp.settle("a", "UP");
        cp.settle("b", "UP");
        Map<String, String> settings = new HashMap<>(settings("proxy"));
        settings.put("dsha.passthrough.idle-timeout", IDLE.toMillis() + "ms");
        proxy = new ProxyProcess(cp, settings);
        port = proxy.awaitReady();
    }

    @AfterAll
    static void stopStack() {
        Teardown.close(proxy, cp, a, b, vertx);
    }

    @BeforeEach
    void passthrough() {
        cp.putTopology(PassthroughIT.topology("ACTIVE_PASSIVE", a, b));
        awaitFollowing(cp, proxy);
        proxy.awaitReady();
    }

    @Test
    void aListedServerNameIsRoutedLikeTheFqdn() throws IOException {
        try (TlsClient c = TlsClient.connect(ca, port, ALT)) {
            assertEquals(a.serial(), c.serial());
        }
    }

    @Test
    void aClientHelloWithoutServerNameIsRefusedWhenConfigured() {
        double before = metric(proxy, "dsha_proxy_tcp_rejects_total", "reason=\"missing_sni\"");
        SSLException e = assertThrows(SSLException.class, () -> TlsClient.connect(ca, port, "127.0.0.1").close());
        assertTrue(e.getMessage().contains("unrecognized_name"), e.getMessage());
        assertEquals(before + 1, metric(proxy, "dsha_proxy_tcp_rejects_total", "reason=\"missing_sni\""));
    }

    /** The backend decodes the PROXY v2 header and sees the client's own address and port, not the proxy's. */
    @Test
    void theBackendSeesTheClientAddressThroughTheProxyProtocol() throws IOException {
        try (TlsClient c = TlsClient.connect(ca, port, FQDN)) {
            int clientPort = c.socket().getLocalPort();
            assertEquals("a 127.0.0.1:" + clientPort, c.get("/whoami").text());
        }
    }

    /**
     * The client sends its bytes and then a FIN; a backend that answers only after end of input
     * gets that FIN (after every byte) and its answer still reaches the client, which can no longer
     * write but can read.
     */
    @Test
    void aHalfCloseIsPassedOnAndTheAnswerStillComesBack() throws Exception {
        // A plain socket server: Vert.x's NetSocket cannot half-close (end of input closes the connection).
        try (ServerSocket counting = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Void> served = CompletableFuture.runAsync(() -> {
                try (Socket s = counting.accept()) {
                    long n = s.getInputStream().readAllBytes().length;
                    s.getOutputStream().write(("got " + n + " bytes").getBytes(StandardCharsets.US_ASCII));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            cp.putTopology("""
                    {"listener": {"host": "127.0.0.1", "port": 9}, "fqdn": "%s", "tlsMode": "PASSTHROUGH",
                     "backends": [{"id": "counting", "host": "127.0.0.1", "port": %d}]}
                    """.formatted(FQDN, counting.getLocalPort()));
            cp.settle("counting", "UP");
            awaitFollowing(cp, proxy);
            byte[] hello = ClientHellos.clientHello(FQDN);
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
                s.setSoTimeout(20_000);
                s.getOutputStream().write(hello);
                s.getOutputStream().write("and some more".getBytes(StandardCharsets.US_ASCII));
                s.shutdownOutput();
                String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                int header = 16 + 12 + 3 + FQDN.length(); // PROXY v2, IPv4, authority TLV
                assertEquals("got " + (header + hello.length + 13) + " bytes", answer);
            }
            served.get(20, TimeUnit.SECONDS);
        }
    }

    /** Traffic either way keeps a connection open past the idle timeout; silence for that long closes it. */
    @Test
    void aConnectionSilentForTheIdleTimeoutIsClosedABusyOneIsNot() throws Exception {
        try (TlsClient c = TlsClient.connect(ca, port, FQDN)) {
            await("busy for twice the idle timeout").during(IDLE.multipliedBy(2)).atMost(IDLE.multipliedBy(4))
                    .pollInterval(Duration.ofMillis(250)).until(() -> c.get("/whoami").text().startsWith("a "));
            await("closed once silent").atMost(IDLE.multipliedBy(5)).until(c::closedByPeer);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.process().output().contains("idle timeout"));
    }

    /** The proxy holds no key: told to terminate TLS, it unbinds and says why, and binds again once the topology is back to passthrough. */
    @Test
    void aTerminateTopologyLeavesAProxyWithoutCertificateUnreadyWithTheReason() throws Exception {
        cp.putTopology(PassthroughIT.topology("ACTIVE_PASSIVE", a, b).replace("PASSTHROUGH", "TERMINATE"));
        awaitFollowing(cp, proxy);
        await().atMost(Duration.ofSeconds(10)).until(() -> proxy.readiness().statusCode() == 503);
        String body = proxy.readiness().body();
        assertTrue(body.contains("dsha.tls.cert-file") && body.contains("dsha.tls.keystore-file"), body);
        assertThrows(IOException.class, () -> new Socket("127.0.0.1", port).close(), "nothing listens any more");
        cp.putTopology(PassthroughIT.topology("ACTIVE_PASSIVE", a, b));
        awaitFollowing(cp, proxy);
        int again = proxy.awaitReady();
        try (TlsClient c = TlsClient.connect(ca, again, FQDN)) {
            assertEquals(a.serial(), c.serial());
        }
        port = again;
    }

    /**
     * SIGTERM with a connection open: the open connection keeps working through the grace period,
     * new ones are turned away, and the proxy exits as soon as the last connection closes.
     */
    @Test
    void gracefulShutdownLetsOpenConnectionsFinish() throws Exception {
        Map<String, String> settings = new HashMap<>(settings("leaving"));
        settings.put("dsha.shutdown.grace", "60s");
        try (ProxyProcess leaving = new ProxyProcess(cp, settings)) {
            int leavingPort = leaving.awaitReady();
            TlsClient open = TlsClient.connect(ca, leavingPort, FQDN);
            assertTrue(open.get("/whoami").text().startsWith("a "));
            leaving.process().process().toHandle().destroy(); // SIGTERM, without waiting
            // Unready (or the management endpoint already gone, which a health checker reads the same way).
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                try {
                    return leaving.readiness().statusCode() != 200;
                } catch (IOException e) {
                    return true;
                }
            });
            assertTrue(open.get("/whoami").text().startsWith("a "), "the open connection still works during the grace period");
            assertThrows(IOException.class, () -> TlsClient.connect(ca, leavingPort, FQDN).close(), "new connections are turned away");
            open.close();
            // The grace period is 60 s; the proxy leaves long before, because nothing is open any more.
            await().atMost(Duration.ofSeconds(20)).until(() -> !leaving.process().alive());
        }
    }
}
