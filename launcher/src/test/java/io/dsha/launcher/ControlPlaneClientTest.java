package io.dsha.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.dsha.api.event.Event;
import io.dsha.api.event.EventType;
import io.dsha.api.json.DshaJson;
import io.dsha.api.state.StateSnapshot;
import io.dsha.api.topology.FailbackPolicy;
import io.dsha.api.topology.Topology;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The typed client against a stand-in control plane on a free port: the tokens, the actor, the records both ways. */
class ControlPlaneClientTest {

    private static final String STATE = """
            {"revision": 9, "topologyRevision": 2, "verdicts": [], "newerField": {"x": 1},
             "routing": {"active": ["a"], "standby": [], "draining": [], "allDown": false, "reason": "a is up"}}""";

    private final Tokens tokens = new Tokens("admin-secret", "agent-secret");
    private final Map<String, String> seen = new ConcurrentHashMap<>();
    private HttpServer server;
    private ControlPlaneClient client;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/api/v1/state", e -> answer(e, 200, STATE));
        server.createContext("/api/v1/events", e -> answer(e, 200, """
                [{"seq": 4, "at": "2026-12-07T13:00:20.5Z", "revision": 9, "type": "FAILOVER", "actor": "control-plane",
                  "backendId": "a", "from": "a", "to": "b", "message": "a is DOWN"}]"""));
        server.createContext("/api/v1/topology", e -> answer(e, 200, STATE));
        server.createContext("/api/v1/failback", e -> answer(e, 409, "{\"title\": \"Nothing to fail back\"}"));
        server.start();
        client = new ControlPlaneClient("http://127.0.0.1:" + server.getAddress().getPort(), tokens);
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private void answer(HttpExchange e, int status, String body) throws IOException {
        String path = e.getRequestURI().getPath();
        seen.put(path + " token", e.getRequestHeaders().getFirst("Authorization"));
        seen.put(path + " actor", e.getRequestHeaders().getFirst("X-Dsha-Actor"));
        seen.put(path + " query", String.valueOf(e.getRequestURI().getQuery()));
        seen.put(path + " body", new String(e.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        e.getResponseHeaders().add("Content-Type", "application/json");
        e.sendResponseHeaders(status, bytes.length);
        e.getResponseBody().write(bytes);
        e.close();
    }

    @Test
    void readsTheStateWithTheAgentTokenToleratingNewFields() {
        StateSnapshot s = client.state();
        assertEquals(9, s.revision());
        assertEquals(List.of("a"), s.routing().active());
        assertEquals("Bearer agent-secret", seen.get("/api/v1/state token"));
        assertEquals("dsha-launcher", seen.get("/api/v1/state actor"));
    }

    @Test
    void readsTheEventsAsRecords() {
        List<Event> events = client.events(5);
        assertEquals("limit=5", seen.get("/api/v1/events query"));
        assertEquals(List.of(new Event(4, Instant.parse("2026-12-07T13:00:20.5Z"), 9, EventType.FAILOVER, "control-plane", "a", "a", "b",
                "a is DOWN")), events);
    }

    @Test
    void putsTheTopologyAsTheControlPlaneBindsItWithTheAdminToken() {
        Topology t = DshaJson.bind("{\"failback\": {\"policy\": \"MANUAL\"}, \"backends\": [{\"id\": \"a\", \"host\": \"h\", \"port\": 1}]}",
                Topology.class).value();
        assertEquals(9, client.putTopology(t).revision());
        assertEquals("Bearer admin-secret", seen.get("/api/v1/topology token"));
        DshaJson.Binding<Topology> sent = DshaJson.bind(seen.get("/api/v1/topology body"), Topology.class);
        assertEquals(List.of(), sent.violations());
        assertEquals(FailbackPolicy.MANUAL, sent.value().failback().policy());
        assertEquals(t, sent.value());
    }

    @Test
    void anotherStatusFailsWithTheAnswer() {
        IllegalStateException e = assertThrows(IllegalStateException.class, client::failback);
        assertTrue(e.getMessage().contains("POST /api/v1/failback answered 409: {\"title\": \"Nothing to fail back\"}"), e.getMessage());
        assertEquals("Bearer admin-secret", seen.get("/api/v1/failback token"));
    }

    @Test
    void withSeveralUrlsGoesPastOneThatIsDownOrAnswers503AndPrefersTheOneThatAnswered() throws IOException {
        HttpServer noLeader = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        noLeader.createContext("/", e -> answer(e, 503, "{\"title\": \"No leader\"}"));
        noLeader.start();
        java.net.ServerSocket closed = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
        String down = "http://127.0.0.1:" + closed.getLocalPort();
        closed.close();
        try {
            String good = "http://127.0.0.1:" + server.getAddress().getPort();
            ControlPlaneClient several = new ControlPlaneClient(List.of(down, "http://127.0.0.1:" + noLeader.getAddress().getPort() + "/", good), tokens);
            assertEquals(down, several.url());
            assertEquals(9, several.state().revision());
            assertEquals(good, several.url(), "the one that answered is tried first next time");

            ControlPlaneClient noneAnswers = new ControlPlaneClient(List.of(down, "http://127.0.0.1:" + noLeader.getAddress().getPort()), tokens);
            IllegalStateException e = assertThrows(IllegalStateException.class, noneAnswers::state);
            assertTrue(e.getMessage().contains("503"), e.getMessage());
        } finally {
            noLeader.stop(0);
        }
    }

    @Test
    void aChangeAnswered503WithRetryAfterWaitsForTheLeaderAndIsSentAgain() throws IOException {
        HttpServer electing = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        electing.createContext("/api/v1/topology", e -> {
            if (calls.incrementAndGet() <= 2) {
                e.getResponseHeaders().add("Retry-After", "1");
                answer(e, 503, "{\"title\": \"No leader\"}");
            } else {
                answer(e, 200, STATE);
            }
        });
        electing.start();
        try {
            ControlPlaneClient c = new ControlPlaneClient("http://127.0.0.1:" + electing.getAddress().getPort(), tokens);
            Topology t = DshaJson.bind("{\"backends\": [{\"id\": \"a\", \"host\": \"h\", \"port\": 1}]}", Topology.class).value();
            assertEquals(9, c.putTopology(t).revision());
            assertEquals(3, calls.get(), "sent again after each 503 with Retry-After");
        } finally {
            electing.stop(0);
        }
    }
}
