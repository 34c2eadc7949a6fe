package io.dsha.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dsha.api.state.StateSnapshot;
import io.dsha.api.topology.Failback;
import io.dsha.api.topology.FailbackPolicy;
import io.dsha.etcdproc.EtcdCluster;
import io.dsha.etcdproc.EtcdMember;
import io.dsha.launcher.Stack;
import io.dsha.testkit.etcd.TestEtcd;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Three control planes on a 3-member etcd cluster (real processes), checkers and the proxy under client load: the
 * leader killed during a stream of changes and a backend failure; the replica the proxy follows killed; etcd members
 * lost one, then two, then restored.
 */
class ReplicatedControlPlaneIT extends StackScenarios {

    /** The control planes' lease (dsha.etcd.lease-ttl's default): a new leader within twice of it. */
    private static final Duration LEASE_TTL = Duration.ofSeconds(2);
    private static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void etcdInstalled() {
        TestEtcd.require();
    }

    @Test
    void aKilledLeaderIsReplacedWithinTwoLeaseTtlsAndLosesNoAcknowledgedChange() throws Exception {
        try (Stack s = replicated("ha-1-kill-leader"); Load load = load(s, Load.Kind.READ)) {
            awaitActive(s, "a");
            awaitServedBy(load, "a");
            int leader = awaitLeader(s);

            // A stream of topology changes through the launcher's client (all three URLs), each naming itself by its
            // failback delay; the answers that came back are the acknowledged ones.
            Map<Long, Long> acknowledged = Collections.synchronizedMap(new HashMap<>()); // delay -> revision
            AtomicBoolean writing = new AtomicBoolean(true);
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                for (long delay = 1001; writing.get() && delay < 1400; delay++) {
                    try {
                        StateSnapshot after = s.client().putTopology(s.topology().withFailback(new Failback(FailbackPolicy.AUTO, delay)));
                        acknowledged.put(delay, after.topologyRevision());
                    } catch (RuntimeException e) {
                        // refused or unanswered while the leader is replaced: not acknowledged, may or may not be in
                        // the store, and is not tried again
                    }
                }
            });
            await("some changes acknowledged").atMost(BOUND).until(() -> acknowledged.size() >= 5);

            long killedAt = System.nanoTime();
            s.controlPlane(leader).kill();
            s.sim("a").process().kill();
            await("another control plane leads").atMost(LEASE_TTL.multipliedBy(2)).pollInterval(Duration.ofMillis(20)).ignoreExceptions()
                    .until(() -> s.leader().filter(i -> i != leader).isPresent());
            long newLeaderMs = (System.nanoTime() - killedAt) / 1_000_000;
            awaitActive(s, "b");
            awaitServedBy(load, "b");
            long routedMs = (System.nanoTime() - killedAt) / 1_000_000;
            int before = acknowledged.size();
            await("changes acknowledged by the new leader").atMost(BOUND).until(() -> acknowledged.size() >= before + 5);
            writing.set(false);
            writer.get();
            System.out.println(load.stop().summary("ha 1 leader and instance a killed (new leader after " + newLeaderMs
                    + " ms, traffic on b after " + routedMs + " ms, " + acknowledged.size() + " changes acknowledged)"));
            assertNoClientErrors(s, load);

