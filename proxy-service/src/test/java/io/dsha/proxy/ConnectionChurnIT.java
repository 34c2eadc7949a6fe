package io.dsha.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dsha.proxy.support.ProxyProcess;
import io.dsha.proxy.support.TestBackend;
import io.dsha.proxy.support.Topologies;
import io.dsha.testkit.ControlPlaneProcess;
import io.dsha.testkit.ProcessOutputOnFailure;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Connections that come and go leave nothing behind in the proxy's heap. Found by a soak of new connections
 * (bench/soak.sh --new-connections): Vert.x's connection metrics kept one sample per connection ever accepted,
 * because the data listener takes each connection over from Vert.x, which then never sees it close. The check is
 * the JVM's own class histogram (after a full collection) of the real proxy process, before and after a few
 * thousand connections: no class may have grown by anything near one object per connection.
 */
@ExtendWith(ProcessOutputOnFailure.class)
class ConnectionChurnIT {

    private static final int CONNECTIONS = 3000;

    @TempDir
    Path dir;

    private Vertx vertx;
    private ControlPlaneProcess cp;
    private ProxyProcess proxy;
    private int port;

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
        TestBackend a = new TestBackend(vertx, "alpha");
        TestBackend b = new TestBackend(vertx, "beta");
        cp = new ControlPlaneProcess(dir.resolve("cp"));
        cp.putTopology(Topologies.twoBackends("ACTIVE_PASSIVE", "MANUAL", a, b));
        cp.settle("a", "UP");
        cp.settle("b", "UP");
        proxy = new ProxyProcess(cp, Map.of(
                "dsha.listener.plain-http", "true",
                "dsha.access-log.enabled", "false",
                "dsha.state-dir", dir.resolve("proxy").toString()));
        port = proxy.awaitReady();
    }

    @AfterEach
    void stop() {
        proxy.close();
        cp.close();
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    @Test
    void thousandsOfShortConnectionsLeaveNoObjectPerConnectionInTheHeap() throws Exception {
        for (int i = 0; i < 300; i++) {
            oneRequestOnANewConnection();
        }
        Map<String, Long> before = liveInstances();
        for (int i = 0; i < CONNECTIONS; i++) {
            oneRequestOnANewConnection();
        }
        Map<String, Long> after = liveInstances();

        List<String> grown = after.entrySet().stream()
                .map(e -> Map.entry(e.getKey(), e.getValue() - before.getOrDefault(e.getKey(), 0L)))
                .filter(e -> e.getValue() >= CONNECTIONS / 2)
                .map(e -> e.getKey() + " +" + e.getValue())
                .collect(Collectors.toList());
        assertTrue(grown.isEmpty(), "live objects that grew with the " + CONNECTIONS + " connections: " + grown);
        assertTrue(proxy.metrics().contains("dsha_proxy_connections 0.0"), "every connection closed: " + proxy.metrics());
    }

    private void oneRequestOnANewConnection() throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            assertTrue(answer.startsWith("HTTP/1.1 200 "), answer);
        }
    }

    /** Instances per class in the proxy's heap after a full collection (jcmd GC.class_histogram collects first). */
    private Map<String, Long> liveInstances() throws Exception {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process p = new ProcessBuilder(jcmd.toString(), Long.toString(proxy.process().process().pid()), "GC.class_histogram")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "jcmd did not end");
        assertEquals(0, p.exitValue(), out);
        Map<String, Long> counts = new HashMap<>();
        for (String line : out.split("\n")) {
            String[] f = line.trim().split("\\s+");
            // "   1:         40113        2600680  [B (java.base@17.0.15)"
            if (f.length >= 4 && f[0].endsWith(":") && f[1].chars().allMatch(Character::isDigit)) {
                counts.merge(f[3], Long.parseLong(f[1]), Long::sum);
            }
        }
        assertTrue(counts.size() > 100, out);
        return counts;
    }
}
