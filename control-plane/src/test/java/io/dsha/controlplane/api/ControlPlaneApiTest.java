package io.dsha.controlplane.api;

import static io.dsha.controlplane.api.ApiFixture.admin;
import static io.dsha.controlplane.api.ApiFixture.agent;
import static io.dsha.controlplane.api.ApiFixture.report;
import static io.dsha.controlplane.api.ApiFixture.settle;
import static io.dsha.controlplane.api.ApiFixture.topologyRevision;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every endpoint of the control plane through real HTTP, as an operator, a checker and a proxy use it.
 * {@link ControlPlaneApiIT} runs these again against the packaged artifact: HTTP only, no beans.
 */
@QuarkusTest
@QuarkusTestResource(ControlPlaneUnderTest.class)
class ControlPlaneApiTest {

    private static final String PROBLEM = "application/problem+json";

    private ApiFixture f;

    @BeforeEach
    void declare() {
        f = new ApiFixture();
        f.declare();
    }

    // ---------- topology ----------

    @Test
    void getTopologyCarriesItsRevisionAsETag() {
        long rev = topologyRevision();
        admin().get("/api/v1/topology").then()
                .statusCode(200)
                .header("ETag", "\"" + rev + "\"")
                .header("X-Dsha-Topology-Revision", String.valueOf(rev))
                .body("mode", equalTo("ACTIVE_PASSIVE"))
                .body("tlsMode", equalTo("TERMINATE"))
                .body("listener.port", equalTo(8443))
                .body("backends.id", equalTo(List.of(f.a, f.b)))
                .body("backends[0].healthCheck.intervalMs", equalTo(1000))
                .body("backends[0].weight", equalTo(1));
    }

    @Test
    void anInvalidTopologyListsEveryViolationAndChangesNothing() {
        String before = admin().get("/api/v1/topology").asString();
        long rev = topologyRevision();

        admin().contentType(ContentType.JSON)
                .body("""
                        {"mode": "ACTIVE_PASSIVE", "tlsMode": "PASSTHROUGH",
                         "backends": [{"id": "x", "host": "10.0.0.1", "port": 0, "weight": 300},
                                      {"id": "x", "host": "bad_host", "port": 80, "colour": "red"}]}
                        """)
                .put("/api/v1/topology")
                .then()
                .statusCode(400)
                .contentType(PROBLEM)
                .body("status", equalTo(400))
                .body("title", equalTo("Invalid topology"))
                .body("detail", equalTo("6 violations; nothing was changed"))
                // Each at its field's line and column in the body; fqdn is not in it.
                .body("violations", hasItem(Map.of("field", "fqdn", "message",
                        "is required when tlsMode is PASSTHROUGH: the proxy routes connections by the SNI name")))
                .body("violations", hasItem(Map.of("field", "backends[0].port", "message", "must be between 1 and 65535", "line", 2, "column", 47)))
                .body("violations", hasItem(Map.of("field", "backends[0].weight", "message", "must be between 1 and 256", "line", 2, "column", 58)))
                .body("violations", hasItem(Map.of("field", "backends[1].colour", "message", "unknown field", "line", 3, "column", 59)))
                .body("violations", hasItem(Map.of("field", "backends[1].host", "message",
                        "must be a host name (RFC 1123) or an IP address", "line", 3, "column", 27)))
                .body("violations", hasItem(Map.of("field", "backends[1].id", "message",
                        "'x' is also the id of backends[0]; ids must be unique", "line", 3, "column", 16)));

        assertEquals(before, admin().get("/api/v1/topology").asString());
        assertEquals(rev, topologyRevision());
    }

