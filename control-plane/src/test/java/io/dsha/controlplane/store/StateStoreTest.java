package io.dsha.controlplane.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dsha.api.json.DshaJson;
import io.dsha.api.report.Observation;
import io.dsha.api.report.ObservedStatus;
import io.dsha.api.report.Report;
import io.dsha.api.report.ReportSource;
import io.dsha.api.topology.Backend;
import io.dsha.api.topology.Mode;
import io.dsha.api.topology.Topology;
import io.dsha.controlplane.decision.DecisionEngine;
import io.dsha.controlplane.decision.MutableClock;
import io.dsha.controlplane.decision.Outcome;
import io.dsha.controlplane.topology.TopologyValidator;
import jakarta.validation.Validation;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.hibernate.validator.HibernateValidator;
import org.hibernate.validator.messageinterpolation.ParameterMessageInterpolator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store against a real directory: atomic writes, the previous copy, restart, refusal, watchers. */
class StateStoreTest {

    private static final TopologyValidator VALIDATOR = new TopologyValidator(Validation.byProvider(HibernateValidator.class)
            .configure().messageInterpolator(new ParameterMessageInterpolator()).buildValidatorFactory().getValidator());

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final DecisionEngine engine = new DecisionEngine(clock, 3);
    private StateStore store;

    private StateStore open() {
        return StateStore.open(dir, VALIDATOR, s -> engine.tick(s).state(), 100);
    }

    @AfterEach
    void close() {
        if (store != null) {
            store.close();
        }
    }

    private static Topology topology(Mode mode) {
        return new Topology(null, null, null, mode, null, null,
                List.of(new Backend("a", "10.0.0.1", 80, null, null, null, null), new Backend("b", "10.0.0.2", 80, null, null, null, null)));
    }

    private Published declare(Mode mode) {
        return store.update(null, s -> engine.applyTopology(s, topology(mode)));
    }

    private Published up(String... ids) {
        List<Observation> obs = java.util.Arrays.stream(ids).map(id -> new Observation(id, ObservedStatus.UP, null, 1L, null)).toList();
        return store.update(null, s -> engine.report(s, new Report(ReportSource.CHECKER, "c1", obs)));
    }

    @Test
    void anEmptyDirectoryStartsAtRevisionZero() {
        store = open();
        assertEquals(0, store.current().revision());
        assertEquals(null, store.current().state().topology());
        assertFalse(Files.exists(dir.resolve("state.json")), "nothing is written until something changes");
    }

    @Test
    void everyChangeIsOnDiskBeforeItIsPublishedAndSurvivesAReopen() throws Exception {
        store = open();
        declare(Mode.ACTIVE_PASSIVE);
        Published p = up("a", "b");
        assertEquals(2, p.revision());
        assertEquals(List.of("a"), p.state().routing().active());

        store.close();
        store = open();

        Published back = store.current();
        assertEquals(p.revision(), back.revision());
        assertEquals(p.topologyRevision(), back.topologyRevision());
        assertEquals(p.state().topology(), back.state().topology());
        assertEquals(p.state().routing(), back.state().routing());
        assertEquals(p.events(), back.events());
        assertEquals(p.state().health().get("a").status(), back.state().health().get("a").status());
    }

    @Test
    void thePreviousGoodCopyIsKept() throws Exception {
        store = open();
        declare(Mode.ACTIVE_PASSIVE);
        declare(Mode.ACTIVE_ACTIVE);

        String prev = Files.readString(dir.resolve("state.json.prev"));
        String cur = Files.readString(dir.resolve("state.json"));
        assertTrue(prev.contains("\"revision\" : 1"), prev);
        assertTrue(cur.contains("\"revision\" : 2"), cur);
        assertFalse(Files.exists(dir.resolve("state.json.tmp")));
    }

    @Test
    void aWriteThatFailsChangesNothing() throws Exception {
        store = open();
        Published before = declare(Mode.ACTIVE_PASSIVE);
        String onDisk = Files.readString(dir.resolve("state.json"));
        // A directory where the temp file must go makes the write fail, even for root.
        Files.createDirectory(dir.resolve("state.json.tmp"));

        assertThrows(UncheckedIOException.class, () -> declare(Mode.ACTIVE_ACTIVE));

        assertSame(before, store.current());
        assertEquals(onDisk, Files.readString(dir.resolve("state.json")));
    }

