package io.dsha.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.dsha.api.event.EventType;
import io.dsha.api.topology.Ingest;
import io.dsha.api.topology.IngestAck;
import io.dsha.api.topology.IngestJournal;
import io.dsha.api.topology.IngestRoute;
import io.dsha.launcher.Stack;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * KB376 step 4 built in (issue 28), on real processes: records a data source posts to the balancer reach both
 * instances, through an instance's outage, a proxy's kill -9, a full journal and a failover, under both ack policies.
 * Each scenario compares what the two simulated instances hold at the end (their ids and the checksum of the set).
 */
class IngestIT extends StackScenarios {

    private static final Duration DRAIN = Duration.ofSeconds(60);

    private static Ingest ingest(IngestAck ack, long journalBytes) {
        return new Ingest(List.of(new IngestRoute("POST", "/api/records")), ack, new IngestJournal(journalBytes), null, 2_000, null);
    }

    /** Puts the topology with {@code ingest} and waits until the proxy delivers records to both instances. */
    private static void ingestOn(Stack s, Ingest ingest) {
        s.client().putTopology(s.topology().withIngest(ingest));
        int[] n = {0};
        await("the proxy delivers records to both instances").atMost(BOUND).pollInterval(Duration.ofMillis(100)).until(() -> {
            String id = "probe-" + n[0]++;
            HttpResponse<String> r = post(s, id);
            return r.statusCode() == 201 && r.headers().firstValue("Idempotency-Key").isPresent();
        });
        awaitHeldRecords(s, 0);
    }

