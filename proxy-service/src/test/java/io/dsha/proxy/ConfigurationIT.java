package io.dsha.proxy;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dsha.proxy.support.TestCa;
import io.dsha.proxy.transport.IoUringHere;
import io.dsha.testkit.ControlPlaneProcess;
import io.dsha.testkit.JavaProcess;
import io.dsha.testkit.ProcessOutputOnFailure;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real proxy refuses to start on a configuration it cannot honour: the process ends with a
 * non-zero status and its output names the settings at fault. Nothing here needs a control plane:
 * the configuration is checked before the proxy tries to reach one.
 */
@ExtendWith(ProcessOutputOnFailure.class)
class ConfigurationIT {

    /** Nothing listens here; the proxy must stop before it would try. */
    private static final String NO_CONTROL_PLANE = "http://127.0.0.1:1";

    @TempDir
    static Path certs;

    private static Path certFile;
    private static Path keyFile;

    @TempDir
    Path dir;

    private JavaProcess proxy;

    @BeforeAll
    static void issue() {
        certFile = new TestCa().issue("localhost").writePem(certs, "lb");
        keyFile = certs.resolve("lb.key");
    }

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
    }

    /** Starts the proxy with the test defaults (free ports, a state directory) plus these settings. */
    private JavaProcess start(Map<String, String> settings) {
        Map<String, String> all = new HashMap<>();
        all.put("dsha.control-plane.url", NO_CONTROL_PLANE);
        all.put("dsha.agent-token", ControlPlaneProcess.AGENT);
        all.put("dsha.state-dir", dir.resolve("proxy").toString());
        all.put("quarkus.http.port", "0");
        all.put("dsha.listener.port", "0");
        all.put("dsha.listener.host", "127.0.0.1");
        all.put("dsha.event-loops", "1");
        all.putAll(settings);
        proxy = JavaProcess.start("proxy", JavaProcess.jar("proxy-service"), all);
        return proxy;
    }

    /** The process ends by itself, not zero, and its output names every one of {@code settings}. */
    private void assertRefused(Map<String, String> config, String... settings) {
        JavaProcess p = start(config);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> !p.alive());
        int status = p.process().exitValue();
        String out = p.output();
        assertNotEquals(0, status, "the proxy started with " + config + ":\n" + out);
        assertFalse(out.contains("Data listener on"), "a data listener was opened:\n" + out);
        for (String s : settings) {
            assertTrue(out.contains(s), "the output does not name " + s + ":\n" + out);
        }
    }

    /**
     * No certificate at all is a valid configuration since TLS passthrough: such a proxy holds no
     * key. Whether it can serve is the topology's to say; PassthroughOptionsIT shows it refusing to
     * terminate TLS, unready, with the settings it needs named.
     */
    @Test
    void noCertificateAtAllStartsAProxyForPassthrough() {
        JavaProcess p = start(Map.of());
        p.awaitHttpPort();
        assertTrue(p.alive(), p.output());
    }

    @Test
    void aCertificateWithoutItsKeyIsRefused() {
        assertRefused(Map.of("dsha.tls.cert-file", certFile.toString()), "dsha.tls.key-file", "dsha.tls.cert-file");
    }

    @Test
    void aKeyWithoutItsCertificateIsRefused() {
        assertRefused(Map.of("dsha.tls.key-file", keyFile.toString()), "dsha.tls.cert-file", "dsha.tls.key-file");
    }

    @Test
    void plainHttpTogetherWithACertificateIsRefused() {
        assertRefused(Map.of(
                "dsha.listener.plain-http", "true",
                "dsha.tls.cert-file", certFile.toString(),
                "dsha.tls.key-file", keyFile.toString()), "dsha.listener.plain-http", "dsha.tls");
    }

    @Test
    void aCertificateFileThatDoesNotExistIsRefused() {
        Path missing = dir.resolve("missing.crt");
        assertFalse(Files.exists(missing));
        assertRefused(Map.of(
                "dsha.tls.cert-file", missing.toString(),
                "dsha.tls.key-file", keyFile.toString()), "dsha.tls.cert-file", missing.toString());
    }

    /** Both files exist and parse, but the key is another certificate's: every handshake would fail. */
    @Test
    void aKeyThatDoesNotBelongToTheCertificateIsRefused() {
        Path otherKey = new TestCa().issue("localhost").writePem(dir, "other").resolveSibling("other.key");
        assertRefused(Map.of(
                "dsha.tls.cert-file", certFile.toString(),
                "dsha.tls.key-file", otherKey.toString()), "dsha.tls.cert-file", "dsha.tls.key-file", "does not belong");
    }

    @Test
    void aKeystoreWithoutItsPasswordIsRefused() {
        assertRefused(Map.of("dsha.tls.keystore-file", certFile.toString()), "dsha.tls.keystore-password");
    }

    @Test
    void aControlPlaneUrlThatIsNotAUrlIsRefused() {
        for (String url : List.of("nonsense", "ftp://127.0.0.1:9470", "http://")) {
            assertRefused(Map.of(
                    "dsha.control-plane.url", url,
                    "dsha.tls.cert-file", certFile.toString(),
                    "dsha.tls.key-file", keyFile.toString()), "dsha.control-plane.url", url);
            proxy.close();
        }
    }

    /** The refusals above are about the settings, not the environment: the same files with a valid URL start. */
    @Test
    void theSameFilesWithAValidConfigurationStart() {
        JavaProcess p = start(Map.of(
                "dsha.tls.cert-file", certFile.toString(),
                "dsha.tls.key-file", keyFile.toString()));
        p.awaitHttpPort();
        assertTrue(p.alive(), p.output());
    }

    @Test
    void anUnknownTransportIsRefused() {
        assertRefused(Map.of("dsha.transport", "uring"), "dsha.transport", "uring");
    }

    /**
     * io_uring asked for by name where it cannot run (here Netty's native code is switched off, as a
     * kernel without io_uring or a seccomp profile would) stops the proxy, with the reason; it does not
     * quietly start on something else.
     */
    @Test
    void ioUringRequiredWhereItIsNotAvailableIsRefused() {
        assertRefused(Map.of("dsha.transport", "io_uring", "io.netty.transport.noNative", "true"),
                "dsha.transport=io_uring", "io_uring is not available", "dsha.transport=auto or epoll");
    }

    /**
     * The default setting runs the sockets on io_uring where this kernel allows it, with the rings made by the jar's
     * own set-up (COOP_TASKRUN), and the start line says so.
     */
    @Test
    void autoRunsOnIoUringWithTheRingSetUp() throws Exception {
        IoUringHere.require();
        JavaProcess auto = assertTransport(Map.of(), "io_uring", "auto");
        assertTrue(auto.output().contains("Sockets run on io_uring (dsha.transport=auto); rings with COOP_TASKRUN"), auto.output());
    }

    /**
     * What the sockets run on is said at start and in the metrics: epoll when asked, and NIO with the reason when
     * neither native transport may load (io_uring under the default setting: the test above).
     */
    @Test
    void theTransportInUseIsLoggedAndExposed() throws Exception {
        assertTransport(Map.of("dsha.transport", "epoll"), "epoll", "epoll");
        proxy.close();
        JavaProcess p = assertTransport(Map.of("io.netty.transport.noNative", "true"), "nio", "auto");
        assertTrue(p.output().contains("io_uring is not available: Native transport was explicit"), p.output());
    }

    private JavaProcess assertTransport(Map<String, String> settings, String transport, String setting) throws Exception {
        JavaProcess p = start(settings);
        int port = p.awaitHttpPort();
        String line = "Sockets run on " + transport + " (dsha.transport=" + setting + ")";
        await().atMost(Duration.ofSeconds(30)).until(() -> p.output().contains(line) || !p.alive());
        assertTrue(p.output().contains(line), "expected '" + line + "':\n" + p.output());
        String metrics = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + "/q/metrics")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        assertTrue(metrics.contains("dsha_proxy_transport_info{transport=\"" + transport + "\"} 1.0"), metrics);
        return p;
    }
}