    @Test
    void aTopologyCanBeSentAsYaml() {
        admin().contentType("application/yaml")
                .body("""
                        mode: ACTIVE_ACTIVE
                        backends:
                          - {id: %s, host: 10.1.0.1, port: %d, weight: 3}
                          - {id: %s, host: 10.1.0.2, port: %d}
                        """.formatted(f.a, f.portA, f.b, f.portB).getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .put("/api/v1/topology")
                .then().statusCode(200)
                .body("topology.mode", equalTo("ACTIVE_ACTIVE"))
                .body("topology.backends[0].weight", equalTo(3));
    }

    @Test
    void ingestRoutesRoundTripWithTheirDefaultsFilledIn() {
        admin().contentType(ContentType.JSON)
                .body("""
                        {"backends": [{"id": "%s", "host": "10.1.0.1", "port": %d}, {"id": "%s", "host": "10.1.0.2", "port": %d}],
                         "ingest": {"routes": [{"method": "POST", "pathPrefix": "/api/records"}], "ack": "ALL"}}
                        """.formatted(f.a, f.portA, f.b, f.portB))
                .put("/api/v1/topology")
                .then().statusCode(200);

        admin().get("/api/v1/topology").then().statusCode(200)
                .body("ingest.routes[0].method", equalTo("POST"))
                .body("ingest.routes[0].pathPrefix", equalTo("/api/records"))
                .body("ingest.ack", equalTo("ALL"))
                .body("ingest.journal.maxBytes", equalTo(268_435_456))
                .body("ingest.idempotencyHeader", equalTo("Idempotency-Key"))
                .body("ingest.timeoutMs", equalTo(5000))
                .body("ingest.maxRecordBytes", equalTo(1_048_576));

        admin().contentType(ContentType.JSON)
                .body("""
                        {"tlsMode": "PASSTHROUGH", "fqdn": "ds.example.com",
                         "backends": [{"id": "%s", "host": "10.1.0.1", "port": %d}],
                         "ingest": {"routes": [{"method": "POST", "pathPrefix": "/r"}, {"method": "POST", "pathPrefix": "/r"}],
                                    "idempotencyHeader": "Transfer-Encoding"}}
                        """.formatted(f.a, f.portA))
                .put("/api/v1/topology")
                .then().statusCode(400).contentType(PROBLEM)
                .body("violations.field", equalTo(List.of("ingest", "ingest.idempotencyHeader", "ingest.routes[1]")));
    }

    @Test
    void ifMatchGivesOptimisticConcurrency() {
        long rev = topologyRevision();

        admin().header("If-Match", "\"" + (rev - 1) + "\"").contentType(ContentType.JSON)
                .body(f.topology("ACTIVE_ACTIVE", "AUTO", 0))
                .put("/api/v1/topology")
                .then().statusCode(412).contentType(PROBLEM)
                .header("ETag", "\"" + rev + "\"")
                .body("detail", equalTo("If-Match names revision " + (rev - 1) + " but the topology is at revision " + rev
                        + "; nothing was changed"));
        admin().get("/api/v1/topology").then().body("mode", equalTo("ACTIVE_PASSIVE"));

        admin().header("If-Match", "\"" + rev + "\"").contentType(ContentType.JSON)
                .body(f.topology("ACTIVE_ACTIVE", "AUTO", 0))
                .put("/api/v1/topology")
                .then().statusCode(200).body("topologyRevision", greaterThan((int) rev));
    }

    @Test
    void twoConcurrentConflictingPutsGiveExactlyOne412() throws Exception {
        for (int round = 0; round < 5; round++) {
            long rev = topologyRevision();
            CountDownLatch go = new CountDownLatch(1);
            List<CompletableFuture<Integer>> puts = List.of("ACTIVE_ACTIVE", "ACTIVE_PASSIVE").stream()
                    .map(mode -> CompletableFuture.supplyAsync(() -> {
                        await(go);
                        return admin().header("If-Match", String.valueOf(rev)).contentType(ContentType.JSON)
                                .body(f.topology(mode, "MANUAL", 1000 + rev))
                                .put("/api/v1/topology").statusCode();
                    }))
                    .toList();
            go.countDown();
            List<Integer> codes = puts.stream().map(CompletableFuture::join).sorted().toList();
            assertEquals(List.of(200, 412), codes, "round " + round);
        }
    }

    @Test
    void anUnchangedTopologyDoesNotBumpTheRevision() {
        long rev = agent().get("/api/v1/state").jsonPath().getLong("revision");
        admin().contentType(ContentType.JSON).body(f.topology("ACTIVE_PASSIVE", "AUTO", 30_000))
                .put("/api/v1/topology")
                .then().statusCode(200).body("revision", equalTo((int) rev));
    }

    @Test
    void aBodyThatIsNotJsonIs415() {
        admin().contentType(ContentType.TEXT).body("mode=ACTIVE_ACTIVE")
                .put("/api/v1/mode")
                .then().statusCode(415).contentType(PROBLEM)
                .body("detail", containsString("Content-Type: application/json"));
    }

    @Test
    void malformedJsonIsAProblemWithItsLocation() {
        admin().contentType(ContentType.JSON).body("{\"mode\": ")
                .put("/api/v1/topology")
                .then().statusCode(400).contentType(PROBLEM)
                .body("violations", equalTo(List.of(Map.of("message", "the object opened with '{' here is never closed with '}'",
                        "line", 1, "column", 1))));
    }

    @Test
    void brokenYamlIsOneSentenceAtItsLineAndColumn() {
        long rev = topologyRevision();
        admin().contentType("application/yaml")
                .body("""
                        mode: ACTIVE_ACTIVE
                        backends:
                          - id: a
                            host 10.1.0.1
                            port: 9000
                        """.getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .put("/api/v1/topology")
                .then().statusCode(400).contentType(PROBLEM)
                .body("title", equalTo("Invalid topology"))
                .body("detail", equalTo("1 violation; nothing was changed"))
                // Only the syntax error, where the ':' is missing (not the next line, where the parser stopped).
                .body("violations", equalTo(List.of(Map.of(
                        "message", "missing ':' after the key; `host 10.1.0.1` should read `host: 10.1.0.1`", "line", 4, "column", 5))));
        assertEquals(rev, topologyRevision());
    }

    @Test
    void anUnknownFieldNamesTheFieldItProbablyMeans() {
        admin().contentType("application/yaml")
                .body("""
                        mode: ACTIVE_ACTIVE
                        backends:
                          - {id: %s, host: 10.1.0.1, port: %d}
                          - id: %s
                            host: 10.1.0.2
                            port: %d
                            heathCheck:
                              type: TCP
                        """.formatted(f.a, f.portA, f.b, f.portB).getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .put("/api/v1/topology")
                .then().statusCode(400).contentType(PROBLEM)
                .body("violations", equalTo(List.of(Map.of("field", "backends[1].heathCheck",
                        "message", "unknown field; did you mean `healthCheck`?", "line", 7, "column", 5))));
    }

    // ---------- mode ----------

    @Test
    void modeSwitchMovesTheRoutingDecision() {
        settle("c1", f.a, "UP");
        settle("c1", f.b, "UP");
        agent().get("/api/v1/state").then().body("routing.active", equalTo(List.of(f.a)));

        admin().contentType(ContentType.JSON).body("{\"mode\": \"ACTIVE_ACTIVE\"}")
                .put("/api/v1/mode")
                .then().statusCode(200)
                .body("topology.mode", equalTo("ACTIVE_ACTIVE"))
                .body("routing.active", equalTo(List.of(f.a, f.b)));

        admin().contentType(ContentType.JSON).body("{\"mode\": \"ROUND_ROBIN\"}")
                .put("/api/v1/mode")
                .then().statusCode(400).contentType(PROBLEM)
                .body("violations[0].field", equalTo("mode"))
                .body("violations[0].message", equalTo("must be one of ACTIVE_PASSIVE, ACTIVE_ACTIVE"));
    }

    @Test
    void switchingToActivePassiveWithSharedPrioritiesIsRefused() {
        admin().contentType(ContentType.JSON)
                .body("""
                        {"mode": "ACTIVE_ACTIVE", "backends": [
                          {"id": "%s", "host": "10.1.0.1", "port": %d, "priority": 5},
                          {"id": "%s", "host": "10.1.0.2", "port": %d, "priority": 5}]}
                        """.formatted(f.a, f.portA, f.b, f.portB))
                .put("/api/v1/topology").then().statusCode(200);

        admin().contentType(ContentType.JSON).body("{\"mode\": \"ACTIVE_PASSIVE\"}")
                .put("/api/v1/mode")
                .then().statusCode(400).contentType(PROBLEM)
                .body("violations[0].field", equalTo("backends[1].priority"));
        admin().get("/api/v1/topology").then().body("mode", equalTo("ACTIVE_ACTIVE"));
    }

    // ---------- backends ----------

    @Test
    void putBackendAddsThenReplaces() {
        String c = f.a + "c";
        admin().contentType(ContentType.JSON).body("{\"host\": \"10.1.0.3\", \"port\": 9000, \"priority\": 7}")
                .put("/api/v1/backends/" + c)
                .then().statusCode(201)
                .header("Location", containsString("/api/v1/backends/" + c))
                .body("topology.backends.id", equalTo(List.of(f.a, f.b, c)));

        admin().contentType(ContentType.JSON).body("{\"id\": \"" + c + "\", \"host\": \"10.1.0.3\", \"port\": 9001, \"priority\": 7, \"weight\": 9}")
                .put("/api/v1/backends/" + c)
                .then().statusCode(200)
                .body("topology.backends[2].port", equalTo(9001))
                .body("topology.backends[2].weight", equalTo(9));

        admin().get("/api/v1/events?limit=2").then()
                .body("[0].type", equalTo("BACKEND_UPDATED"))
                .body("[0].message", containsString("address 10.1.0.3:9000 -> 10.1.0.3:9001"))
                .body("[1].type", equalTo("BACKEND_ADDED"));
    }

    @Test
    void putBackendRefusesABadBodyWithEveryViolation() {
        admin().contentType(ContentType.JSON).body("{\"id\": \"other\", \"host\": \"10.1.0.3\", \"port\": 0}")
                .put("/api/v1/backends/" + f.a)
                .then().statusCode(400).contentType(PROBLEM)
                .body("violations", equalTo(List.of(Map.of("field", "port", "message", "must be between 1 and 65535", "line", 1, "column", 37))));

        admin().contentType(ContentType.JSON).body("{\"id\": \"other\", \"host\": \"10.1.0.3\", \"port\": 80}")
                .put("/api/v1/backends/" + f.a)
                .then().statusCode(400).contentType(PROBLEM)
                .body("title", equalTo("Invalid backend"))
                .body("detail", equalTo("the body's id does not match the path"))
                .body("violations[0].field", equalTo("id"))
                .body("violations[0].message", equalTo("'other' does not match the id in the path ('" + f.a + "')"));

        admin().contentType(ContentType.JSON).body("{\"host\": \"10.1.0.2\", \"port\": " + f.portB + ", \"priority\": 9}")
                .put("/api/v1/backends/" + f.a + "x")
                .then().statusCode(400)
                .body("violations[0].message", containsString("is also the address of backends[1]"));
    }

    @Test
    void deleteBackend() {
        admin().delete("/api/v1/backends/" + f.b).then().statusCode(200)
                .body("topology.backends.id", equalTo(List.of(f.a)));
        admin().delete("/api/v1/backends/" + f.b).then().statusCode(404).contentType(PROBLEM)
                .body("title", equalTo("No such backend"))
                .body("detail", equalTo("backend '" + f.b + "' is not in the topology (backends: " + f.a + ")"));
        admin().delete("/api/v1/backends/" + f.a).then().statusCode(409).contentType(PROBLEM)
                .body("title", equalTo("Change would leave an invalid topology"))
                .body("detail", equalTo("1 violation; nothing was changed"))
                .body("violations[0].field", equalTo("backends"))
                .body("violations[0].message", equalTo("must list at least one backend"));
    }

    @Test
    void drainAndMaintenanceMoveTraffic() {
        settle("c1", f.a, "UP");
        settle("c1", f.b, "UP");

        admin().contentType(ContentType.JSON).body("{\"adminState\": \"DRAIN\"}")
                .put("/api/v1/backends/" + f.a + "/admin-state")
                .then().statusCode(200)
                .body("routing.active", equalTo(List.of(f.b)))
                .body("routing.draining", equalTo(List.of(f.a)));

        admin().contentType(ContentType.JSON).body("{\"adminState\": \"MAINTENANCE\"}")
                .put("/api/v1/backends/" + f.a + "/admin-state")
                .then().statusCode(200)
                .body("routing.active", equalTo(List.of(f.b)))
                .body("routing.draining", equalTo(List.of()));

        admin().contentType(ContentType.JSON).body("{\"adminState\": \"OFF\"}")
                .put("/api/v1/backends/" + f.a + "/admin-state")
                .then().statusCode(400)
                .body("violations[0].message", equalTo("must be one of ENABLED, DRAIN, MAINTENANCE"));
        admin().contentType(ContentType.JSON).body("{\"adminState\": \"DRAIN\"}")
                .put("/api/v1/backends/nope/admin-state")
                .then().statusCode(404);
    }

    // ---------- decisions through the API ----------

    @Test
    void healthReportsMoveTheRoutingDecision() {
        agent().get("/api/v1/state").then()
                .body("routing.allDown", equalTo(true))
                .body("routing.standby", equalTo(List.of(f.a, f.b)))
                .body("verdicts.status", equalTo(List.of("UNKNOWN", "UNKNOWN")));

        settle("c1", f.a, "UP");
        settle("c1", f.b, "UP");
        agent().get("/api/v1/state").then()
                .body("routing.active", equalTo(List.of(f.a)))
                .body("routing.standby", equalTo(List.of(f.b)))
                .body("verdicts[0].status", equalTo("UP"))
                .body("verdicts[0].votes[0].reporterId", equalTo("c1"))
                .body("verdicts[0].votes[0].live", equalTo(true))
                .body("verdicts[0].quorum", equalTo(1));

        settle("c1", f.a, "DOWN");
        agent().get("/api/v1/state").then()
                .body("routing.active", equalTo(List.of(f.b)))
                .body("verdicts[0].status", equalTo("DOWN"))
                .body("routing.reason", containsString("failover: " + f.a + " is DOWN"));
        admin().get("/api/v1/events?limit=1").then()
                .body("[0].type", equalTo("FAILOVER"))
                .body("[0].from", equalTo(f.a))
                .body("[0].to", equalTo(f.b));
    }

    @Test
    void manualFailbackThroughTheApi() {
        f.declare("ACTIVE_PASSIVE", "MANUAL", 0);
        settle("c1", f.a, "UP");
        settle("c1", f.b, "UP");
        settle("c1", f.a, "DOWN");
        settle("c1", f.a, "UP");
        agent().get("/api/v1/state").then()
                .body("routing.active", equalTo(List.of(f.b)))
                .body("routing.pendingFailback", equalTo(f.a));

        admin().header("X-Dsha-Actor", "alice").post("/api/v1/failback").then()
                .statusCode(200)
                .body("routing.active", equalTo(List.of(f.a)))
                .body("routing.pendingFailback", nullValue());
        admin().get("/api/v1/events?limit=1").then()
                .body("[0].type", equalTo("FAILBACK"))
                .body("[0].actor", equalTo("alice"));

        admin().post("/api/v1/failback").then().statusCode(409).contentType(PROBLEM)
                .body("detail", equalTo("nothing to fail back: " + f.a + " is already the preferred backend that is UP"));
    }

    // ---------- reports ----------

    @Test
    void reportsAreAcknowledgedWithUnknownBackendsNamed() {
        agent().contentType(ContentType.JSON)
                .body("""
                        {"source": "CHECKER", "reporterId": "edge-1", "observations": [
                          {"backendId": "%s", "status": "UP", "latencyMs": 4, "at": "2026-01-01T00:00:00Z"},
                          {"backendId": "ghost", "status": "DOWN", "reason": "timeout"}]}
                        """.formatted(f.a))
                .post("/api/v1/reports")
                .then().statusCode(202)
                .body("accepted", equalTo(1))
                .body("unknownBackends", equalTo(List.of("ghost")))
                .body("revision", greaterThan(0));
    }

    @Test
    void anInvalidReportListsEveryViolation() {
        agent().contentType(ContentType.JSON)
                .body("{\"source\": \"CHECKER\", \"observations\": [{\"backendId\": \"a\", \"status\": \"MAYBE\", \"latencyMs\": -1}]}")
                .post("/api/v1/reports")
                .then().statusCode(400).contentType(PROBLEM)
                .body("violations", hasSize(3))
                .body("violations", hasItem(Map.of("field", "reporterId", "message", "must not be null")))
                .body("violations", hasItem(Map.of("field", "observations[0].status", "message", "must be one of UP, DOWN", "line", 1, "column", 59)))
                .body("violations", hasItem(Map.of("field", "observations[0].latencyMs", "message", "must be between 0 and 3600000",
                        "line", 1, "column", 78)));
    }

    @Test
    void aCheckersCertificateFindingShowsInTheVerdictAndBadFindingsAreRefused() {
        agent().contentType(ContentType.JSON)
                .body("""
                        {"source": "CHECKER", "reporterId": "edge-1", "observations": [
                          {"backendId": "%s", "status": "UP", "degraded": ["certificate is self-signed (CN=a)"], "daysToExpiry": 42}]}
                        """.formatted(f.a))
                .post("/api/v1/reports").then().statusCode(202);
        agent().get("/api/v1/state").then()
                .body("verdicts[0].status", equalTo("UP"))
                .body("verdicts[0].flags", equalTo(List.of("DEGRADED")))
                .body("verdicts[0].degraded", equalTo(List.of("certificate is self-signed (CN=a)")))
                .body("verdicts[0].votes[0].degraded", equalTo(List.of("certificate is self-signed (CN=a)")))
                .body("verdicts[0].votes[0].daysToExpiry", equalTo(42));

        agent().contentType(ContentType.JSON)
                .body("{\"source\": \"CHECKER\", \"reporterId\": \"edge-1\", \"observations\": [{\"backendId\": \"a\", \"status\": \"UP\", "
                        + "\"lag\": -5, \"degraded\": [\"\"]}]}")
                .post("/api/v1/reports")
                .then().statusCode(400).contentType(PROBLEM)
                .body("violations", hasSize(2))
                .body("violations", hasItem(Map.of("field", "observations[0].lag", "message", "must not be negative", "line", 1, "column", 99)))
                .body("violations", hasItem(Map.of("field", "observations[0].degraded[0]", "message", "must be 1 to 512 characters",
                        "line", 1, "column", 123)));
    }

    @Test
    void proxyReportsShowAsPassiveFailures() {
        agent().contentType(ContentType.JSON)
                .body("{\"source\": \"PROXY\", \"reporterId\": \"proxy-1\", \"observations\": [{\"backendId\": \"" + f.a
                        + "\", \"status\": \"DOWN\", \"reason\": \"connection refused\"}]}")
                .post("/api/v1/reports").then().statusCode(202);
        agent().get("/api/v1/state").then()
                .body("verdicts[0].lastPassiveFailure.reporterId", equalTo("proxy-1"))
                .body("verdicts[0].lastPassiveFailure.reason", equalTo("connection refused"))
                .body("verdicts[0].status", equalTo("UNKNOWN"));
    }

    // ---------- traffic ----------

    @Test
    void proxiesReportTrafficPerBackendAndTheSumIsReadWithoutMovingTheRevision() {
        long revision = agent().get("/api/v1/state").jsonPath().getLong("revision");
        trafficReport("proxy-1", "{\"backendId\": \"%s\", \"requestsPerSecond\": 12.5}".formatted(f.a)).then().statusCode(204);
        trafficReport("proxy-2", "{\"backendId\": \"%s\", \"requestsPerSecond\": 2.5}, {\"backendId\": \"%s\", \"requestsPerSecond\": 1}"
                .formatted(f.a, f.b)).then().statusCode(204);

        agent().get("/api/v1/traffic").then().statusCode(200)
                .body("backends.find { it.backendId == '%s' }.requestsPerSecond".formatted(f.a), equalTo(15.0f))
                .body("backends.find { it.backendId == '%s' }.requestsPerSecond".formatted(f.b), equalTo(1.0f))
                .body("proxies", org.hamcrest.Matchers.hasItems("proxy-1", "proxy-2"));
        assertEquals(revision, agent().get("/api/v1/state").jsonPath().getLong("revision"), "telemetry is not state");
    }

    @Test
    void theProxiesListShowsWhatEachProxySaysOfItselfAndWhatItServes() {
        agent().contentType(ContentType.JSON).body("""
                {"reporterId": "edge-1", "backends": [{"backendId": "%s", "requestsPerSecond": 30}],
                 "proxy": {"host": "edge-1.example", "listener": "https://0.0.0.0:8443", "ready": true, "shuttingDown": false}}
                """.formatted(f.a)).post("/api/v1/traffic").then().statusCode(204);
        agent().contentType(ContentType.JSON).body("""
                {"reporterId": "edge-2", "backends": [{"backendId": "%s", "requestsPerSecond": 0}],
                 "proxy": {"host": "edge-2.example", "ready": false, "shuttingDown": true}}
                """.formatted(f.a)).post("/api/v1/traffic").then().statusCode(204);

        agent().get("/api/v1/proxies").then().statusCode(200)
                .body("proxies.find { it.id == 'edge-1' }.host", equalTo("edge-1.example"))
                .body("proxies.find { it.id == 'edge-1' }.ready", equalTo(true))
                .body("proxies.find { it.id == 'edge-1' }.requestsPerSecond", equalTo(30.0f))
                .body("proxies.find { it.id == 'edge-1' }.heard", equalTo(true))
                .body("proxies.find { it.id == 'edge-1' }.holdsTraffic", equalTo(true))
                .body("proxies.find { it.id == 'edge-2' }.ready", equalTo(false))
                .body("proxies.find { it.id == 'edge-2' }.shuttingDown", equalTo(true))
                .body("proxies.find { it.id == 'edge-2' }.holdsTraffic", equalTo(false));
        agent().contentType(ContentType.JSON).body("""
                {"reporterId": "edge-3", "backends": [], "proxy": {"host": ""}}
                """).post("/api/v1/traffic").then().statusCode(400).contentType(PROBLEM)
                .body("violations.field", hasItem("proxy.host"));
        given().get("/api/v1/proxies").then().statusCode(401);
    }

    @Test
    void ingestBacklogsAreShownPerProxyAndSummedAndTheirStartAndEndAreEvents() {
        long topologyRevision = topologyRevision();
        String backlog = "{\"backendId\": \"%s\", \"requestsPerSecond\": 0, "
                + "\"ingest\": {\"records\": %d, \"bytes\": %d, \"oldestAgeMs\": %d, \"diverged\": %d}}";
        trafficReport("feed-1", backlog.formatted(f.b, 7, 700, 3000, 0)).then().statusCode(204);
        trafficReport("feed-2", backlog.formatted(f.b, 5, 500, 8000, 1)).then().statusCode(204);

        agent().get("/api/v1/traffic").then().statusCode(200)
                .body("backends.find { it.backendId == '%s' }.ingest".formatted(f.a), nullValue())
                .body("backends.find { it.backendId == '%s' }.ingest.records".formatted(f.b), equalTo(12))
                .body("backends.find { it.backendId == '%s' }.ingest.bytes".formatted(f.b), equalTo(1200))
                .body("backends.find { it.backendId == '%s' }.ingest.oldestAgeMs".formatted(f.b), equalTo(8000))
                .body("backends.find { it.backendId == '%s' }.ingest.diverged".formatted(f.b), equalTo(1));
        agent().get("/api/v1/proxies").then().statusCode(200)
                .body("proxies.find { it.id == 'feed-1' }.ingest.%s.records".formatted(f.b), equalTo(7))
                .body("proxies.find { it.id == 'feed-2' }.ingest.%s.diverged".formatted(f.b), equalTo(1));
        List<Map<String, Object>> events = agent().get("/api/v1/events?limit=5").then().statusCode(200).extract().jsonPath().getList("$");
        List<Object> types = events.stream().filter(e -> f.b.equals(e.get("backendId"))).map(e -> e.get("type")).toList();
        assertTrue(types.contains("INGEST_BACKLOG_STARTED") && types.contains("INGEST_DIVERGED"), events.toString());

        trafficReport("feed-1", backlog.formatted(f.b, 0, 0, 0, 0)).then().statusCode(204);
        trafficReport("feed-2", backlog.formatted(f.b, 0, 0, 0, 1)).then().statusCode(204);

        agent().get("/api/v1/events?limit=1").then().statusCode(200)
                .body("[0].type", equalTo("INGEST_BACKLOG_CLEARED"))
                .body("[0].backendId", equalTo(f.b))
                .body("[0].message", containsString("every record held for it was delivered"));
        assertEquals(topologyRevision, topologyRevision(), "backlog events are not topology changes");
        agent().contentType(ContentType.JSON).body("""
                {"reporterId": "feed-3", "backends": [{"backendId": "%s", "requestsPerSecond": 0,
                 "ingest": {"records": -1, "bytes": 0, "oldestAgeMs": 0}}]}
                """.formatted(f.b)).post("/api/v1/traffic").then().statusCode(400).contentType(PROBLEM)
                .body("violations.field", equalTo(List.of("backends[0].ingest.diverged", "backends[0].ingest.records")));
    }

    @Test
    void anInvalidTrafficReportListsEveryViolation() {
        trafficReport("proxy 1", "{\"backendId\": \"A!\", \"requestsPerSecond\": -1}").then()
                .statusCode(400).contentType(PROBLEM)
                .body("violations", hasSize(3))
                .body("violations", hasItem(Map.of("field", "reporterId",
                        "message", "must be 1 to 128 characters of letters, digits, '.', '_', ':', '@' or '-'", "line", 1, "column", 2)))
                .body("violations", hasItem(Map.of("field", "backends[0].requestsPerSecond", "message", "must be between 0 and 10000000",
                        "line", 1, "column", 60)));
        trafficReport("proxy-1", "null").then().statusCode(400).contentType(PROBLEM)
                .body("violations", hasItem(Map.of("field", "backends[0]", "message", "must not be null", "line", 1, "column", 40)));
        given().contentType(ContentType.JSON).body("{\"reporterId\": \"p\", \"backends\": []}").post("/api/v1/traffic")
                .then().statusCode(401);
        given().get("/api/v1/traffic").then().statusCode(401);
    }

    private static Response trafficReport(String proxy, String backends) {
        return agent().contentType(ContentType.JSON).body("{\"reporterId\": \"%s\", \"backends\": [%s]}".formatted(proxy, backends))
                .post("/api/v1/traffic");
    }

    // ---------- status page ----------

    @Test
    void theStatusPageIsServedWithoutATokenWhileItsDataNeedsOne() {
        given().get("/").then().statusCode(200).contentType(containsString("text/html"))
                .header("Content-Security-Policy", containsString("default-src 'self'"))
                .header("X-Content-Type-Options", "nosniff")
                .body(containsString("<script src=\"status.js\""))
                .body(containsString("<h2>Control planes</h2>"))
                .body(org.hamcrest.Matchers.not(containsString("http://")))
                .body(org.hamcrest.Matchers.not(containsString("https://")));
        given().get("/status.js").then().statusCode(200).body(containsString("/api/v1/watch")).body(containsString("/api/v1/cluster"));
        given().get("/status.css").then().statusCode(200);
        given().get("/api/v1/state").then().statusCode(401);
    }

    // ---------- watch ----------

    @Test
    void watchAnswersAtOnceWhenBehind() {
        long rev = agent().get("/api/v1/state").jsonPath().getLong("revision");
        agent().get("/api/v1/watch?since=" + (rev - 1)).then().statusCode(200).body("revision", equalTo((int) rev));
    }

    @Test
    void watchWakesOnChange() {
        long rev = agent().get("/api/v1/state").jsonPath().getLong("revision");
        CompletableFuture<Response> watch = CompletableFuture.supplyAsync(
                () -> agent().get("/api/v1/watch?since=" + rev + "&timeoutMs=60000"));

        admin().contentType(ContentType.JSON).body("{\"mode\": \"ACTIVE_ACTIVE\"}").put("/api/v1/mode").then().statusCode(200);

        Response r = watch.join();
        assertEquals(200, r.statusCode());
        assertTrue(r.jsonPath().getLong("revision") > rev);
        assertEquals("ACTIVE_ACTIVE", r.jsonPath().getString("topology.mode"));
    }

    @Test
    void watchTimesOutWith204() {
        long rev = agent().get("/api/v1/state").jsonPath().getLong("revision");
        agent().get("/api/v1/watch?since=" + rev + "&timeoutMs=300").then()
                .statusCode(204)
                .header("X-Dsha-Revision", String.valueOf(rev));
        agent().get("/api/v1/watch?since=" + rev + "&timeoutMs=999999999").then().statusCode(400).contentType(PROBLEM);
    }

    @Test
    void everyWaitingWatchIsAnsweredWithWhatTheChangeAnswered() throws Exception {
        long rev = agent().get("/api/v1/state").jsonPath().getLong("revision");
        ExecutorService proxies = Executors.newFixedThreadPool(3);
        try {
            List<CompletableFuture<Response>> watches = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                watches.add(CompletableFuture.supplyAsync(() -> agent().get("/api/v1/watch?since=" + rev + "&timeoutMs=60000"), proxies));
            }
            Awaitility.await("three watches waiting").atMost(Duration.ofSeconds(30)).until(() -> watchers() >= 3);

            Response change = admin().contentType(ContentType.JSON).body("{\"adminState\": \"DRAIN\"}")
                    .put("/api/v1/backends/" + f.b + "/admin-state");

            assertEquals(200, change.statusCode());
            for (CompletableFuture<Response> watch : watches) {
                Response r = watch.get(30, TimeUnit.SECONDS);
                assertEquals(200, r.statusCode());
                assertTrue(r.contentType().startsWith("application/json"), r.contentType());
                assertEquals(change.header("X-Dsha-Revision"), r.header("X-Dsha-Revision"));
                assertEquals(change.header("ETag"), r.header("ETag"));
                assertEquals("DRAIN", r.jsonPath().getString("topology.backends[1].adminState"));
                assertEquals(change.asString(), r.asString(), "each watch carries the state the change answered with");
            }
        } finally {
            proxies.shutdownNow();
        }
    }

    @Test
    void aDeltaWatchGetsTheChangedVerdictsAndTheWholeStateWhenTheTopologyChanged() {
        settle("c1", f.a, "UP");
        settle("c1", f.b, "UP");
        long rev = agent().get("/api/v1/state").jsonPath().getLong("revision");

        settle("c1", f.b, "DOWN");
        Response delta = agent().get("/api/v1/watch?since=" + rev + "&delta=true");
        assertEquals(200, delta.statusCode());
        assertEquals(rev, delta.jsonPath().getLong("base"));
        assertEquals(delta.header("X-Dsha-Revision"), String.valueOf(delta.jsonPath().getLong("revision")));
        assertEquals(List.of(f.b), delta.jsonPath().getList("verdicts.backendId"), "only the verdict that changed");
        assertEquals("DOWN", delta.jsonPath().getString("verdicts[0].status"));
        assertNull(delta.jsonPath().get("topology"));
        Response whole = agent().get("/api/v1/state");
        assertEquals(whole.jsonPath().getList("routing.active"), delta.jsonPath().getList("routing.active"));
        // Without the parameter, the same watch gets the whole snapshot, as before.
        assertEquals(whole.asString(), agent().get("/api/v1/watch?since=" + rev).asString());

        long before = whole.jsonPath().getLong("revision");
        admin().contentType(ContentType.JSON).body("{\"adminState\": \"DRAIN\"}").put("/api/v1/backends/" + f.a + "/admin-state")
                .then().statusCode(200);
        Response afterTopology = agent().get("/api/v1/watch?since=" + before + "&delta=true");
        assertNull(afterTopology.jsonPath().get("base"), "the topology changed: the whole state");
        assertEquals("DRAIN", afterTopology.jsonPath().getString("topology.backends[0].adminState"));
        // A base it never answered with: the whole state too.
        assertNull(agent().get("/api/v1/watch?since=0&delta=true").jsonPath().get("base"));
    }

    /** Watch requests waiting for a change, from the metrics. */
    private static double watchers() {
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        return metrics.lines().filter(l -> l.startsWith("dsha_watchers ")).mapToDouble(l -> Double.parseDouble(l.substring(l.indexOf(' ') + 1)))
                .findFirst().orElse(0);
    }

    // ---------- events ----------

    @Test
    void eventsAreNewestFirstAndNameTheOperator() {
        admin().header("X-Dsha-Actor", "bob").contentType(ContentType.JSON).body("{\"mode\": \"ACTIVE_ACTIVE\"}")
                .put("/api/v1/mode").then().statusCode(200);

        List<Map<String, Object>> events = agent().get("/api/v1/events?limit=5").then().statusCode(200)
                .extract().jsonPath().getList("$");
        assertEquals("MODE_CHANGED", events.get(0).get("type"));
        assertEquals("bob", events.get(0).get("actor"));
        assertEquals("ACTIVE_PASSIVE", events.get(0).get("from"));
        assertEquals("ACTIVE_ACTIVE", events.get(0).get("to"));
        for (int i = 1; i < events.size(); i++) {
            assertTrue(((Number) events.get(i - 1).get("seq")).longValue() > ((Number) events.get(i).get("seq")).longValue());
        }
        agent().get("/api/v1/events?limit=0").then().statusCode(400).contentType(PROBLEM);
    }

    @Test
    void anOperatorWithoutActorHeaderIsNamedByAddress() {
        admin().contentType(ContentType.JSON).body("{\"mode\": \"ACTIVE_ACTIVE\"}").put("/api/v1/mode").then().statusCode(200);
        agent().get("/api/v1/events?limit=1").then().body("[0].actor", equalTo("admin@127.0.0.1"));
    }

    // ---------- cluster ----------

    @Test
    void withTheFileStoreTheClusterIsThisControlPlaneAloneLeading() {
        Response r = agent().get("/api/v1/cluster").then().statusCode(200).contentType(ContentType.JSON)
                .body("store", equalTo("file"))
                .body("replicas", hasSize(1))
                .body("etcd", hasSize(0))
                .body("replicas[0].role", equalTo("LEADER"))
                .body("replicas[0].url", org.hamcrest.Matchers.endsWith(":" + io.restassured.RestAssured.port))
                .extract().response();
        String self = r.jsonPath().getString("self");
        assertEquals(self, r.jsonPath().getString("replicas[0].id"));
        assertEquals(r.jsonPath().getMap("replicas[0]"), r.jsonPath().getMap("leader"), "it leads");
        java.time.Instant.parse(r.jsonPath().getString("leader.since"));
        assertTrue(!r.jsonPath().getString("leader.version").isBlank());
        admin().get("/api/v1/cluster").then().statusCode(200).body("self", equalTo(self));
    }

    // ---------- security ----------

    @Test
    void withoutATokenIs401() {
        given().get("/api/v1/state").then()
                .statusCode(401).contentType(PROBLEM)
                .header("WWW-Authenticate", containsString("Bearer"))
                .body("status", equalTo(401));
        given().auth().oauth2("not-a-token-at-all-xxxxxx").get("/api/v1/state").then().statusCode(401);
        given().header("Authorization", "Basic YWRtaW46YWRtaW4=").get("/api/v1/state").then().statusCode(401);
        given().get("/api/v1/cluster").then().statusCode(401).contentType(PROBLEM);
    }

    @Test
    void theAgentTokenMayReadAndReportButNotChange() {
        agent().get("/api/v1/state").then().statusCode(200);
        agent().get("/api/v1/topology").then().statusCode(200);
        agent().get("/api/v1/events").then().statusCode(200);
        report("c1", f.a, "UP");

        agent().contentType(ContentType.JSON).body("{\"mode\": \"ACTIVE_ACTIVE\"}").put("/api/v1/mode")
                .then().statusCode(403).contentType(PROBLEM);
        agent().contentType(ContentType.JSON).body(f.topology("ACTIVE_ACTIVE", "AUTO", 0)).put("/api/v1/topology")
                .then().statusCode(403);
        agent().delete("/api/v1/backends/" + f.a).then().statusCode(403);
        agent().post("/api/v1/failback").then().statusCode(403);
        admin().get("/api/v1/topology").then().body("mode", equalTo("ACTIVE_PASSIVE"));
    }

    // ---------- operations ----------

    @Test
    void readinessMetricsAndOpenApi() {
        given().get("/q/health/ready").then().statusCode(200)
                .body("checks.find { it.name == 'state' }.status", equalTo("UP"));
        settle("c1", f.a, "UP");
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        for (String name : List.of("dsha_revision", "dsha_backend_verdict{backend=\"" + f.a + "\",status=\"UP\"} 1.0",
                "dsha_failovers_total", "dsha_failbacks_total", "dsha_reports_received_total{source=\"CHECKER\"}",
                "dsha_backend_degraded{backend=\"" + f.a + "\"} 0.0", "dsha_controlplane_store_write_failures_total")) {
            assertTrue(metrics.contains(name), name + " in\n" + metrics);
        }
        // A change that leaves the verdicts alone leaves their gauges alone; the next verdict change moves them.
        admin().contentType(ContentType.JSON).body("{\"adminState\": \"DRAIN\"}").put("/api/v1/backends/" + f.a + "/admin-state")
                .then().statusCode(200);
        assertTrue(given().get("/q/metrics").asString().contains("dsha_backend_verdict{backend=\"" + f.a + "\",status=\"UP\"} 1.0"));
        settle("c1", f.a, "DOWN");
        String after = given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertTrue(after.contains("dsha_backend_verdict{backend=\"" + f.a + "\",status=\"DOWN\"} 1.0"), after);
        assertTrue(after.contains("dsha_backend_verdict{backend=\"" + f.a + "\",status=\"UP\"} 0.0"), after);
        given().get("/q/openapi").then().statusCode(200)
                .body(containsString("/api/v1/topology"))
                .body(containsString("/api/v1/watch"));
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
