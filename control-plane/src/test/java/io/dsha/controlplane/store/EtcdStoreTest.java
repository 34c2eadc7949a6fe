package io.dsha.controlplane.store;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dsha.api.event.Event;
import io.dsha.api.event.EventType;
import io.dsha.api.topology.Backend;
import io.dsha.api.topology.Mode;
import io.dsha.api.topology.Topology;
import io.dsha.controlplane.decision.ControlState;
import io.dsha.controlplane.decision.DecisionEngine;
import io.dsha.controlplane.decision.Outcome;
import io.dsha.controlplane.topology.TopologyValidator;
import io.dsha.etcd.Bytes;
import io.dsha.etcd.Compare;
import io.dsha.etcd.EtcdClient;
import io.dsha.etcd.EtcdOptions;
import io.dsha.etcdproc.EtcdCluster;
import io.dsha.testkit.etcd.TestEtcd;
import io.vertx.core.Vertx;
import jakarta.validation.Validation;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.hibernate.validator.HibernateValidator;
import org.hibernate.validator.messageinterpolation.ParameterMessageInterpolator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The state in a real etcd, written by two replicas of the store on one prefix: no lost update, the same revisions in order. */
class EtcdStoreTest {

    private static final TopologyValidator VALIDATOR = new TopologyValidator(Validation.byProvider(HibernateValidator.class)
            .configure().messageInterpolator(new ParameterMessageInterpolator()).buildValidatorFactory().getValidator());
    private static final AtomicInteger PREFIXES = new AtomicInteger();
    private static EtcdCluster etcd;
    private static Vertx vertx;
    private static EtcdClient client;