    private static HttpResponse<String> post(Stack s, String id) {
        try {
            HttpClient http = HttpClient.newBuilder().sslContext(Load.trusting(s.certificate())).connectTimeout(Duration.ofSeconds(2)).build();
            return http.send(HttpRequest.newBuilder(URI.create(s.loadBalancerUrl() + "/api/records")).timeout(Duration.ofSeconds(10))
                    .header("Content-Type", "application/json").header("Idempotency-Key", id)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"" + id + "\",\"pad\":\"" + "x".repeat(200) + "\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** One of the proxy's metrics (summed over its tags that match {@code tags}), or -1 when it is not there. */
    static double metric(Stack s, String name, String tags) {
        String text;
        try {
            text = HTTP.send(HttpRequest.newBuilder(URI.create(s.proxyManagementUrl() + "/q/metrics")).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
        Matcher m = Pattern.compile("(?m)^" + name + "(\\{[^}]*\\})? (\\S+)$").matcher(text);
        double sum = -1;
        while (m.find()) {
            if (tags == null || (m.group(1) != null && m.group(1).contains(tags))) {
                sum = Math.max(sum, 0) + Double.parseDouble(m.group(2));
            }
        }
        return sum;
    }

    static void awaitHeldRecords(Stack s, long n) {
        await("the proxy holds " + n + " records for instances").atMost(DRAIN).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .until(() -> metric(s, "dsha_ingest_held_records", null) == n);
    }

    private static Set<String> ids(Stack s, String sim, String prefix) {
        Set<String> out = new TreeSet<>();
        for (String id : recordIds(s, sim)) {
            if (id.startsWith(prefix)) {
                out.add(id);
            }
        }
        return out;
    }

    /** Both instances hold the same records (the ids, and the checksum of the whole set each computes). */
    private static void assertSameRecords(Stack s) {
        JsonNode a = get(s.sim("a").url() + "/api/records", 200);
        JsonNode b = get(s.sim("b").url() + "/api/records", 200);
        assertEquals(a.path("count").asLong(), b.path("count").asLong(), "a and b hold as many records");
        assertEquals(a.path("checksum").asText(), b.path("checksum").asText(), "a and b hold the same records");
    }

    private static Set<String> expected(String prefix, int total) {
        Set<String> out = new TreeSet<>();
        for (int i = 0; i < total; i++) {
            out.add(IngestSource.id(prefix, i));
        }
        return out;
    }

    @Test
    void twentyThousandRecordsReachBothInstancesWhileOneIsDownForTwentySeconds() {
        try (Stack s = stack("ingest-outage", "ACTIVE_PASSIVE")) {
            ingestOn(s, ingest(IngestAck.ONE, 256L << 20));
            int total = 20_000;
            try (IngestSource source = new IngestSource(s.loadBalancerUrl(), s.certificate(), "r", total, 700, 8, true)) {
                await().atMost(BOUND).until(() -> source.started() >= 2_000);
                s.sim("b").process().kill();
                // b stays down while the source sends 14,000 more records: 20 s at 700 a second.
                await("20 s of records while b is down").atMost(Duration.ofSeconds(40)).until(() -> source.started() >= 16_000);
                assertTrue(metric(s, "dsha_ingest_backlog_records", "backend=\"b\"") > 10_000, "b's backlog is counted");
                s.restartSim("b");
                await("the source is done").atMost(Duration.ofSeconds(60)).until(source::finished);
                awaitHeldRecords(s, 0);
                System.out.println("[e2e] ingest, b down 20 s: statuses " + source.statuses() + " " + source.lastErrors());
                assertEquals(expected("r", total), source.acked(), "every record was acknowledged");
            }
            assertEquals(expected("r", total), ids(s, "a", "r-"));
            assertEquals(expected("r", total), ids(s, "b", "r-"));
            assertSameRecords(s);
            assertEquals(0, metric(s, "dsha_ingest_backlog_records", "backend=\"b\""));
            // The control plane heard of it from the proxy's reports: b's backlog began, and ended.
            await("the backlog's events").atMost(BOUND).pollInterval(Duration.ofMillis(200)).until(() -> s.client().events(200).stream()
                    .filter(e -> e.type() == EventType.INGEST_BACKLOG_STARTED || e.type() == EventType.INGEST_BACKLOG_CLEARED)
                    .filter(e -> "b".equals(e.backendId())).map(e -> e.type()).distinct().count() == 2);
        }
    }

    @Test
    void aProxyKilledMidStreamLosesNoAcknowledgedRecordAndLeavesNoneOnOneInstanceAlone() {
        try (Stack s = stack("ingest-proxy-kill", "ACTIVE_PASSIVE")) {
            ingestOn(s, ingest(IngestAck.ONE, 256L << 20));
            int total = 4_000;
            try (IngestSource source = new IngestSource(s.loadBalancerUrl(), s.certificate(), "k", total, 400, 8, false)) {
                await().atMost(BOUND).until(() -> source.started() >= 1_500);
                s.proxy().kill();
                s.restartProxy();
                await("the source is done").atMost(Duration.ofSeconds(60)).until(source::finished);
                awaitHeldRecords(s, 0);
                System.out.println("[e2e] ingest, proxy kill -9: statuses " + source.statuses() + ", acknowledged " + source.acked().size());
                Set<String> onA = ids(s, "a", "k-");
                Set<String> onB = ids(s, "b", "k-");
                assertEquals(onA, onB, "no record is on one instance alone");
                assertTrue(onA.containsAll(source.acked()), "every acknowledged record is on both");
                assertFalse(source.unacked().isEmpty(), "the kill was seen by the source (else this tests nothing)");
            }
            assertSameRecords(s);
        }
    }

    @Test
    void aFullJournalRefusesWithAProblemAndStoresNothingUntilSpaceIsFreed() {
        try (Stack s = stack("ingest-full", "ACTIVE_PASSIVE")) {
            ingestOn(s, ingest(IngestAck.ONE, 65_536));
            s.sim("b").process().kill();
            HttpResponse<String> refused = null;
            for (int i = 0; i < 1_000 && refused == null; i++) {
                HttpResponse<String> r = post(s, "full-" + i);
                if (r.statusCode() == 507) {
                    refused = r;
                } else {
                    assertEquals(201, r.statusCode(), r.body());
                }
            }
            assertTrue(refused != null, "the journal filled up");
            assertEquals("application/problem+json", refused.headers().firstValue("Content-Type").orElse(""));
            assertTrue(refused.body().contains("ingest.journal.maxBytes") && refused.body().contains("b:"), refused.body());
            String refusedId = refused.headers().firstValue("Idempotency-Key").orElseThrow();
            assertFalse(ids(s, "a", "full-").contains(refusedId), "a refused record is on no instance");

            s.restartSim("b");
            awaitHeldRecords(s, 0);
            assertEquals(201, post(s, refusedId).statusCode(), "space freed: accepted again");
            awaitHeldRecords(s, 0);
            assertEquals(ids(s, "a", "full-"), ids(s, "b", "full-"));
            assertTrue(ids(s, "b", "full-").contains(refusedId));
        }
    }

    @Test
    void activePassiveFailoverUnderIngestFindsEveryRecordOnTheStandby() {
        try (Stack s = stack("ingest-failover", "ACTIVE_PASSIVE")) {
            ingestOn(s, ingest(IngestAck.ONE, 256L << 20));
            awaitActive(s, "a");
            int total = 3_000;
            try (IngestSource source = new IngestSource(s.loadBalancerUrl(), s.certificate(), "f", total, 300, 4, true)) {
                await().atMost(BOUND).until(() -> source.started() >= 1_000);
                s.sim("a").process().kill();
                awaitActive(s, "b");
                // Acknowledged before b's records are read: whatever was acknowledged by then (by a, or by b) is on b.
                Set<String> acknowledged = new HashSet<>(source.acked());
                assertTrue(ids(s, "b", "f-").containsAll(acknowledged), "b had every acknowledged record when it took over");
                await("the source is done").atMost(Duration.ofSeconds(60)).until(source::finished);
                assertEquals(expected("f", total), source.acked());
                assertEquals(expected("f", total), ids(s, "b", "f-"), "the standby has everything");
                s.restartSim("a");
                awaitHeldRecords(s, 0);
                assertEquals(expected("f", total), ids(s, "a", "f-"), "a got what it missed when it came back");
            }
        }
    }

    @Test
    void ackAllWaitsForEveryInstanceAndAOneSidedRefusalIsADivergence() {
        try (Stack s = stack("ingest-ack", "ACTIVE_PASSIVE")) {
            ingestOn(s, ingest(IngestAck.ALL, 256L << 20));
            // ALL: by the time the source has its answer, both instances hold the record.
            for (int i = 0; i < 20; i++) {
                assertEquals(201, post(s, "all-" + i).statusCode());
                assertTrue(ids(s, "a", "all-").contains("all-" + i) && ids(s, "b", "all-").contains("all-" + i));
            }
            s.sim("b").process().kill();
            HttpResponse<String> partial = post(s, "all-b-down");
            assertEquals(503, partial.statusCode(), partial.body());
            assertTrue(partial.body().contains("accepted by a") && partial.body().contains("Idempotency-Key"), partial.body());
            assertTrue(ids(s, "a", "all-").contains("all-b-down"));
            s.restartSim("b");
            awaitHeldRecords(s, 0);
            assertTrue(ids(s, "b", "all-").contains("all-b-down"), "kept in the journal and delivered to b once it answered");

            // ONE, and b refuses records (422): the source has a's answer, b's refusal is a divergence, never retried.
            ingestOn(s, ingest(IngestAck.ONE, 256L << 20));
            post(s.sim("b").url() + "/sim/refuse", "{\"status\":422}");
            assertEquals(201, post(s, "diverged-1").statusCode());
            await().atMost(BOUND).ignoreExceptions().until(() -> metric(s, "dsha_ingest_diverged_total", "backend=\"b\"") == 1);
            awaitHeldRecords(s, 0);
            assertTrue(ids(s, "a", "diverged-").contains("diverged-1"));
            assertFalse(ids(s, "b", "diverged-").contains("diverged-1"));
            // Both refuse: the source gets the instances' own 422, and nothing is stored.
            post(s.sim("a").url() + "/sim/refuse", "{\"status\":422}");
            HttpResponse<String> bad = post(s, "refused-1");
            assertEquals(422, bad.statusCode(), bad.body());
            awaitHeldRecords(s, 0);
            assertFalse(ids(s, "a", "refused-").contains("refused-1"));
            assertEquals(1, metric(s, "dsha_ingest_diverged_total", "backend=\"b\""), "a refusal by all is not a divergence");
        }
    }
}
