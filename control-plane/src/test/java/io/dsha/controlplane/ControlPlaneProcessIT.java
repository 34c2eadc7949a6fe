package io.dsha.controlplane;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dsha.etcdproc.EtcdCluster;
import io.dsha.testkit.etcd.TestEtcd;
import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * End-to-end tests of the packaged control plane: each test starts the real
 * {@code target/quarkus-app/quarkus-run.jar} as a separate JVM (what an operator runs), on a free
 * port, with its own state directory, and looks at what it serves, what it prints, its exit status
 * and what it leaves on disk. Run by failsafe after {@code package}.
 */
@Timeout(180)
class ControlPlaneProcessIT {

    /** failsafe runs with the module directory (control-plane/) as working directory. */
    private static final Path JAR = Path.of("target/quarkus-app/quarkus-run.jar").toAbsolutePath();

    private static final String ADMIN = "it-admin-token-0123456789abcdef";
    private static final String AGENT = "it-agent-token-0123456789abcdef";
    private static final List<String> TOKENS = List.of("-Ddsha.admin-token=" + ADMIN, "-Ddsha.agent-token=" + AGENT);

    /** Generous bounds for slow CI machines; a healthy start takes a few seconds. */
    private static final Duration START = Duration.ofSeconds(90);
    private static final Duration EXIT = Duration.ofSeconds(60);
    /** The validate command must finish without starting Quarkus' HTTP server. */
    private static final Duration VALIDATE = Duration.ofSeconds(20);

    private static final Pattern LISTENING = Pattern.compile("Listening on: (https?://[^\\s,]+)");

    /**
     * Two backends with a long health-check interval, so the checker liveness window (3 intervals)
     * outlasts the test: no time-driven STALE re-evaluation can bump the revision while the first
     * process runs.
     */
    private static final String TOPOLOGY = """
            # written by ControlPlaneProcessIT
            listener:
              host: 0.0.0.0
              port: 8443
            fqdn: datastack.example.com
            tlsMode: TERMINATE
            mode: ACTIVE_PASSIVE
            failback:
              policy: MANUAL
            backends:
              - id: a
                host: 127.0.0.1
                port: 18081
                priority: 0
                healthCheck: {type: HTTP, path: /health, intervalMs: 60000, timeoutMs: 1000}
              - id: b
                host: 127.0.0.1
                port: 18082
                priority: 1
                healthCheck: {type: TCP, intervalMs: 60000, timeoutMs: 1000}
            """;

    @TempDir
    Path tmp;

    private final List<Running> processes = new ArrayList<>();

    @BeforeAll
    static void jarIsBuilt() {
        assertTrue(Files.isRegularFile(JAR), JAR + " is missing: package the control plane first (./mvnw verify runs this IT after package)");
    }

    @AfterEach
    void stopEverything() {
        for (Running r : processes) {
            r.stop();
        }
    }

    // ---------------------------------------------------------------------------------------------

    @Test
    void restartKeepsRevisionTopologyAndEvents() throws IOException {
        Path stateDir = tmp.resolve("state");
        Path topologyFile = write("topology.yaml", TOPOLOGY);

        Running first = startServing(stateDir, "-Ddsha.topology-file=" + topologyFile);
        admin(first).body("{\"mode\":\"ACTIVE_ACTIVE\"}").contentType("application/json")
                .put("/api/v1/mode")
                .then().statusCode(200).body("topology.mode", equalTo("ACTIVE_ACTIVE"));
        agent(first).contentType("application/json")
                .body("""
                        {"source":"CHECKER","reporterId":"it-checker-1","observations":[
                          {"backendId":"a","status":"UP","reason":"200 OK","latencyMs":3},
                          {"backendId":"b","status":"UP","reason":"connected","latencyMs":1}]}
                        """)
                .post("/api/v1/reports")
                .then().statusCode(202).body("accepted", equalTo(2));

        JsonPath before = state(first);
        List<Map<String, Object>> eventsBefore = events(first);
        // What this test relies on actually happened before the restart.
        assertEquals("ACTIVE_ACTIVE", before.getString("topology.mode"));
        assertEquals(List.of("UP", "UP"), before.getList("verdicts.status"));
        assertEquals(List.of("a", "b"), before.getList("routing.active"));
        assertTrue(eventsBefore.size() >= 3, "seed, mode change and verdicts are events: " + eventsBefore);

        first.stop();
        assertFalse(first.process.isAlive());
        assertTrue(Files.isRegularFile(stateDir.resolve("state.json")));

        // The same topology file again: state exists, so the file (mode ACTIVE_PASSIVE) must be ignored.
        Running second = startServing(stateDir, "-Ddsha.topology-file=" + topologyFile);
        JsonPath after = state(second);

        assertEquals(before.getLong("revision"), after.getLong("revision"), "revision after restart");
        assertEquals(before.getLong("topologyRevision"), after.getLong("topologyRevision"), "topologyRevision after restart");
        assertEquals(before.getMap("topology"), after.getMap("topology"), "topology after restart");
        assertEquals("ACTIVE_ACTIVE", after.getString("topology.mode"), "the seeding file must not override existing state");
        assertEquals(before.getList("routing.active"), after.getList("routing.active"), "routing.active after restart");
        assertEquals(before.getBoolean("routing.allDown"), after.getBoolean("routing.allDown"), "routing.allDown after restart");
        assertEquals(before.getList("verdicts.backendId"), after.getList("verdicts.backendId"));
        assertEquals(before.getList("verdicts.status"), after.getList("verdicts.status"), "verdict statuses after restart");
        List<List<String>> flags = after.getList("verdicts.flags");
        for (List<String> f : flags) {
            assertTrue(Set.of("STALE").containsAll(f), "only STALE may be added by a restart: " + flags);
        }
        assertEquals(eventsBefore, events(second), "event history after restart");
        assertTrue(second.output().contains("is not used"), "the log says the topology file was not used:\n" + second.output());
    }

