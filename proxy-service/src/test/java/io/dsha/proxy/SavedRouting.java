package io.dsha.proxy;

import com.sun.net.httpserver.HttpServer;
import io.dsha.api.json.DshaJson;
import io.dsha.api.state.HealthStatus;
import io.dsha.api.state.RoutingDecision;
import io.dsha.api.state.StateSnapshot;
import io.dsha.api.state.Verdict;
import io.dsha.api.topology.Backend;
import io.dsha.api.topology.Listener;
import io.dsha.api.topology.Mode;
import io.dsha.api.topology.TlsMode;
import io.dsha.api.topology.Topology;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The proxy under test, in-process ({@code @QuarkusTest}) or as the packaged artifact in its
 * production profile ({@code @QuarkusIntegrationTest}), starting while its control plane is away
 * (port 1 refuses at once) from the routing decision it saved last time: one backend, {@code a}, a
 * real HTTP server on a free port in the test's JVM that answers {@value #ANSWER}. The data listener
 * is plain HTTP on a free port; the proxy's readiness names it.
 */
public class SavedRouting implements QuarkusTestResourceLifecycleManager {

    static final String ANSWER = "instance a";
    static final long REVISION = 7;

    private HttpServer backend;

    @Override
    public Map<String, String> start() {
        try {
            backend = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            backend.createContext("/", exchange -> {
                byte[] body = ANSWER.getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("X-DataStack-Instance", "a");
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            });
            backend.start();

            Topology topology = new Topology(new Listener("127.0.0.1", 8443), null, TlsMode.TERMINATE, Mode.ACTIVE_PASSIVE, null, null,
                    List.of(new Backend("a", "127.0.0.1", backend.getAddress().getPort(), 0, 1, null, null)));
            StateSnapshot saved = new StateSnapshot(REVISION, REVISION, topology,
                    List.of(new Verdict("a", HealthStatus.UP, Instant.now(), 1, 1, Set.of(), List.of(), null)),
                    new RoutingDecision(List.of("a"), List.of(), List.of(), false, null, null, "a is UP"));
            Path stateDir = Files.createTempDirectory("dsha-proxy-test-");
            Files.write(stateDir.resolve("snapshot.json"), DshaJson.mapper().writeValueAsBytes(saved));

            return Map.of("dsha.control-plane.url", "http://127.0.0.1:1",
                    "dsha.state-dir", stateDir.toString(),
                    "dsha.listener.plain-http", "true",
                    "dsha.listener.host", "127.0.0.1",
                    "dsha.listener.port", "0",
                    "dsha.event-loops", "1");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void stop() {
        if (backend != null) {
            backend.stop(0);
        }
    }
}