    @Test
    void aChangeThatThrowsChangesNothing() {
        store = open();
        Published before = declare(Mode.ACTIVE_PASSIVE);

        assertThrows(IllegalStateException.class, () -> store.update(null, s -> {
            throw new IllegalStateException("refused");
        }));

        assertSame(before, store.current());
    }

    @Test
    void ifMatchIsCheckedAgainstTheTopologyRevision() {
        store = open();
        Published p = declare(Mode.ACTIVE_PASSIVE);
        up("a", "b");

        RevisionMismatch e = assertThrows(RevisionMismatch.class, () -> store.update(p.topologyRevision() + 1, s -> new Outcome(s, List.of())));
        assertEquals(p.topologyRevision(), e.actual());
        // A verdict change since does not make the topology's revision stale.
        store.update(p.topologyRevision(), s -> engine.applyTopology(s, topology(Mode.ACTIVE_ACTIVE)));
    }

    @Test
    void aCorruptFileIsRefusedAndLeftAlone() throws Exception {
        Files.writeString(dir.resolve("state.json"), "{\"format\": 1, \"revision\": ");

        StateFileException e = assertThrows(StateFileException.class, this::open);

        assertTrue(e.getMessage().contains(dir.resolve("state.json").toString()), e.getMessage());
        assertTrue(e.getMessage().contains("line 1"), e.getMessage());
        assertEquals("{\"format\": 1, \"revision\": ", Files.readString(dir.resolve("state.json")));
        // The refused directory is not left locked.
        Files.delete(dir.resolve("state.json"));
        store = open();
    }

    @Test
    void aFileWithAnInvalidTopologyIsRefused() throws Exception {
        store = open();
        declare(Mode.ACTIVE_PASSIVE);
        declare(Mode.ACTIVE_ACTIVE);
        store.close();
        store = null;
        String text = Files.readString(dir.resolve("state.json")).replace("\"port\" : 80", "\"port\" : 0");
        Files.writeString(dir.resolve("state.json"), text);

        StateFileException e = assertThrows(StateFileException.class, this::open);
        assertTrue(e.getMessage().contains("backends[0].port: must be between 1 and 65535"), e.getMessage());
        assertTrue(e.getMessage().contains("state.json.prev"), e.getMessage());
    }

    @Test
    void aMissingFileWithAPreviousCopyIsRefused() throws Exception {
        Files.writeString(dir.resolve("state.json.prev"), "{}");
        StateFileException e = assertThrows(StateFileException.class, this::open);
        assertTrue(e.getMessage().contains("refusing to start empty"), e.getMessage());
    }

    @Test
    void theDirectoryIsLockedWhileOpen() {
        store = open();
        StateFileException e = assertThrows(StateFileException.class, this::open);
        assertTrue(e.getMessage().contains("in use by another control plane"), e.getMessage());
    }

    @Test
    void watchersWakeOnTheNextRevisionOnly() {
        store = open();
        Published p = declare(Mode.ACTIVE_PASSIVE);

        CompletableFuture<Published> behind = store.awaitAfter(p.revision() - 1);
        CompletableFuture<Published> waiting = store.awaitAfter(p.revision());
        assertTrue(behind.isDone());
        assertFalse(waiting.isDone());
        assertEquals(1, store.watchers());

        // A report that changes nothing a watcher cares about does not wake it.
        store.update(null, s -> new Outcome(s, List.of()));
        assertFalse(waiting.isDone());

        Published next = declare(Mode.ACTIVE_ACTIVE);
        assertSame(next, waiting.join());
        assertEquals(0, store.watchers());
    }

    @Test
    void theStoredDocumentIsPlainJson() throws Exception {
        store = open();
        declare(Mode.ACTIVE_PASSIVE);
        var doc = DshaJson.mapper().readTree(dir.resolve("state.json").toFile());
        assertEquals(1, doc.get("format").asInt());
        assertEquals("ACTIVE_PASSIVE", doc.get("topology").get("mode").asText());
        assertEquals("2026-01-01T00:00:00Z", doc.get("verdicts").get(0).get("since").asText());
    }
}
