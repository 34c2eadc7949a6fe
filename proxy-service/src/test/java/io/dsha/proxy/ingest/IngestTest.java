package io.dsha.proxy.ingest;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dsha.api.state.RoutingDecision;
import io.dsha.api.state.StateSnapshot;
import io.dsha.api.topology.Backend;
import io.dsha.api.topology.IngestAck;
import io.dsha.api.topology.IngestJournal;
import io.dsha.api.topology.IngestRoute;
import io.dsha.api.topology.Listener;
import io.dsha.api.topology.Mode;
import io.dsha.api.topology.TlsMode;
import io.dsha.api.topology.Topology;
import io.dsha.proxy.follow.RoutingState;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ingest's promises, on real sockets: two small HTTP instances (Vert.x servers that store each record once per
 * key, and can refuse, fail, go silent or die), the journal on disk, and the answers a source gets.
 */
class IngestTest {

    private static Vertx vertx;

    @TempDir
    Path dir;
    private final List<Ingest> opened = new ArrayList<>();
    private final Instance a = new Instance("a");
    private final Instance b = new Instance("b");
    private RoutingState routing;

    /** A DataStack stand-in: stores records by Idempotency-Key, in arrival order; answers as told. */
    static final class Instance {
        enum Mode { ACCEPT, REFUSE, FAIL, SILENT }

        final String name;
        final List<String> stored = Collections.synchronizedList(new ArrayList<>());
        volatile Mode mode = Mode.ACCEPT;
        private HttpServer server;
        private int port;

        Instance(String name) {
            this.name = name;
        }

