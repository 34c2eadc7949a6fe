package io.dsha.proxy;

import static io.dsha.proxy.support.ProxyTestKit.member;
import static io.dsha.proxy.support.ProxyTestKit.topology;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dsha.proxy.support.ProxyProcess;
import io.dsha.proxy.support.Teardown;
import io.dsha.proxy.support.TestBackend;
import io.dsha.testkit.ControlPlaneProcess;
import io.dsha.testkit.ProcessOutputOnFailure;
import io.vertx.core.Vertx;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Readiness tells the truth about the data listener: a proxy whose address is taken by another process has a routing
 * decision but serves nothing, so it is not ready (a keepalived track script must move the address away), and says
 * why; once the address is free it binds by itself and is ready.
 */
@ExtendWith(ProcessOutputOnFailure.class)
class ListenerReadinessIT {

    @TempDir
    static Path dir;

    private static Vertx vertx;
    private static ControlPlaneProcess cp;
    private static TestBackend backend;

    @BeforeAll
    static void startControlPlane() {
        vertx = Vertx.vertx();
        cp = new ControlPlaneProcess(dir.resolve("cp"));
        backend = new TestBackend(vertx, "alpha");
        cp.putTopology(topology("ACTIVE_PASSIVE", "MANUAL", 0, "TRY_ALL", member("a", backend, 0, 1)));
        cp.settle("a", "UP");
    }

    @AfterAll
    static void stop() {
        Teardown.close(cp, backend, vertx);
    }

    @Test
    void aListenerWhoseAddressIsTakenIsNotReadyUntilItBindsByItself() throws Exception {
        ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        int port = taken.getLocalPort();
        try (ProxyProcess proxy = new ProxyProcess(cp, Map.of("dsha.listener.plain-http", "true", "dsha.listener.port", String.valueOf(port),
                "dsha.state-dir", dir.resolve("proxy").toString()))) {
            await("the bind failure on readiness").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                    .until(() -> proxy.readiness().body().contains("could not bind"));
            HttpResponse<String> notReady = proxy.readiness();
            assertEquals(503, notReady.statusCode(), notReady.body());
            assertTrue(notReady.body().contains("127.0.0.1:" + port) && notReady.body().contains("trying again"), notReady.body());
            assertTrue(notReady.body().contains("\"revision\""), "it has a routing decision, and still is not ready: " + notReady.body());

            taken.close();
            assertEquals(port, proxy.awaitReady(), "bound by itself once the address is free");
            assertTrue(!proxy.readiness().body().contains("could not bind"), proxy.readiness().body());
            assertEquals(1, proxy.process().output().split("Not ready: the data listener could not bind", -1).length - 1,
                    "said once, not once a second:\n" + proxy.process().output());
        } finally {
            taken.close();
        }
    }
}