    @Test
    void aKilledControlPlaneComesBackWithEveryAcknowledgedChange() throws IOException {
        Path stateDir = tmp.resolve("state");
        Running first = startServing(stateDir, "-Ddsha.topology-file=" + write("topology.yaml", TOPOLOGY));
        admin(first).body("{\"mode\":\"ACTIVE_ACTIVE\"}").contentType("application/json").put("/api/v1/mode").then().statusCode(200);
        long acknowledged = 0;
        for (String adminState : List.of("DRAIN", "ENABLED", "MAINTENANCE")) {
            acknowledged = admin(first).body("{\"adminState\":\"" + adminState + "\"}").contentType("application/json")
                    .put("/api/v1/backends/b/admin-state")
                    .then().statusCode(200).extract().jsonPath().getLong("revision");
        }
        JsonPath before = state(first);
        List<Map<String, Object>> eventsBefore = events(first);
        assertEquals(acknowledged, before.getLong("revision"), "nothing else changed the state meanwhile");
        assertEquals("MAINTENANCE", before.getString("topology.backends[1].adminState"));
        assertTrue(Files.size(stateDir.resolve("state.journal")) > 0, "the changes after the seed are in the journal");

        // SIGKILL: no shutdown hook runs, nothing is written after the last answer.
        first.process.destroyForcibly();
        first.awaitExit(EXIT);

        Running second = startServing(stateDir);
        JsonPath after = state(second);
        assertEquals(acknowledged, after.getLong("revision"), "revision after the kill");
        assertEquals(before.getLong("topologyRevision"), after.getLong("topologyRevision"), "topologyRevision after the kill");
        assertEquals(before.getMap("topology"), after.getMap("topology"), "topology after the kill");
        assertEquals(before.getList("routing.active"), after.getList("routing.active"), "routing.active after the kill");
        assertEquals(before.getList("verdicts.status"), after.getList("verdicts.status"), "verdicts after the kill");
        assertEquals(eventsBefore, events(second), "event history after the kill");
    }

    // ---- dsha.store=etcd: the state in a real etcd (started once for these tests), not on the host's disk

    private static EtcdCluster etcd;
    private static int etcdPrefixes;

    /** {@code dsha.store=etcd} on a prefix of its own (one per test) of the shared etcd. */
    private static List<String> onEtcd(String prefix) {
        synchronized (ControlPlaneProcessIT.class) {
            if (etcd == null) {
                etcd = TestEtcd.start(1);
            }
        }
        return onEtcd(etcd, prefix);
    }

    /** {@code dsha.store=etcd} on every member of {@code cluster}, under {@code prefix}. */
    private static List<String> onEtcd(EtcdCluster cluster, String prefix) {
        return List.of("-Ddsha.store=etcd", "-Ddsha.etcd.endpoints=" + String.join(",", cluster.clientUrls()), "-Ddsha.etcd.prefix=" + prefix);
    }

    /**
     * Both tokens, {@code store}'s settings and {@code props}, on a port picked free now: control planes on etcd tell
     * each other their URL ({@code dsha.advertise-url}), so the port must be known before start.
     */
    private static List<String> with(List<String> store, String... props) {
        List<String> all = withTokens(props);
        all.addAll(store);
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        all.add("-Dquarkus.http.port=" + port);
        all.add("-Ddsha.advertise-url=http://127.0.0.1:" + port);
        return all;
    }

    private static synchronized String etcdPrefix() {
        return "/dsha-it-" + (++etcdPrefixes) + "/";
    }

    @AfterAll
    static void stopEtcd() {
        if (etcd != null) {
            etcd.close();
        }
    }

    @Test
    void onEtcdAKilledControlPlaneComesBackWithEveryAcknowledgedChangeOnAnotherHost() throws IOException {
        List<String> store = onEtcd(etcdPrefix());
        List<String> seeded = with(store, "-Ddsha.topology-file=" + write("topology.yaml", TOPOLOGY));
        Running first = startServing(tmp.resolve("host-1"), seeded);
        admin(first).body("{\"mode\":\"ACTIVE_ACTIVE\"}").contentType("application/json").put("/api/v1/mode").then().statusCode(200);
        long acknowledged = admin(first).body("{\"adminState\":\"DRAIN\"}").contentType("application/json")
                .put("/api/v1/backends/b/admin-state").then().statusCode(200).extract().jsonPath().getLong("revision");
        JsonPath before = state(first);
        List<Map<String, Object>> eventsBefore = events(first);
        assertEquals(acknowledged, before.getLong("revision"));
        assertFalse(Files.exists(tmp.resolve("host-1").resolve("state.json")), "with dsha.store=etcd nothing is kept on the host");

        first.process.destroyForcibly();
        first.awaitExit(EXIT);

        // Another host: an empty state directory, the same etcd.
        Running second = startServing(tmp.resolve("host-2"), with(store));
        JsonPath after = state(second);
        assertEquals(acknowledged, after.getLong("revision"), "revision after the kill");
        assertEquals(before.getMap("topology"), after.getMap("topology"), "topology after the kill");
        assertEquals(before.getList("verdicts.status"), after.getList("verdicts.status"), "verdicts after the kill");
        assertEquals(eventsBefore, events(second), "event history after the kill");
        given().baseUri(second.baseUri()).get("/q/health/ready").then().statusCode(200)
                .body("checks.find { it.name == 'state' }.data.stateFile", org.hamcrest.Matchers.containsString("etcd"));
    }

