package io.dsha.health;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.dsha.health.support.Blackhole;
import io.dsha.health.support.CheckerProcess;
import io.dsha.health.support.SimulatedDataStack;
import io.dsha.health.support.TestCa;
import io.dsha.testkit.ControlPlaneProcess;
import io.dsha.testkit.ProcessOutputOnFailure;
import io.vertx.core.Vertx;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real control plane and real checkers as processes, against stand-in DataStack instances on
 * free ports that the test flips, stops and freezes.
 */
@ExtendWith(ProcessOutputOnFailure.class)
class CheckerIT {

    private static final String FQDN = "datastack.example.com";

    @TempDir
    static Path dir;

    private static Vertx vertx;
    private static TestCa ca;
    private static ControlPlaneProcess cp;
    private static CheckerProcess checker;
    private final List<AutoCloseable> perTest = new ArrayList<>();

    @BeforeAll
    static void start() {
        vertx = Vertx.vertx();
        ca = new TestCa();
        cp = new ControlPlaneProcess(dir.resolve("cp"));
        checker = CheckerProcess.start(cp.url(), "edge-1", Map.of("dsha.trust-store-file", ca.writeCaPem(dir).toString())).awaitStarted();
    }

    @AfterAll
    static void stop() {
        if (checker != null) {
            checker.close();
        }
        if (cp != null) {
            cp.close();
        }
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    @AfterEach
    void closePerTest() throws Exception {
        for (AutoCloseable c : perTest) {
            c.close();
        }
    }

    private <T extends AutoCloseable> T track(T c) {
        perTest.add(c);
        return c;
    }

    private static ConditionFactory within(int seconds) {
        return await().atMost(Duration.ofSeconds(seconds)).pollInterval(Duration.ofMillis(50));
    }

    private static String backend(String id, int port, String check) {
        return "{\"id\":\"" + id + "\",\"host\":\"127.0.0.1\",\"port\":" + port + ",\"healthCheck\":" + check + "}";
    }

    private static String httpCheck() {
        return "{\"type\":\"HTTP\",\"path\":\"/health\",\"intervalMs\":1000,\"timeoutMs\":800,\"rise\":2,\"fall\":2}";
    }

    private static String topology(String extra, String... backends) {
        return "{\"listener\":{\"host\":\"127.0.0.1\",\"port\":9},\"mode\":\"ACTIVE_PASSIVE\",\"fqdn\":\"" + FQDN + "\","
                + "\"failback\":{\"policy\":\"AUTO\",\"delayMs\":0}" + extra + ",\"backends\":[" + String.join(",", backends) + "]}";
    }

    private static String status(String id) {
        return cp.verdict(id).path("status").asText();
    }

    private static List<String> active() {
        return StreamSupport.stream(cp.stateJson().path("routing").path("active").spliterator(), false).map(JsonNode::asText).toList();
    }

    private static void flip(SimulatedDataStack ds, int code) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ds.port() + "/health/" + code))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
    }

    /** Backends a (preferred) and b, both seen UP. */
    private SimulatedDataStack[] twoBackendsUp() {
        SimulatedDataStack a = track(new SimulatedDataStack(vertx));
        SimulatedDataStack b = track(new SimulatedDataStack(vertx));
        cp.putTopology(topology("", backend("a", a.port(), httpCheck()), backend("b", b.port(), httpCheck())));
        within(20).until(() -> status("a").equals("UP") && status("b").equals("UP"));
        return new SimulatedDataStack[] {a, b};
    }

    @Test
    void aBackendFlippedOverHttpGoesDownAndUpAndTrafficFollows() throws Exception {
        SimulatedDataStack[] ab = twoBackendsUp();
        SimulatedDataStack a = ab[0];
        assertEquals(List.of("a"), active());
        assertEquals(200, checker.ready().statusCode());

        flip(a, 500);
        within(20).until(() -> status("a").equals("DOWN"));
        assertEquals(List.of("b"), active());
        assertTrue(cp.verdict("a").path("votes").get(0).path("reason").asText().contains("HTTP 500"), cp.verdict("a").toString());

        flip(a, 200);
        within(20).until(() -> status("a").equals("UP") && active().equals(List.of("a")));

        a.freeze(true);
        within(20).until(() -> status("a").equals("DOWN"));
        assertTrue(cp.verdict("a").path("votes").get(0).path("reason").asText().startsWith("timed out"));
        a.freeze(false);
        a.stop();
        within(20).until(() -> cp.verdict("a").path("votes").get(0).path("reason").asText().equals("connection refused"));

        String metrics = checker.metrics();
        assertTrue(metrics.contains("dsha_health_probes_total{backend=\"a\",result=\"down\"}"), metrics);
        assertTrue(metrics.contains("dsha_health_probe_seconds_count{backend=\"b\"}"), metrics);
    }

    @Test
    void controlPlaneDownThenBackReportsAreDeliveredNewestPerBackendKept() throws Exception {
        SimulatedDataStack[] ab = twoBackendsUp();
        SimulatedDataStack a = ab[0];

        cp.stop();
        try {
            within(20).until(() -> checker.ready().statusCode() == 503);
            assertEquals(200, HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(checker.ready().uri().toString().replace("ready", "live")))
                    .build(), HttpResponse.BodyHandlers.ofString()).statusCode(), "liveness does not depend on the control plane");
            flip(a, 503);
            // Probing goes on; only the newest observation per backend waits, however many probes run.
            within(20).until(() -> checker.metrics().contains("dsha_health_probes_total{backend=\"a\",result=\"down\"}"));
            within(20).until(() -> pending() == 2);
            double probesBefore = probes();
            within(20).until(() -> probes() > probesBefore + 10);
            assertEquals(2, pending(), "bounded by the number of backends");
        } finally {
            cp.restart();
        }
        within(30).until(() -> checker.ready().statusCode() == 200);
        within(20).until(() -> status("a").equals("DOWN"));
        assertEquals(List.of("b"), active());
        // What waited is delivered: the buffer empties. Probing goes on meanwhile, so a probe may land between a report
        // and this read (pending 1 until the next report, sent at once): wait for the empty buffer, do not sample it.
        within(10).until(() -> pending() == 0);
        assertTrue(checker.metrics().contains("dsha_health_reports_total{result=\"failed\"}"));
    }

    private static int pending() throws Exception {
        return io.dsha.api.json.DshaJson.mapper().readTree(checker.ready().body()).path("checks").get(0).path("data").path("pendingObservations").asInt();
    }

    private static boolean hasVoteFrom(JsonNode verdict, String reporterId) {
        for (JsonNode vote : verdict.path("votes")) {
            if (reporterId.equals(vote.path("reporterId").asText())) {
                return true;
            }
        }
        return false;
    }

    /** Probes this checker has run, from its metrics. */
    private static double probes() {
        return checker.metrics().lines().filter(l -> l.startsWith("dsha_health_probes_total{"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    @Test
    void aCheckerCutOffFromEveryBackendIsIsolatedAndCausesNoFailover() throws Exception {
        SimulatedDataStack a = track(new SimulatedDataStack(vertx));
        SimulatedDataStack b = track(new SimulatedDataStack(vertx));
        Blackhole hole = track(new Blackhole(vertx));
        cp.putTopology(topology("", backend("a", a.port(), httpCheck()), backend("b", b.port(), httpCheck())));
        within(20).until(() -> status("a").equals("UP") && status("b").equals("UP") && active().equals(List.of("a")));
        long seq = cp.lastEventSeq();
        CheckerProcess second = track(CheckerProcess.start(cp.url(), "edge-2", Map.of()));
        CheckerProcess cut = track(CheckerProcess.start(cp.url(), "edge-3", Map.of("dsha.address.a", hole.address(), "dsha.address.b", hole.address())));
        second.awaitStarted();
        cut.awaitStarted();

        within(30).until(() -> cp.hasEvent(seq, "CHECKER_ISOLATED", "edge-3"));
        // edge-2 starts with edge-3 but may report later (a loaded machine): its vote must be in before counting.
        within(30).until(() -> hasVoteFrom(cp.verdict("a"), "edge-2"));
        assertEquals("UP", status("a"));
        assertEquals("UP", status("b"));
        assertEquals(List.of("a"), active());
        JsonNode verdict = cp.verdict("a");
        assertEquals(2, verdict.path("liveCheckers").asInt(), verdict.toString());
        assertFalse(cp.hasEvent(seq, "FAILOVER", ""), () -> "no failover: " + cp.events());
    }

    @Test
    void twoCheckersThatDisagreeLeaveTheVerdictDisputedWithoutFlapping() throws Exception {
        SimulatedDataStack a = track(new SimulatedDataStack(vertx));
        SimulatedDataStack b = track(new SimulatedDataStack(vertx));
        Blackhole hole = track(new Blackhole(vertx));
        cp.putTopology(topology("", backend("a", a.port(), httpCheck()), backend("b", b.port(), httpCheck())));
        within(20).until(() -> status("a").equals("UP"));
        // From here on: a first probe that timed out on a loaded machine (a DOWN before it came UP) is no flap.
        long seq = cp.lastEventSeq();
        long revisionBefore = cp.stateJson().path("revision").asLong();
        CheckerProcess other = track(CheckerProcess.start(cp.url(), "edge-4", Map.of("dsha.address.a", hole.address())).awaitStarted());

        within(30).until(() -> cp.verdict("a").path("flags").toString().contains("DISPUTED"));
        // It stays so while both go on probing: no verdict change, no failover.
        within(5).during(Duration.ofSeconds(2)).until(() -> status("a").equals("UP")
                && cp.verdict("a").path("flags").toString().contains("DISPUTED") && active().equals(List.of("a")));
        assertFalse(cp.hasEvent(seq, "VERDICT_CHANGED", "a is DOWN"), () -> "never flapped to DOWN: " + cp.events());
        assertTrue(cp.stateJson().path("revision").asLong() > revisionBefore);
        other.close();
    }

    @Test
    void aLaggingInstanceIsDegradedWithItsLagAndRecovers() throws Exception {
        SimulatedDataStack a = track(new SimulatedDataStack(vertx));
        SimulatedDataStack b = track(new SimulatedDataStack(vertx));
        long now = System.currentTimeMillis();
        a.lastRecordTime(now);
        b.lastRecordTime(now - 60_000);
        long seq = cp.lastEventSeq();
        cp.putTopology(topology(",\"freshness\":{\"path\":\"/status\",\"pointer\":\"/ingest/lastRecordTime\",\"maxLag\":5000,\"intervalMs\":200,\"timeoutMs\":100}",
                backend("a", a.port(), httpCheck()), backend("b", b.port(), httpCheck())));

        within(20).until(() -> status("b").equals("DEGRADED") && status("a").equals("UP"));
        JsonNode v = cp.verdict("b");
        assertEquals(60_000, v.path("lag").asLong(), v.toString());
        assertTrue(v.path("degraded").get(0).asText().equals("data lags the freshest instance (a) by more than 5000 ms"), v.toString());
        within(10).until(() -> cp.hasEvent(seq, "LAG_STARTED", "b's data lags the freshest instance by 60000 ms"));
        within(10).until(() -> checker.metrics().contains("dsha_health_freshness_lag{backend=\"b\"} 60000.0"));

        b.lastRecordTime(now);
        within(20).until(() -> status("b").equals("UP"));
        within(10).until(() -> cp.hasEvent(seq, "LAG_ENDED", "b's data has caught up"));
    }

    @Test
    void selfSignedExpiredAndWrongNameCertificatesAreEachReportedWithTheirReasonAndStayInRotation() throws Exception {
        SimulatedDataStack good = track(new SimulatedDataStack(vertx, ca.issue(300, FQDN).keyCert()));
        SimulatedDataStack selfSigned = track(new SimulatedDataStack(vertx, TestCa.selfSigned(FQDN).keyCert()));
        SimulatedDataStack expired = track(new SimulatedDataStack(vertx, ca.issue(-1, FQDN).keyCert()));
        SimulatedDataStack wrongName = track(new SimulatedDataStack(vertx, ca.issue(300, "elsewhere.example.com").keyCert()));
        String tls = "{\"type\":\"TLS\",\"intervalMs\":300,\"timeoutMs\":200}";
        String https = "{\"type\":\"HTTP\",\"tls\":true,\"path\":\"/health\",\"intervalMs\":300,\"timeoutMs\":200}";
        long seq = cp.lastEventSeq();
        cp.putTopology(topology("", backend("good", good.port(), tls), backend("self", selfSigned.port(), https),
                backend("expired", expired.port(), tls), backend("wrongname", wrongName.port(), tls)));

        within(20).until(() -> status("wrongname").equals("UP") && status("self").equals("UP") && status("expired").equals("UP")
                && !cp.verdict("wrongname").path("degraded").isMissingNode());
        assertTrue(cp.verdict("good").path("degraded").isMissingNode(), cp.verdict("good").toString());
        assertTrue(cp.verdict("self").path("degraded").get(0).asText().startsWith("certificate is self-signed (CN=" + FQDN + ")"));
        assertTrue(cp.verdict("self").path("flags").toString().contains("DEGRADED"));
        assertTrue(cp.verdict("expired").path("degraded").get(0).asText().startsWith("certificate expired on "));
        assertEquals("certificate does not name " + FQDN + " (it names: elsewhere.example.com)", cp.verdict("wrongname").path("degraded").get(0).asText());
        assertTrue(cp.hasEvent(seq, "DEGRADED", "self is degraded: certificate is self-signed"));
        assertTrue(checker.metrics().contains("dsha_health_certificate_days_to_expiry{backend=\"good\"} 299.0"), checker.metrics());
        // The days left go with every vote, for the status page.
        assertEquals(299, cp.verdict("good").path("votes").get(0).path("daysToExpiry").asLong(), cp.verdict("good").toString());
        assertTrue(cp.verdict("expired").path("votes").get(0).path("daysToExpiry").asLong() < 0, cp.verdict("expired").toString());
    }

    @Test
    void theProxysOwnSelfSignedCertificateMakesTheListenerDegraded() throws Exception {
        twoBackendsUp();
        long seq = cp.lastEventSeq();
        SimulatedDataStack proxyListener = track(new SimulatedDataStack(vertx, TestCa.selfSigned(FQDN).keyCert()));
        track(CheckerProcess.start(cp.url(), "edge-5", Map.of("dsha.trust-store-file", dir.resolve("ca.crt").toString(),
                "dsha.listener.address", "127.0.0.1:" + proxyListener.port(), "dsha.listener.interval", "500ms", "dsha.listener.timeout", "400ms")).awaitStarted());

        within(20).until(() -> !cp.stateJson().path("listener").path("degraded").isMissingNode());
        JsonNode listener = cp.stateJson().path("listener");
        assertTrue(listener.path("degraded").get(0).asText().startsWith("certificate is self-signed (CN=" + FQDN + ")"), listener.toString());
        assertEquals("[\"DEGRADED\"]", listener.path("flags").toString());
        assertTrue(cp.hasEvent(seq, "DEGRADED", "the proxy's listener (" + FQDN + ":9) is degraded: certificate is self-signed"));
        assertEquals(List.of("a"), active(), "the backends are not affected");
    }

    @Test
    void aWrongTokenKeepsTheCheckerUnreadyAndSaysWhy() {
        twoBackendsUp();
        try (CheckerProcess wrong = CheckerProcess.start(cp.url(), "edge-6", Map.of("dsha.agent-token", "not-the-agent-token-0000")).awaitStarted()) {
            within(20).until(() -> wrong.ready().body().contains("401"));
            assertEquals(503, wrong.ready().statusCode());
            assertTrue(wrong.process().output().contains("Cannot use the control plane at " + cp.url()), wrong.process().output());
        }
    }

    @Test
    void aConfigurationThatCannotWorkStopsTheServiceWithEveryProblemNamed() {
        try (CheckerProcess bad = CheckerProcess.start("ftp://nowhere", "bad id with spaces", Map.of("dsha.trust-store-file", "/nonexistent/ca.pem",
                "dsha.listener.address", "no-port"))) {
            within(30).until(() -> !bad.process().alive());
            String out = bad.process().output();
            assertTrue(out.contains("Not starting: invalid configuration: dsha.control-plane.url must be http(s)://host:port, got ftp://nowhere"), out);
            assertTrue(out.contains("dsha.checker-id must be 1 to 128 characters"), out);
            assertTrue(out.contains("dsha.trust-store-file: /nonexistent/ca.pem"), out);
            assertTrue(out.contains("dsha.listener.address must be host:port, got no-port"), out);
        }
    }
}