        Instance start() throws Exception {
            server = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
                switch (mode) {
                    case SILENT -> {
                    }
                    case REFUSE -> req.response().setStatusCode(422).end("{\"error\":\"refused by " + name + "\"}");
                    case FAIL -> req.response().setStatusCode(503).end();
                    case ACCEPT -> {
                        String key = req.getHeader("Idempotency-Key");
                        boolean fresh;
                        synchronized (stored) {
                            fresh = !stored.contains(key);
                            if (fresh) {
                                stored.add(key);
                            }
                        }
                        req.response().setStatusCode(fresh ? 201 : 200).putHeader("Content-Type", "application/json")
                                .end("{\"instance\":\"" + name + "\",\"id\":\"" + key + "\"}");
                    }
                }
            })).listen(port).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            port = server.actualPort();
            return this;
        }

        void kill() throws Exception {
            server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    @BeforeAll
    static void vertx() {
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void closeVertx() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void close() throws Exception {
        opened.forEach(Ingest::close);
        a.server.close();
        b.server.close();
    }

    private Ingest open(IngestAck ack, long maxBytes, int timeoutMs) throws Exception {
        if (routing == null) {
            a.start();
            b.start();
            routing = new RoutingState();
            Topology t = new Topology(new Listener("127.0.0.1", 8443), null, TlsMode.TERMINATE, Mode.ACTIVE_PASSIVE, null, null,
                    List.of(new Backend("a", "127.0.0.1", a.port, 0, 1, null, null), new Backend("b", "127.0.0.1", b.port, 1, 1, null, null)),
                    null, new io.dsha.api.topology.Ingest(List.of(new IngestRoute("POST", "/api/records")), ack, new IngestJournal(maxBytes),
                            null, timeoutMs, null));
            routing.apply(new StateSnapshot(1, 1, t, List.of(), new RoutingDecision(List.of("a"), List.of("b"), List.of(), false, null, null,
                    "test")), "test");
        }
        Ingest ingest = Ingest.open(vertx, dir.resolve("ingest"), 16, routing::targets, new SimpleMeterRegistry());
        opened.add(ingest);
        ingest.onTable(routing.table());
        return ingest;
    }

    private static IngestAnswer post(Ingest ingest, String key, Object source, int bodyBytes) throws Exception {
        CompletableFuture<IngestAnswer> answer = new CompletableFuture<>();
        byte[] body = ("{\"id\":\"" + key + "\",\"pad\":\"" + "x".repeat(bodyBytes) + "\"}").getBytes(StandardCharsets.UTF_8);
        ingest.submit(new Ingest.Request("POST", "/api/records", List.of(Map.entry("Content-Type", "application/json"),
                Map.entry("Idempotency-Key", key)), body, source), answer::complete);
        return answer.get(20, TimeUnit.SECONDS);
    }

    private static IngestAnswer post(Ingest ingest, String key) throws Exception {
        return post(ingest, key, "source-1", 10);
    }

    private static String text(IngestAnswer a) {
        return new String(a.body(), StandardCharsets.UTF_8);
    }

    private static long backlog(Ingest ingest, String backend) {
        return ingest.backlogs().get(backend).records();
    }

    @Test
    void ackOneAnswersWithTheFirstAcceptanceAndReplaysToTheOtherInOrderOnceItIsBack() throws Exception {
        Ingest ingest = open(IngestAck.ONE, 1 << 20, 2_000);
        b.kill();
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            keys.add("r-" + i);
            IngestAnswer answer = post(ingest, "r-" + i);
            assertEquals(201, answer.status(), text(answer));
            assertEquals("a", answer.backend());
            assertEquals("r-" + i, answer.key());
        }
        assertEquals(keys, a.stored);
        assertEquals(30, backlog(ingest, "b"));
        assertEquals(30, ingest.heldRecords());

        b.start();
        await().atMost(Duration.ofSeconds(15)).until(() -> ingest.heldRecords() == 0);
        assertEquals(keys, b.stored, "b got every record once, in the order the source sent them");
        assertEquals(0, backlog(ingest, "b"));
    }

    @Test
    void whenNoInstanceAcceptsNothingIsStoredAnywhereAndNothingIsReplayedLater() throws Exception {
        Ingest ingest = open(IngestAck.ONE, 1 << 20, 2_000);
        a.mode = Instance.Mode.FAIL;
        b.kill();
        IngestAnswer answer = post(ingest, "lost-1");
        assertEquals(503, answer.status());
        assertEquals("application/problem+json", answer.contentType());
        assertTrue(text(answer).contains("nothing was stored") && text(answer).contains("a: answered 503"), text(answer));
        assertEquals(0, ingest.heldRecords());
        ingest.close();

        a.mode = Instance.Mode.ACCEPT;
        b.start();
        Ingest again = open(IngestAck.ONE, 1 << 20, 2_000);
        assertEquals(0, again.heldRecords(), "a record given up is not in the journal any more");
        assertEquals(List.of(), a.stored);
        assertEquals(List.of(), b.stored);
    }

    @Test
    void afterARecordGivenUpEverywhereTheInstancesTakeTheNextOnesOnceTheyAreBack() throws Exception {
        Ingest ingest = open(IngestAck.ONE, 1 << 20, 2_000);
        a.kill();
        b.kill();
        assertEquals(503, post(ingest, "gone-1").status());
        a.start();
        b.start();
        // Their backlogs held only the record given up: once it is dropped at their next try, they have none left.
        await().atMost(Duration.ofSeconds(15)).until(() -> !ingest.backlogs().isEmpty()
                && ingest.backlogs().values().stream().allMatch(x -> x.records() == 0));
        IngestAnswer next = post(ingest, "next-1");
        assertEquals(201, next.status(), text(next));
        await().atMost(Duration.ofSeconds(15)).until(() -> ingest.heldRecords() == 0);
        assertEquals(List.of("next-1"), a.stored);
        assertEquals(List.of("next-1"), b.stored);
    }

    @Test
    void ackAllAnswersOnceEveryInstanceHasItAndOtherwiseKeepsItForTheOneMissing() throws Exception {
        Ingest ingest = open(IngestAck.ALL, 1 << 20, 2_000);
        IngestAnswer both = post(ingest, "all-1");
        assertEquals(201, both.status());
        assertEquals(List.of("all-1"), a.stored);
        assertEquals(List.of("all-1"), b.stored, "ALL: on both before the source hears of it");

        b.kill();
        IngestAnswer partial = post(ingest, "all-2");
        assertEquals(503, partial.status());
        assertTrue(text(partial).contains("accepted by a but not by every instance") && text(partial).contains("Idempotency-Key: all-2"),
                text(partial));
        assertEquals(1, ingest.heldRecords());
        b.start();
        await().atMost(Duration.ofSeconds(15)).until(() -> ingest.heldRecords() == 0);
        assertEquals(List.of("all-1", "all-2"), b.stored);
    }

    @Test
    void anInstanceThatMayHaveStoredItKeepsTheRecordForEveryInstance() throws Exception {
        Ingest ingest = open(IngestAck.ONE, 1 << 20, 300);
        a.mode = Instance.Mode.SILENT;
        b.kill();
        IngestAnswer answer = post(ingest, "doubt-1");
        assertEquals(503, answer.status());
        assertTrue(text(answer).contains("no instance confirmed it") && text(answer).contains("one may have stored it"), text(answer));
        assertEquals(1, ingest.heldRecords(), "kept: a may have it, so b must get it too");
        a.mode = Instance.Mode.ACCEPT;
        b.start();
        await().atMost(Duration.ofSeconds(15)).until(() -> ingest.heldRecords() == 0);
        assertEquals(List.of("doubt-1"), a.stored);
        assertEquals(List.of("doubt-1"), b.stored);
    }

    @Test
    void aFullJournalRefusesWith507AndStoresNothing() throws Exception {
        Ingest ingest = open(IngestAck.ONE, 65_536, 2_000);
        b.kill();
        IngestAnswer last = null;
        int accepted = 0;
        for (int i = 0; i < 100 && (last == null || last.status() != 507); i++) {
            last = post(ingest, "big-" + i, "source-1", 8_000);
            accepted += last.status() == 201 ? 1 : 0;
        }
        assertEquals(507, last.status());
        assertTrue(text(last).contains("ingest.journal.maxBytes") && text(last).contains("b: " + accepted + " records"), text(last));
        assertEquals(accepted, a.stored.size(), "the refused record reached no instance");
        assertTrue(accepted >= 6 && accepted <= 8, "about 64 KiB of 8 KB records: " + accepted);
    }

    @Test
    void aProxyStartedAgainOnItsStateDirectoryReplaysItsJournal() throws Exception {
        Ingest ingest = open(IngestAck.ONE, 1 << 20, 2_000);
        b.kill();
        for (int i = 0; i < 5; i++) {
            assertEquals(201, post(ingest, "kept-" + i).status());
        }
        ingest.close();

        b.start();
        Ingest again = open(IngestAck.ONE, 1 << 20, 2_000);
        await().atMost(Duration.ofSeconds(15)).until(() -> b.stored.size() == 5);
        assertEquals(List.of("kept-0", "kept-1", "kept-2", "kept-3", "kept-4"), b.stored);
        await().atMost(Duration.ofSeconds(5)).until(() -> again.heldRecords() == 0);
        assertEquals(5, a.stored.size(), "a is not sent them again");
    }

    @Test
    void aRefusalByOneIsADivergenceAndARefusalByAllIsTheSourcesAnswer() throws Exception {
        Ingest ingest = open(IngestAck.ONE, 1 << 20, 2_000);
        b.mode = Instance.Mode.REFUSE;
        assertEquals(201, post(ingest, "d-1").status());
        await().atMost(Duration.ofSeconds(5)).until(() -> ingest.backlogs().get("b").diverged() == 1);
        assertEquals(0, ingest.heldRecords(), "not retried");
        a.mode = Instance.Mode.REFUSE;
        IngestAnswer refused = post(ingest, "d-2");
        assertEquals(422, refused.status());
        assertTrue(text(refused).contains("refused by"), text(refused));
        assertEquals(0, ingest.heldRecords());
        assertEquals(1, ingest.backlogs().get("b").diverged(), "refused by every instance: no divergence");
        assertNull(ingest.backlogs().get("a").diverged() == 0 ? null : "a diverged");
    }
}