    @Test
    void twoControlPlanesOnOneEtcdServeOneStateAndRefuseAStaleIfMatchEither() throws IOException {
        List<Running> pair = twoOnEtcd();
        Running a = pair.get(0);
        Running b = pair.get(1);
        String etag = admin(a).get("/api/v1/topology").then().statusCode(200).extract().header("ETag");
        String yaml = TOPOLOGY.replace("mode: ACTIVE_PASSIVE", "mode: ACTIVE_ACTIVE");

        long written = admin(b).header("If-Match", etag).contentType("application/yaml").body(yaml.getBytes(StandardCharsets.UTF_8)).put("/api/v1/topology")
                .then().log().ifValidationFails().statusCode(200).extract().jsonPath().getLong("revision");
        await("a sees b's change").atMost(START).until(() -> state(a).getLong("revision") >= written);
        assertEquals("ACTIVE_ACTIVE", state(a).getString("topology.mode"));

        // The same If-Match again, at either replica: that revision is gone.
        for (Running r : List.of(a, b)) {
            admin(r).header("If-Match", etag).contentType("application/yaml").body(TOPOLOGY.getBytes(StandardCharsets.UTF_8)).put("/api/v1/topology")
                    .then().statusCode(412);
        }
        assertEquals("ACTIVE_ACTIVE", state(b).getString("topology.mode"), "a refused change changes nothing");
    }

    /** The prefix of the last {@link #twoOnEtcd()}. */
    private String pairPrefix;

    /** The {@code revision} of every version of the state key etcd keeps, oldest first (from etcd's own history). */
    private static List<Long> stateHistory(String prefix) {
        String url = etcd.clientUrls().get(0);
        String key = java.util.Base64.getEncoder().encodeToString((prefix + "state").getBytes(StandardCharsets.UTF_8));
        long head = given().baseUri(url).contentType("application/json").body("{\"key\":\"" + key + "\"}").post("/v3/kv/range")
                .then().statusCode(200).extract().jsonPath().getLong("header.revision");
        List<Long> revisions = new ArrayList<>();
        String lastMod = null;
        for (long r = 1; r <= head; r++) {
            JsonPath j = given().baseUri(url).contentType("application/json")
                    .body("{\"key\":\"" + key + "\",\"revision\":\"" + r + "\"}").post("/v3/kv/range").then().statusCode(200).extract().jsonPath();
            List<Map<String, Object>> kvs = j.getList("kvs");
            if (kvs == null || kvs.isEmpty() || kvs.get(0).get("mod_revision").equals(lastMod)) {
                continue;
            }
            lastMod = (String) kvs.get(0).get("mod_revision");
            String doc = new String(java.util.Base64.getDecoder().decode((String) kvs.get(0).get("value")), StandardCharsets.UTF_8);
            revisions.add(JsonPath.from(doc).getLong("revision"));
        }
        return revisions;
    }