    private final DecisionEngine engine = new DecisionEngine(java.time.Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"),
            java.time.ZoneOffset.UTC), 3);
    private final String prefix = "/dsha-test-" + PREFIXES.incrementAndGet() + "/";
    private final List<EtcdStore> opened = new ArrayList<>();

    @BeforeAll
    static void startEtcd() {
        etcd = TestEtcd.start(1);
        vertx = Vertx.vertx();
        client = new EtcdClient(vertx, new EtcdOptions(etcd.clientUrls().stream().map(URI::create).toList(), Optional.empty(),
                Optional.empty(), Optional.empty(), Duration.ofSeconds(5)));
    }

    @AfterAll
    static void stopEtcd() throws Exception {
        try {
            if (vertx != null) {
                client.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
                vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            }
        } finally {
            if (etcd != null) {
                etcd.close();
            }
        }
    }

    @AfterEach
    void closeStores() {
        opened.forEach(EtcdStore::close);
    }

    private EtcdStore open(int maxEvents, Optional<Compare> fence) {
        EtcdStore store = EtcdStore.open(client, prefix, VALIDATOR, s -> engine.tick(s).state(), maxEvents, Duration.ofSeconds(5),
                () -> fence);
        opened.add(store);
        return store;
    }

    private EtcdStore open() {
        return open(100, Optional.empty());
    }

    private static Topology topology(Mode mode, List<String> ids) {
        List<Backend> backends = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            backends.add(new Backend(ids.get(i), "10.0.0." + (i + 1), 80, null, null, null, null));
        }
        return new Topology(null, null, null, mode, null, null, backends);
    }

    /** A change that adds backend {@code id} to whatever topology is there now, with an event saying so. */
    private Outcome adding(ControlState s, String id) {
        List<String> ids = new ArrayList<>(s.topology() == null ? List.of() : s.topology().backends().stream().map(Backend::id).toList());
        ids.add(id);
        Outcome applied = engine.applyTopology(s, topology(Mode.ACTIVE_ACTIVE, ids));
        List<Event> events = new ArrayList<>(applied.events());
        events.add(new Event(0, Instant.parse("2026-01-01T00:00:00Z"), 0, EventType.TOPOLOGY_REPLACED, "test", id, null, null, "added " + id));
        return new Outcome(applied.state(), events);
    }

    @Test
    void everyReplicaPublishesTheSameRevisionsInOrder() {
        EtcdStore a = open();
        EtcdStore b = open();
        List<Long> seenByB = new CopyOnWriteArrayList<>();
        b.addListener(p -> seenByB.add(p.revision()));

        assertEquals(0, a.current().revision());
        Published first = a.update(null, s -> adding(s, "a1"));
        assertEquals(1, first.revision());
        await().atMost(Duration.ofSeconds(20)).until(() -> b.current().revision() == 1);
        Published second = b.update(null, s -> adding(s, "b1"));
        assertEquals(2, second.revision());
        await().atMost(Duration.ofSeconds(20)).until(() -> a.current().revision() == 2);

        assertEquals(List.of("a1", "b1"), a.current().state().topology().backends().stream().map(Backend::id).toList());
        assertEquals(List.of(1L, 2L), seenByB);
        assertEquals(a.current().lastEventSeq(), b.current().lastEventSeq());
        assertEquals(a.current().events().stream().map(Event::seq).toList(), b.current().events().stream().map(Event::seq).toList());
    }

    @Test
    void concurrentChangesThroughTwoReplicasAreAllApplied() throws Exception {
        EtcdStore a = open();
        EtcdStore b = open();
        int each = 10;
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> all = new ArrayList<>();
            for (int i = 0; i < each; i++) {
                String ia = "a" + i;
                String ib = "b" + i;
                all.add(pool.submit(() -> a.update(null, s -> adding(s, ia))));
                all.add(pool.submit(() -> b.update(null, s -> adding(s, ib))));
            }
            for (Future<?> f : all) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> a.current().revision() == 2L * each && b.current().revision() == 2L * each);
        List<String> ids = a.current().state().topology().backends().stream().map(Backend::id).sorted().toList();
        assertEquals(IntStream.range(0, each).boxed().flatMap(i -> java.util.stream.Stream.of("a" + i, "b" + i)).sorted().toList(), ids,
                "no change lost, none applied twice");
        assertEquals(a.current().state().topology(), b.current().state().topology());
    }

    @Test
    void aStaleTopologyRevisionIsRefusedWhicheverReplicaIsAsked() {
        EtcdStore a = open();
        EtcdStore b = open();
        Published declared = a.update(null, s -> adding(s, "a1"));
        a.update(declared.topologyRevision(), s -> adding(s, "a2"));

        // b may not have heard of the second change yet: its transaction then loses, it reads again, and refuses.
        RevisionMismatch refused = assertThrows(RevisionMismatch.class, () -> b.update(declared.topologyRevision(), s -> adding(s, "b1")));
        assertTrue(refused.getMessage().contains(String.valueOf(declared.topologyRevision())), refused.getMessage());
        assertEquals(List.of("a1", "a2"), b.current().state().topology().backends().stream().map(Backend::id).toList());
    }

    @Test
    void aWriteWhoseFenceFailsChangesNothing() {
        EtcdStore open = open();
        open.update(null, s -> adding(s, "a1"));
        // A fence on a leader key that does not exist: a replica whose lease ended.
        EtcdStore fenced = open(100, Optional.of(Compare.createRevision(Bytes.of(prefix + "leader"), Compare.Result.EQUAL, 42)));
        Published before = fenced.current();

        assertThrows(NotLeader.class, () -> fenced.update(null, s -> adding(s, "x")));
        assertSame(before, fenced.current(), "nothing changed in memory");
        EtcdStore reader = open();
        assertEquals(1, reader.current().revision(), "nothing changed in etcd");
    }

    @Test
    void aReplicaStartedLaterReadsTheStateAndTheNewestEvents() {
        EtcdStore a = open(3, Optional.empty());
        for (int i = 0; i < 5; i++) {
            String id = "a" + i;
            a.update(null, s -> adding(s, id));
        }
        EtcdStore later = open(3, Optional.empty());
        assertEquals(a.current().revision(), later.current().revision());
        assertEquals(a.current().state().topology(), later.current().state().topology());
        assertEquals(a.current().events().stream().map(Event::seq).toList(), later.current().events().stream().map(Event::seq).toList());
        assertEquals(3, later.current().events().size(), "only the newest maxEvents are kept in etcd");
        assertEquals(a.current().lastEventSeq(), later.current().events().get(0).seq());
    }
}