            List<JsonNode> history = stateHistory(s.etcd().orElseThrow());
            for (int i = 1; i < history.size(); i++) {
                assertEquals(history.get(i - 1).path("revision").asLong() + 1, history.get(i).path("revision").asLong(),
                        "the state's revisions in etcd go up by one");
            }
            Map<Long, List<Long>> appliedAt = new HashMap<>(); // delay -> the topology revisions that set it
            long lastTopology = -1;
            for (JsonNode doc : history) {
                long topologyRevision = doc.path("topologyRevision").asLong();
                if (topologyRevision != lastTopology) {
                    lastTopology = topologyRevision;
                    JsonNode delay = doc.path("topology").path("failback").path("delayMs");
                    if (delay.isNumber()) {
                        appliedAt.computeIfAbsent(delay.asLong(), d -> new ArrayList<>()).add(topologyRevision);
                    }
                }
            }
            synchronized (acknowledged) {
                acknowledged.forEach((delay, revision) -> assertEquals(List.of(revision), appliedAt.get(delay),
                        "change " + delay + " acknowledged at revision " + revision + ": in the store once, at that revision"));
            }
            appliedAt.forEach((delay, revisions) -> assertEquals(1, revisions.size(), "change " + delay + " applied once: " + revisions));
        }
    }

    @Test
    void aProxyWhoseControlPlaneIsKilledFollowsAnotherAndMissesNoRevision() throws Exception {
        try (Stack s = replicated("ha-2-kill-followed"); Load load = load(s, Load.Kind.READ)) {
            awaitActive(s, "a");
            awaitServedBy(load, "a");
            awaitLeader(s);
            // The proxy follows the first URL that answers: cp-1, leader or not.
            long seen = awaitProxyRevision(s, s.client().state().revision());
            List<Long> proxyRevisions = Collections.synchronizedList(new ArrayList<>(List.of(seen)));
            AtomicBoolean sampling = new AtomicBoolean(true);
            CompletableFuture<Void> sampler = CompletableFuture.runAsync(() -> {
                while (sampling.get()) {
                    proxyRevisions.add(proxyRevision(s));
                }
            });

            s.controlPlane(0).kill();
            long last = 0;
            for (long delay = 2001; delay <= 2010; delay++) {
                last = s.client().putTopology(s.topology().withFailback(new Failback(FailbackPolicy.AUTO, delay))).revision();
            }
            long target = last;
            await("the proxy has the last change").atMost(BOUND).pollInterval(Duration.ofMillis(20)).until(() -> proxyRevision(s) >= target);
            sampling.set(false);
            sampler.get();
            System.out.println(load.stop().summary("ha 2 the proxy's control plane killed, 10 changes made meanwhile"));
            assertNoClientErrors(s, load);
            for (int i = 1; i < proxyRevisions.size(); i++) {
                assertTrue(proxyRevisions.get(i) >= proxyRevisions.get(i - 1), "the proxy never goes back: " + proxyRevisions);
            }
            assertEquals(target, proxyRevision(s), "and is at the control planes' revision");
        }
    }

    @Test
    void losingEtcdsLeaderPausesChangesBrieflyLosingTwoStopsChangesNotTrafficAndRestoringResumes() throws Exception {
        try (Stack s = replicated("ha-3-etcd-loss"); Load load = load(s, Load.Kind.READ)) {
            awaitActive(s, "a");
            awaitServedBy(load, "a");
            awaitLeader(s);
            EtcdCluster etcd = s.etcd().orElseThrow();

            // The worst member to lose: etcd's own leader. The other two elect another (about a second), the control
            // planes' lease requests move to them, and changes go on; traffic never notices.
            String etcdLeader = s.client().cluster().etcd().stream().filter(e -> e.leader()).findFirst().orElseThrow().url();
            EtcdMember first = etcd.memberAt(etcdLeader);
            long lost = System.nanoTime();
            first.kill();
            await("a change accepted after etcd's leader is lost").atMost(LEASE_TTL.multipliedBy(3)).pollInterval(Duration.ofMillis(50))
                    .until(() -> modeChange(s).statusCode() == 200);
            System.out.printf("ha 3: etcd's leader member killed: changes accepted again after %d ms%n", (System.nanoTime() - lost) / 1_000_000);
            s.client().putTopology(s.topology().withFailback(new Failback(FailbackPolicy.AUTO, 3001L)));
            awaitMoreSuccesses(load, 50);

            EtcdMember second = etcd.members().stream().filter(m -> m != first).findFirst().orElseThrow();
            second.kill();
            await("changes refused with 503 naming the store").atMost(BOUND).pollInterval(Duration.ofMillis(100))
                    .until(() -> modeChange(s).statusCode() == 503);
            HttpResponse<String> refused = modeChange(s);
            assertEquals(503, refused.statusCode(), refused.body());
            assertTrue(refused.headers().firstValue("Content-Type").orElse("").startsWith("application/problem+json"), refused.headers().toString());
            assertTrue(refused.body().contains("etcd"), "names the store: " + refused.body());
            await("no control plane is ready").atMost(BOUND).pollInterval(Duration.ofMillis(100))
                    .until(() -> s.client().urls().stream().allMatch(url -> status(url + "/q/health/ready") == 503));
            awaitMoreSuccesses(load, 100);

            for (EtcdMember m : List.of(first, second)) {
                m.restart();
            }
            await("changes accepted again").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                    .until(() -> modeChange(s).statusCode() == 200);
            await("every control plane ready again").atMost(BOUND).pollInterval(Duration.ofMillis(100))
                    .until(() -> s.client().urls().stream().allMatch(url -> status(url + "/q/health/ready") == 200));
            s.sim("a").process().kill();
            awaitActive(s, "b");
            awaitServedBy(load, "b");
            System.out.println(load.stop().summary("ha 3 etcd: one member lost, two lost, restored"));
            assertNoClientErrors(s, load);
        }
    }

    /** PUT /api/v1/mode ACTIVE_PASSIVE (what it is already) at each control plane in turn: the first answer below 500, or the last. */
    private static HttpResponse<String> modeChange(Stack s) {
        HttpResponse<String> last = null;
        for (String url : s.client().urls()) {
            try {
                last = HTTP.send(HttpRequest.newBuilder(URI.create(url + "/api/v1/mode")).timeout(Duration.ofSeconds(5))
                        .header("Authorization", "Bearer " + s.tokens().admin()).header("Content-Type", "application/json")
                        .PUT(HttpRequest.BodyPublishers.ofString("{\"mode\":\"ACTIVE_PASSIVE\"}")).build(), HttpResponse.BodyHandlers.ofString());
                if (last.statusCode() < 500) {
                    return last;
                }
            } catch (IOException e) {
                // that one is down: the next
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        if (last == null) {
            throw new IllegalStateException("no control plane answers");
        }
        return last;
    }

    private static long awaitProxyRevision(Stack s, long atLeast) {
        await("the proxy at revision " + atLeast).atMost(BOUND).pollInterval(Duration.ofMillis(20)).until(() -> proxyRevision(s) >= atLeast);
        return proxyRevision(s);
    }

    /** The revision of the routing the proxy applies ({@code dsha_proxy_routing_revision}). */
    private static long proxyRevision(Stack s) {
        try {
            String metrics = HTTP.send(HttpRequest.newBuilder(URI.create(s.proxyManagementUrl() + "/q/metrics")).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            return metrics.lines().filter(l -> l.startsWith("dsha_proxy_routing_revision"))
                    .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).findFirst().orElse(-1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Every version of the state document etcd still holds (none is compacted in a test's life), oldest first. */
    private static List<JsonNode> stateHistory(EtcdCluster etcd) {
        String key = Base64.getEncoder().encodeToString("/dsha/state".getBytes(StandardCharsets.UTF_8));
        String url = etcd.clientUrls().stream().filter(u -> etcd.memberAt(u).alive()).findFirst().orElseThrow();
        long head = range(url, "{\"key\":\"" + key + "\"}").path("header").path("revision").asLong();
        List<JsonNode> docs = new ArrayList<>();
        String lastMod = null;
        for (long r = 1; r <= head; r++) {
            JsonNode kvs = range(url, "{\"key\":\"" + key + "\",\"revision\":\"" + r + "\"}").path("kvs");
            if (kvs.isEmpty() || kvs.get(0).path("mod_revision").asText().equals(lastMod)) {
                continue;
            }
            lastMod = kvs.get(0).path("mod_revision").asText();
            try {
                docs.add(JSON.readTree(Base64.getDecoder().decode(kvs.get(0).path("value").asText())));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        assertNotEquals(0, docs.size(), "the state is in etcd");
        return docs;
    }

    private static JsonNode range(String url, String body) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url + "/v3/kv/range")).timeout(Duration.ofSeconds(5))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