    private static void signal(String name, Running r) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, String.valueOf(r.process.pid())).inheritIO().start();
        assertEquals(0, kill.waitFor(), "kill -" + name);
    }

    @Test
    void aLeaderFrozenPastItsLeaseWritesNothingOnWakingAndFollows() throws Exception {
        List<Running> byRole = leaderFirst(twoOnEtcd());
        Running leader = byRole.get(0);
        Running other = byRole.get(1);

        signal("STOP", leader);
        try {
            await("the other leads").atMost(Duration.ofSeconds(30)).until(() -> "LEADER".equals(role(other)));
            admin(other).body("{\"mode\":\"ACTIVE_ACTIVE\"}").contentType("application/json").put("/api/v1/mode").then().statusCode(200);
        } finally {
            signal("CONT", leader);
        }
        await("the frozen one wakes as a follower").atMost(START).until(() -> "FOLLOWER".equals(role(leader)));
        long now = state(other).getLong("revision");
        await("and serves the new leader's state").atMost(START).until(() -> state(leader).getLong("revision") >= now);
        assertEquals("ACTIVE_ACTIVE", state(leader).getString("topology.mode"));

        // etcd's own history of the state: every revision written once, in order, none by two leaders.
        List<Long> history = stateHistory(pairPrefix);
        for (int i = 1; i < history.size(); i++) {
            assertEquals(history.get(i - 1) + 1, history.get(i), "the state's revisions in etcd: " + history);
        }
        assertTrue(history.size() >= 2, "the seed and the mode change: " + history);
    }

    /** Two control planes on a fresh prefix of the shared etcd, both given the topology file, once the first leader seeded it. */
    private List<Running> twoOnEtcd() throws IOException {
        pairPrefix = etcdPrefix();
        List<String> store = onEtcd(pairPrefix);
        String seed = "-Ddsha.topology-file=" + write("topology.yaml", TOPOLOGY);
        Running a = startServing(tmp.resolve("host-a"), with(store, seed));
        Running b = startServing(tmp.resolve("host-b"), with(store, seed));
        await("the first leader seeds the state").atMost(START).until(() -> state(a).getLong("revision") >= 1);
        return List.of(a, b);
    }

    @Test
    void ofFiftyConcurrentChangesOnOneRevisionAtEitherReplicaExactlyOneWins() throws Exception {
        List<Running> pair = twoOnEtcd();
        String etag = admin(pair.get(0)).get("/api/v1/topology").then().statusCode(200).extract().header("ETag");
        int n = 50;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(10);
        List<java.util.concurrent.Future<Integer>> answers = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                Running r = pair.get(i % 2);
                // Each names its own fqdn: the winner's is the one that stays.
                byte[] body = TOPOLOGY.replace("fqdn: datastack.example.com", "fqdn: w" + i + ".example.com").getBytes(StandardCharsets.UTF_8);
                answers.add(pool.submit(() -> admin(r).header("If-Match", etag).contentType("application/yaml").body(body)
                        .put("/api/v1/topology").statusCode()));
            }
            List<Integer> codes = new ArrayList<>();
            for (java.util.concurrent.Future<Integer> f : answers) {
                codes.add(f.get(120, java.util.concurrent.TimeUnit.SECONDS));
            }
            assertEquals(1, codes.stream().filter(c -> c == 200).count(), "exactly one wins: " + codes);
            assertEquals(n - 1, codes.stream().filter(c -> c == 412).count(), "every other one is told its revision is gone: " + codes);
            int winner = codes.indexOf(200);
            for (Running r : pair) {
                await("both serve the winner's").atMost(START).until(() -> ("w" + winner + ".example.com").equals(state(r).getString("topology.fqdn")));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** The pair, once one of them leads: the leader first. */
    private static List<Running> leaderFirst(List<Running> pair) {
        Running a = pair.get(0);
        Running b = pair.get(1);
        await("one leads").atMost(START).until(() -> "LEADER".equals(role(a)) || "LEADER".equals(role(b)));
        return "LEADER".equals(role(a)) ? List.of(a, b) : List.of(b, a);
    }

    /** A checker's report (it-checker-1) that a and b are UP, sent to {@code r}. */
    private static void reportBothUp(Running r) {
        agent(r).contentType("application/json")
                .body("""
                        {"source":"CHECKER","reporterId":"it-checker-1","observations":[
                          {"backendId":"a","status":"UP","reason":"200 OK","latencyMs":3},
                          {"backendId":"b","status":"UP","reason":"connected","latencyMs":1}]}
                        """)
                .post("/api/v1/reports").then().statusCode(202);
    }

    private static String role(Running r) {
        return given().baseUri(r.baseUri()).get("/q/health/ready").then().extract().jsonPath()
                .getString("checks.find { it.name == 'state' }.data.role");
    }

    @Test
    void whenTheLeaderIsKilledAnotherLeadsAndDecidesAndFollowersForwardChanges() throws IOException {
        List<Running> byRole = leaderFirst(twoOnEtcd());
        Running leader = byRole.get(0);
        Running follower = byRole.get(1);
        assertEquals("FOLLOWER", role(follower));

        // A change sent to the follower is the leader's to apply; both then serve it.
        long written = admin(follower).body("{\"mode\":\"ACTIVE_ACTIVE\"}").contentType("application/json").put("/api/v1/mode")
                .then().statusCode(200).body("topology.mode", equalTo("ACTIVE_ACTIVE")).extract().jsonPath().getLong("revision");
        await("both serve it").atMost(START).until(() -> state(leader).getLong("revision") >= written
                && state(follower).getLong("revision") >= written);
        // A follower reads a change in full before it forwards it, and no more than a request body may be.
        admin(follower).body(new byte[LeaderForwarding.MAX_BODY_BYTES + 1]).contentType("application/yaml").put("/api/v1/topology")
                .then().statusCode(413).contentType("application/problem+json");

        leader.process.destroyForcibly();
        leader.awaitExit(EXIT);
        long killed = System.nanoTime();
        await("the other leads").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).until(() -> "LEADER".equals(role(follower)));
        System.out.printf("control plane leader killed -9: the other led after %d ms (lease 2 s)%n", (System.nanoTime() - killed) / 1_000_000);

        // It decides: a checker's report now moves the verdicts.
        reportBothUp(follower);
        await("verdicts from the new leader").atMost(START).until(() -> state(follower).getList("verdicts.status").equals(List.of("UP", "UP")));
    }

    // ---- GET /api/v1/cluster: the control planes and their store

    private static JsonPath cluster(Running r) {
        return agent(r).get("/api/v1/cluster").then().statusCode(200).extract().jsonPath();
    }

    @Test
    void everyReplicaListsTheOthersTheSameLeaderAndEtcdsHealthAndAKilledOneLeavesTheList() {
        Duration ttl = Duration.ofSeconds(2);
        try (EtcdCluster three = EtcdCluster.start(3)) {
            List<String> store = onEtcd(three, "/dsha-cluster/");
            Running a = startServing(tmp.resolve("host-a"), with(store, "-Ddsha.replica-id=cp-a", "-Ddsha.etcd.lease-ttl=" + ttl.toSeconds() + "s"));
            Running b = startServing(tmp.resolve("host-b"), with(store, "-Ddsha.replica-id=cp-b", "-Ddsha.etcd.lease-ttl=" + ttl.toSeconds() + "s"));
            for (Running r : List.of(a, b)) {
                await("both listed at " + r.baseUri()).atMost(START).until(() -> cluster(r).getList("replicas.id").equals(List.of("cp-a", "cp-b"))
                        && cluster(r).getString("leader.id") != null);
            }
            JsonPath atA = cluster(a);
            JsonPath atB = cluster(b);
            assertEquals("etcd", atA.getString("store"));
            assertEquals("cp-a", atA.getString("self"));
            assertEquals("cp-b", atB.getString("self"));
            assertEquals(atA.getMap("leader"), atB.getMap("leader"), "both name the same leader");
            String leaderId = atA.getString("leader.id");
            Running leader = leaderId.equals("cp-a") ? a : b;
            Running follower = leader == a ? b : a;
            for (JsonPath view : List.of(atA, atB)) {
                assertEquals(List.of(a.baseUri(), b.baseUri()), view.getList("replicas.url"));
                assertEquals(leaderId.equals("cp-a") ? List.of("LEADER", "FOLLOWER") : List.of("FOLLOWER", "LEADER"), view.getList("replicas.role"));
                view.getList("replicas.since", String.class).forEach(java.time.Instant::parse);
                assertTrue(view.getList("replicas.version", String.class).stream().noneMatch(v -> v == null || v.isBlank()), view.prettify());
                assertEquals(three.clientUrls(), view.getList("etcd.url"));
                assertEquals(List.of(true, true, true), view.getList("etcd.healthy"), view.prettify());
                assertEquals(1, view.getList("etcd.leader").stream().filter(Boolean.TRUE::equals).count(), view.prettify());
                assertTrue(view.getList("etcd.error").stream().allMatch(java.util.Objects::isNull), view.prettify());
                assertTrue(view.getList("etcd.revision", Long.class).stream().allMatch(rev -> rev > 0), view.prettify());
                assertTrue(view.getList("etcd.dbSizeBytes", Long.class).stream().allMatch(size -> size > 0), view.prettify());
            }

            // kill -9 the follower: its membership lease is no longer renewed, so it leaves the list about a ttl later.
            follower.process.destroyForcibly();
            long killed = System.nanoTime();
            await("the killed follower leaves the list").atMost(START).pollInterval(Duration.ofMillis(50))
                    .until(() -> cluster(leader).getList("replicas.id").equals(List.of(leaderId)));
            long took = (System.nanoTime() - killed) / 1_000_000;
            System.out.printf("control plane follower killed -9: it left the replicas after %d ms (lease %d ms)%n", took, ttl.toMillis());
            assertTrue(took <= 2 * ttl.toMillis(), "left after " + took + " ms, more than twice the lease ttl");

            // One etcd member killed: still 200, that endpoint unhealthy with an error, the others healthy.
            three.member(2).kill();
            // Where the killed member was etcd's leader, the other two elect another first (about a second).
            await("the killed etcd member shows unhealthy, the others healthy").atMost(START)
                    .until(() -> cluster(leader).getList("etcd.healthy").equals(List.of(true, true, false)));
            JsonPath oneDown = cluster(leader);
            assertEquals(List.of(true, true, false), oneDown.getList("etcd.healthy"), oneDown.prettify());
            assertTrue(oneDown.getString("etcd[2].error").contains(three.member(2).clientUrl()), oneDown.prettify());
            assertEquals(List.of(leaderId), oneDown.getList("replicas.id"));

            // No quorum: a diagnostic view still, within its bound.
            three.member(1).kill();
            await("no quorum shows").atMost(START).until(() -> !cluster(leader).getBoolean("etcd[0].healthy"));
            long t0 = System.nanoTime();
            JsonPath noQuorum = cluster(leader);
            long answeredIn = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(answeredIn < 3000, "answered in " + answeredIn + " ms");
            assertEquals(List.of(false, false, false), noQuorum.getList("etcd.healthy"), noQuorum.prettify());
            assertTrue(noQuorum.getList("etcd.error").stream().allMatch(java.util.Objects::nonNull), noQuorum.prettify());
            assertEquals(List.of(leaderId), noQuorum.getList("replicas.id"), "itself at least: " + noQuorum.prettify());
        }
    }

    @Test
    void aSecondReplicaWithTheSameIdDoesNotTakeTheFirstsPlaceAndIsNotReadyUntilItGoes() {
        List<String> store = onEtcd(etcdPrefix());
        Running first = startServing(tmp.resolve("host-1"), with(store, "-Ddsha.replica-id=twin"));
        await("registered").atMost(START).until(() -> cluster(first).getList("replicas.url").equals(List.of(first.baseUri())));

        Running second = start(tmp.resolve("host-2"), with(store, "-Ddsha.replica-id=twin"));
        await("the second says the id is taken").atMost(START).pollInterval(Duration.ofMillis(50))
                .until(() -> second.output().contains("Another control plane is registered as twin"));
        assertTrue(second.output().contains("ERROR"), second.output());
        String ready = given().baseUri(second.baseUri()).get("/q/health/ready").then().statusCode(503).extract().asString();
        assertTrue(ready.contains("dsha.replica-id twin is taken") && ready.contains(first.baseUri()), ready);
        // The first one's key stays the first one's.
        assertEquals(List.of(first.baseUri()), cluster(second).getList("replicas.url").stream()
                .filter(u -> !u.equals(second.baseUri())).toList());
        assertEquals(List.of(first.baseUri()), cluster(first).getList("replicas.url"));

        first.stop(); // revokes its lease: the key goes at once, and the second takes its place
        await("the second takes over").atMost(START).until(() -> given().baseUri(second.baseUri()).get("/q/health/ready").statusCode() == 200);
        assertEquals(List.of(second.baseUri()), cluster(second).getList("replicas.url"));
    }

    @Test
    void withTheFileStoreTheClusterIsThisControlPlaneAloneLeading() {
        Running r = startServing(tmp.resolve("state"), "-Ddsha.replica-id=solo");
        JsonPath view = cluster(r);
        assertEquals("file", view.getString("store"));
        assertEquals("solo", view.getString("self"));
        assertEquals("solo", view.getString("leader.id"));
        assertEquals(r.baseUri(), view.getString("leader.url"));
        assertEquals(List.of("solo"), view.getList("replicas.id"));
        assertEquals(List.of("LEADER"), view.getList("replicas.role"));
        assertEquals(List.of(), view.getList("etcd"));
    }

    @Test
    void aFollowerServesTheVerdictsAsTheLeaderPublishedThemVotesAndFlagsIncluded() throws IOException {
        List<Running> byRole = leaderFirst(twoOnEtcd());
        Running leader = byRole.get(0);
        Running follower = byRole.get(1);
        // Sent to the follower, forwarded to the leader, whose verdicts then rest on this checker's votes.
        reportBothUp(follower);
        await("the leader decides on the votes").atMost(START).until(() -> state(leader).getList("verdicts.votes.reporterId")
                .equals(List.of(List.of("it-checker-1"), List.of("it-checker-1"))));
        long revision = state(leader).getLong("revision");
        await("the follower at that revision").atMost(START).until(() -> state(follower).getLong("revision") >= revision);
        assertEquals(revision, state(follower).getLong("revision"), "nothing else changed meanwhile");
        // The same verdicts, votes and flags (no STALE from restoring the document without the votes).
        assertEquals(state(leader).getList("verdicts"), state(follower).getList("verdicts"));
        assertEquals(List.of(List.of(), List.of()), state(follower).getList("verdicts.flags"));
    }

    @Test
    void badEtcdSettingsStopTheServiceNamingEach() {
        Running r = start(tmp.resolve("state"), withTokens("-Ddsha.store=etcd", "-Ddsha.etcd.prefix=dsha"));
        r.awaitExit(EXIT);
        assertNotEquals(0, r.process.exitValue(), r.output());
        assertTrue(r.output().contains("dsha.etcd.endpoints"), "names the missing endpoints:\n" + r.output());
        assertTrue(r.output().contains("dsha.etcd.prefix: dsha must start and end with /"), "names the bad prefix:\n" + r.output());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"garbage", "truncated", "flipped digit"})
    void corruptStateFileStopsTheService(String damage) throws IOException {
        Path stateDir = tmp.resolve("state");
        Path stateFile = stateDir.resolve("state.json");
        Path previous = stateDir.resolve("state.json.prev");
        byte[] damaged;
        if (damage.equals("garbage")) {
            Files.createDirectories(stateDir);
            damaged = "this is {not] JSON \u0000\u00ff at all\n".getBytes(StandardCharsets.UTF_8);
        } else {
            // A real state file, cut in the middle (as a crash without the atomic rename could leave it).
            Running seed = startServing(stateDir, "-Ddsha.topology-file=" + write("topology.yaml", TOPOLOGY));
            admin(seed).body("{\"mode\":\"ACTIVE_ACTIVE\"}").contentType("application/json").put("/api/v1/mode").then().statusCode(200);
            seed.stop();
            byte[] whole = Files.readAllBytes(stateFile);
            damaged = damage.equals("truncated") ? Arrays.copyOf(whole, whole.length / 2)
                    // One digit of a port: still a valid state, which only the checksum tells from the one written.
                    : new String(whole, StandardCharsets.UTF_8).replace("\"port\" : 18081", "\"port\" : 18091").getBytes(StandardCharsets.UTF_8);
            assertFalse(Arrays.equals(whole, damaged), "the damage changed the file");
        }
        Files.write(stateFile, damaged);
        byte[] previousBefore = Files.exists(previous) ? Files.readAllBytes(previous) : null;

        Running r = start(stateDir, withTokens("-Ddsha.topology-file=" + write("seed.yaml", TOPOLOGY)));
        int status = r.awaitRefusal();
        String out = r.output();

        assertNotEquals(0, status, "a corrupt state file must stop the service with a failure status:\n" + out);
        assertFalse(out.contains("Listening on"), "must never serve over a corrupt state file:\n" + out);
        assertTrue(out.contains(stateFile.toAbsolutePath().normalize().toString()), "the output names the state file:\n" + out);
        String problem = damage.equals("flipped digit") ? "does not match its checksum (checksum mismatch" : "is not a valid state document";
        assertTrue(out.contains(problem), "the output says what is wrong:\n" + out);
        assertTrue(out.contains("will not start over it"), "the output says the service refuses to start:\n" + out);
        assertArrayEquals(damaged, Files.readAllBytes(stateFile), "the corrupt state file must be left exactly as it was");
        if (previousBefore != null) {
            assertTrue(out.contains(previous.toAbsolutePath().normalize().toString()), "the output points at the previous good copy:\n" + out);
            assertArrayEquals(previousBefore, Files.readAllBytes(previous), "the previous copy must be left exactly as it was");
        }
        assertFalse(Files.exists(stateDir.resolve("state.json.tmp")), "nothing may have been written");
    }

    @Test
    void anEmptiedJournalStopsTheServiceInsteadOfRollingBack() throws IOException {
        Path stateDir = tmp.resolve("state");
        Path journal = stateDir.resolve("state.journal");
        Running first = startServing(stateDir, "-Ddsha.topology-file=" + write("topology.yaml", TOPOLOGY));
        admin(first).body("{\"mode\":\"ACTIVE_ACTIVE\"}").contentType("application/json").put("/api/v1/mode").then().statusCode(200);
        // SIGKILL: the mode change is only in the journal.
        first.process.destroyForcibly();
        first.awaitExit(EXIT);
        Files.write(journal, new byte[0]);

        Running r = start(stateDir, TOKENS);
        int status = r.awaitRefusal();
        String out = r.output();

        assertNotEquals(0, status, "an emptied journal must stop the service with a failure status:\n" + out);
        assertFalse(out.contains("Listening on"), "must never serve the state from before the journal:\n" + out);
        assertTrue(out.contains("state journal " + journal.toAbsolutePath().normalize() + " is empty"), "names the journal:\n" + out);
        assertTrue(out.contains("would be rolled back silently"), "says what starting would do:\n" + out);
        assertEquals(0, Files.size(journal), "the journal is left as it was");
    }

    @Test
    void invalidTopologyFileStopsTheService() throws IOException {
        Path stateDir = tmp.resolve("state");
        Path topologyFile = write("broken.yaml", """
                listener: {host: 0.0.0.0, port: 8443}
                mode: ACTIVE_PASSIVE
                tlsMode: PASSTHROUGH
                backends:
                  - {id: a, host: 127.0.0.1, port: 0}
                  - {id: a, host: 10.0.0.2, port: 9000, healthCheck: {intervalMs: 500, timeoutMs: 900}}
                """);

        Running r = start(stateDir, withTokens("-Ddsha.topology-file=" + topologyFile));
        int status = r.awaitRefusal();
        String out = r.output();

        assertNotEquals(0, status, "an invalid topology file must stop the service with a failure status:\n" + out);
        assertFalse(out.contains("Listening on"), out);
        assertTrue(out.contains(topologyFile.toString()), "the output names the topology file:\n" + out);
        assertTrue(out.contains("4 problems"), "the output counts the problems:\n" + out);
        for (String violation : List.of(
                "backends[0].port: must be between 1 and 65535",
                "backends[1].id: 'a' is also the id of backends[0]",
                "backends[1].healthCheck.timeoutMs: must be less than intervalMs (500)",
                "fqdn: is required when tlsMode is PASSTHROUGH")) {
            assertTrue(out.contains(violation), "the output lists '" + violation + "':\n" + out);
        }
        assertFalse(Files.exists(stateDir.resolve("state.json")), "nothing may be seeded from an invalid topology");
    }

    @Test
    void refusesToStartWithoutTokens() {
        Running refused = start(tmp.resolve("state-1"), List.of());
        int status = refused.awaitRefusal();
        String out = refused.output();
        assertNotEquals(0, status, "no tokens must be a failed start:\n" + out);
        assertFalse(out.contains("Listening on"), out);
        assertTrue(out.contains("dsha.admin-token"), "names the missing admin token:\n" + out);
        assertTrue(out.contains("dsha.agent-token"), "names the missing agent token:\n" + out);
        assertTrue(out.contains("dsha.insecure-dev-mode"), "names the way out for a local experiment:\n" + out);

        Running open = startServing(tmp.resolve("state-2"), List.of("-Ddsha.insecure-dev-mode=true"));
        given().baseUri(open.baseUri()).get("/q/health/ready").then().statusCode(200);
        // No Authorization header, and still answered: that is what the warning is about.
        given().baseUri(open.baseUri()).get("/api/v1/state").then().statusCode(200);
        String log = open.output();
        assertTrue(log.contains("WARN"), "the open mode is logged as a warning:\n" + log);
        assertTrue(log.toLowerCase(Locale.ROOT).contains("without authentication"), "the warning says there is no authentication:\n" + log);
    }

    @Test
    void validateCommand() throws IOException {
        Path good = write("GOOD.yaml", TOPOLOGY);
        Path bad = write("BAD.json", """
                {"listener": {"host": "0.0.0.0", "port": 70000},
                 "mode": "SIDEWAYS",
                 "tlsMode": "PASSTHROUGH",
                 "colour": "red",
                 "backends": [
                   {"id": "A!", "host": "10.0.0.1", "port": 0},
                   {"id": "b", "host": "10.0.0.2", "port": 80, "weight": "heavy",
                    "healthCheck": {"intervalMs": 500, "timeoutMs": 800}}]}
                """);
        Path missing = tmp.resolve("MISSING.yaml");

        Running ok = validate(good.toString());
        assertEquals(0, ok.exitStatus(), ok.output());
        assertTrue(ok.output().contains(good + ": OK"), "prints OK for the file:\n" + ok.output());

        Running invalid = validate(bad.toString());
        String out = invalid.output();
        assertEquals(1, invalid.exitStatus(), out);
        assertTrue(out.contains(bad.toString()), "names the file:\n" + out);
        assertTrue(out.contains("8 problems"), "counts every problem:\n" + out);
        for (String violation : List.of(
                "backends[0].id: must be 1 to 63 characters",
                "backends[0].port: must be between 1 and 65535",
                "backends[1].healthCheck.timeoutMs: must be less than intervalMs (500)",
                "backends[1].weight: must be a whole number",
                "colour: unknown field",
                "fqdn: is required when tlsMode is PASSTHROUGH",
                "listener.port: must be between 1 and 65535",
                "mode: must be one of ACTIVE_PASSIVE, ACTIVE_ACTIVE")) {
            assertTrue(out.contains(violation), "lists '" + violation + "' with its field path:\n" + out);
        }
        assertFalse(out.contains(": OK"), out);

        Running absent = validate(missing.toString());
        assertEquals(1, absent.exitStatus(), absent.output());
        assertTrue(absent.output().contains(missing.toString()), "names the missing file:\n" + absent.output());
        assertTrue(absent.output().contains("does not exist"), absent.output());

        // One bad file among good ones fails the whole run, and each file is reported.
        Running mixed = validate(good.toString(), bad.toString());
        assertEquals(1, mixed.exitStatus(), mixed.output());
        assertTrue(mixed.output().contains(good + ": OK") && mixed.output().contains(bad + ": 8 problems"), mixed.output());

        Running usage = validate();
        assertEquals(2, usage.exitStatus(), usage.output());
        assertTrue(usage.output().contains("usage: validate FILE"), usage.output());
    }

    @Test
    void twoControlPlanesCannotShareAStateDir() throws IOException {
        Path stateDir = tmp.resolve("state");
        Running first = startServing(stateDir, "-Ddsha.topology-file=" + write("topology.yaml", TOPOLOGY));
        byte[] stateBefore = Files.readAllBytes(stateDir.resolve("state.json"));

        Running second = start(stateDir, withTokens("-Ddsha.topology-file=" + write("other.yaml", TOPOLOGY.replace("18082", "18083"))));
        int status = second.awaitRefusal();
        String out = second.output();

        assertNotEquals(0, status, "a second control plane on the same directory must fail:\n" + out);
        assertFalse(out.contains("Listening on"), out);
        assertTrue(out.contains(stateDir.toAbsolutePath().normalize().toString()), "names the directory:\n" + out);
        assertTrue(out.contains("is in use"), "says the directory is in use:\n" + out);

        // The first one is untouched and still serves its state.
        assertTrue(first.process.isAlive());
        given().baseUri(first.baseUri()).get("/q/health/ready").then().statusCode(200);
        assertEquals(1, state(first).getLong("revision"));
        assertArrayEquals(stateBefore, Files.readAllBytes(stateDir.resolve("state.json")), "the second one wrote nothing");
    }

    // ---------------------------------------------------------------------------------------------

    private Path write(String name, String content) throws IOException {
        return Files.writeString(tmp.resolve(name), content, StandardCharsets.UTF_8);
    }

    private static RequestSpecification admin(Running r) {
        return given().baseUri(r.baseUri()).header("Authorization", "Bearer " + ADMIN);
    }

    private static RequestSpecification agent(Running r) {
        return given().baseUri(r.baseUri()).header("Authorization", "Bearer " + AGENT);
    }

    private static JsonPath state(Running r) {
        return agent(r).get("/api/v1/state").then().statusCode(200).extract().jsonPath();
    }

    private static List<Map<String, Object>> events(Running r) {
        return agent(r).queryParam("limit", 500).get("/api/v1/events").then().statusCode(200).extract().jsonPath().getList("$");
    }

    /** Both tokens plus {@code props}. */
    private static List<String> withTokens(String... props) {
        List<String> all = new ArrayList<>(TOKENS);
        all.addAll(List.of(props));
        return all;
    }

    /** Starts the control plane with both tokens and waits until it is ready. */
    private Running startServing(Path stateDir, String... props) {
        return startServing(stateDir, withTokens(props));
    }

    /** Starts the control plane with exactly {@code props} and waits until it is ready. */
    private Running startServing(Path stateDir, List<String> props) {
        Running r = start(stateDir, props);
        try {
            await("control plane listening").atMost(START).pollInterval(Duration.ofMillis(50))
                    .until(() -> LISTENING.matcher(r.output()).find() || !r.process.isAlive());
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("the control plane did not start within " + START + ":\n" + r.output(), e);
        }
        assertTrue(r.process.isAlive(), "the control plane exited while starting:\n" + r.output());
        await("control plane ready").atMost(START).pollInterval(Duration.ofMillis(50)).ignoreExceptions()
                .until(() -> given().baseUri(r.baseUri()).get("/q/health/ready").statusCode() == 200);
        return r;
    }

    /** Starts the control plane with exactly {@code props} (no tokens unless given), without waiting. */
    private Running start(Path stateDir, List<String> props) {
        List<String> command = new ArrayList<>();
        command.add(java());
        command.add("-XX:TieredStopAtLevel=1");
        command.add("-Dquarkus.http.port=0");
        command.add("-Ddsha.state-dir=" + stateDir);
        command.addAll(props);
        command.add("-jar");
        command.add(JAR.toString());
        return launch(command);
    }

    /** Runs {@code validate ARGS...} and waits for it: it must not start a server, so it has to be quick. */
    private Running validate(String... files) {
        List<String> command = new ArrayList<>(List.of(java(), "-XX:TieredStopAtLevel=1", "-jar", JAR.toString(), "validate"));
        command.addAll(List.of(files));
        Running r = launch(command);
        r.awaitExit(VALIDATE);
        assertFalse(r.output().contains("Listening on"), "validate must not start the HTTP server:\n" + r.output());
        assertFalse(r.output().contains("Installed features"), "validate must not boot Quarkus:\n" + r.output());
        return r;
    }

    private Running launch(List<String> command) {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        // A relative path (such as the default state dir) must never land in the module directory.
        Path work = tmp.resolve("work");
        try {
            Files.createDirectories(work);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        pb.directory(work.toFile());
        // Settings come only from the command line: none from the environment running the build.
        pb.environment().keySet().removeIf(k -> k.startsWith("DSHA_") || k.startsWith("QUARKUS_"));
        try {
            Running r = new Running(pb.start());
            processes.add(r);
            return r;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
    }

    private static String java() {
        return ProcessHandle.current().info().command()
                .orElseGet(() -> Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    /** A started JVM with its merged stdout/stderr collected on a background thread. */
    private static final class Running {
        final Process process;
        private final StringBuffer out = new StringBuffer();
        private final Thread reader;

        Running(Process process) {
            this.process = process;
            this.reader = new Thread(this::pump, "output of pid " + process.pid());
            reader.setDaemon(true);
            reader.start();
        }

        private void pump() {
            char[] buf = new char[8192];
            try (Reader in = new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    out.append(buf, 0, n);
                }
            } catch (IOException e) {
                out.append("\n[output reader failed: ").append(e).append("]\n");
            }
        }

        String output() {
            return out.toString();
        }

        String baseUri() {
            Matcher m = LISTENING.matcher(output());
            assertTrue(m.find(), "no 'Listening on' line in the output:\n" + output());
            return m.group(1);
        }

        /** Waits (bounded) for the process to exit and for its output to be read to the end; the exit status. */
        int awaitExit(Duration max) {
            try {
                await("pid " + process.pid() + " exits").atMost(max).pollInterval(Duration.ofMillis(20)).until(() -> !process.isAlive());
                await("output of pid " + process.pid() + " read").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10))
                        .until(() -> !reader.isAlive());
            } catch (ConditionTimeoutException e) {
                throw new AssertionError("pid " + process.pid() + " did not exit within " + max + ":\n" + output(), e);
            }
            return process.exitValue();
        }

        /**
         * For a start that must be refused: waits for the exit, but fails at once (with the output)
         * if the server comes up instead. The exit status.
         */
        int awaitRefusal() {
            try {
                await("pid " + process.pid() + " refuses to start").atMost(EXIT).pollInterval(Duration.ofMillis(20))
                        .until(() -> !process.isAlive() || output().contains("Listening on"));
            } catch (ConditionTimeoutException e) {
                throw new AssertionError("pid " + process.pid() + " neither started nor exited within " + EXIT + ":\n" + output(), e);
            }
            assertFalse(output().contains("Listening on"), "the control plane started although it must refuse to:\n" + output());
            return awaitExit(EXIT);
        }

        int exitStatus() {
            assertFalse(process.isAlive());
            return process.exitValue();
        }

        /** Asks the process to stop (SIGTERM, as an operator or systemd would) and waits for it; kills it if it hangs. */
        void stop() {
            if (!process.isAlive()) {
                return;
            }
            process.destroy();
            try {
                awaitExit(EXIT);
            } catch (AssertionError e) {
                process.destroyForcibly();
                await().atMost(EXIT).until(() -> !process.isAlive());
                throw e;
            }
        }
    }
}
