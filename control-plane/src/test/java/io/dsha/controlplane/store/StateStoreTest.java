package io.dsha.controlplane.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import io.dsha.testkit.Tmpfs;
import io.dsha.controlplane.decision.DecisionEngine;
import io.dsha.controlplane.decision.MutableClock;
import io.dsha.controlplane.decision.Outcome;
import io.dsha.controlplane.topology.TopologyValidator;
import jakarta.validation.Validation;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.hibernate.validator.HibernateValidator;
import org.hibernate.validator.messageinterpolation.ParameterMessageInterpolator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The store against a real directory: atomic writes, the journal, the previous copy, restart, crash, refusal, watchers. */
class StateStoreTest {

    private static final TopologyValidator VALIDATOR = new TopologyValidator(Validation.byProvider(HibernateValidator.class)
            .configure().messageInterpolator(new ParameterMessageInterpolator()).buildValidatorFactory().getValidator());

    @TempDir
    Path dir;

    /** Where {@link #crashImage()} copies the state directory. */
    @TempDir
    Path crashed;

    private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final DecisionEngine engine = new DecisionEngine(clock, 3);
    private StateStore store;

    private StateStore open() {
        return StateStore.open(dir, VALIDATOR, s -> engine.tick(s).state(), 100);
    }

    private StateStore open(int journalLimit) {
        return StateStore.open(dir, VALIDATOR, s -> engine.tick(s).state(), 100, journalLimit);
    }

    /**
     * The state directory as a crash of the process would leave it now (the open store writes nothing
     * more to the copy: no clean close), opened as a restarted control plane would.
     */
    private StateStore crashImage() throws Exception {
        return crashImage(dir);
    }

    private StateStore crashImage(Path from) throws Exception {
        copy(from, "state.json", "state.json.prev", "state.journal");
        return openCrashed();
    }

    /** Copies the named files that exist in {@code from} to {@link #crashed}. */
    private void copy(Path from, String... names) throws Exception {
        for (String name : names) {
            if (Files.exists(from.resolve(name))) {
                Files.copy(from.resolve(name), crashed.resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    private StateStore openCrashed() {
        return StateStore.open(crashed, VALIDATOR, s -> engine.tick(s).state(), 100);
    }

    private static void assertSameState(Published expected, Published actual) {
        assertEquals(expected.revision(), actual.revision(), "revision");
        assertEquals(expected.topologyRevision(), actual.topologyRevision(), "topologyRevision");
        assertEquals(expected.state().topology(), actual.state().topology(), "topology");
        assertEquals(expected.state().routing(), actual.state().routing(), "routing");
        assertEquals(expected.state().memory(), actual.state().memory(), "memory");
        assertEquals(expected.lastEventSeq(), actual.lastEventSeq(), "lastEventSeq");
        assertEquals(expected.events(), actual.events(), "events");
        for (String id : expected.state().health().keySet()) {
            assertEquals(expected.state().health().get(id).status(), actual.state().health().get(id).status(), "verdict of " + id);
            assertEquals(expected.state().health().get(id).since(), actual.state().health().get(id).since(), "verdict since of " + id);
        }
    }

    /** The journal's change records (the lines after its header). */
    private List<String> journalLines() throws Exception {
        return records(dir);
    }

    private static List<String> records(Path dir) throws Exception {
        Path journal = dir.resolve("state.journal");
        List<String> lines = Files.exists(journal) ? Files.readAllLines(journal) : List.of();
        if (!lines.isEmpty() && lines.get(0).matches("[0-9a-f]{8} \\{\"after\":\\d+\\}")) {
            return lines.subList(1, lines.size());
        }
        return lines;
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

    /** A topology whose journal record is larger than a page, so appending it needs a new block of the disk. */
    private static Topology large() {
        List<Backend> backends = java.util.stream.IntStream.range(0, 40)
                .mapToObj(i -> new Backend("backend-" + i, "10.0.1." + i, 8000 + i, null, null, null, null)).toList();
        return new Topology(null, null, null, Mode.ACTIVE_ACTIVE, null, null, backends);
    }

    /** {@code state.json} as an earlier version (or an operator vouching for a hand edit) leaves it: no checksum. */
    private static String withoutChecksum(String stateJson) {
        String text = stateJson.replaceAll(",\\s*\"checksum\" : \"[^\"]*\"", "");
        assertFalse(text.contains("checksum"), text);
        return text;
    }

    private Published declare(Mode mode) {
        return store.update(null, s -> engine.applyTopology(s, topology(mode)));
    }

    private Published up(String... ids) {
        List<Observation> obs = java.util.Arrays.stream(ids).map(id -> Observation.of(id, ObservedStatus.UP, null, 1L, null)).toList();
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
        // The second change went to the journal; a clean stop writes state.json whole over the first.
        store.close();
        store = null;

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
        // A directory where the temp file and the journal must go makes the write fail, even for root.
        Files.createDirectory(dir.resolve("state.json.tmp"));
        Files.delete(dir.resolve("state.journal"));
        Files.createDirectory(dir.resolve("state.journal"));

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
        // A hand edit, vouched for by removing the checksum (else the checksum refuses it first).
        String text = Files.readString(dir.resolve("state.json")).replace("\"port\" : 80", "\"port\" : 0")
                .replaceAll(",\\s*\"checksum\" : \"[^\"]*\"", "");
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

    @Test
    void aChangeAfterTheFirstIsOneJournalLineAndTheStateFileStaysAsItWas() throws Exception {
        store = open();
        Published first = declare(Mode.ACTIVE_PASSIVE);
        byte[] whole = Files.readAllBytes(dir.resolve("state.json"));

        Published p = up("a", "b");

        assertArrayEquals(whole, Files.readAllBytes(dir.resolve("state.json")), "state.json is not rewritten for each change");
        List<String> lines = journalLines();
        assertEquals(1, lines.size(), "one line per change: " + lines);
        assertTrue(lines.get(0).matches("[0-9a-f]{8} \\{.*\\}"), "a checksum, then the record on one line: " + lines.get(0));
        var record = DshaJson.mapper().readTree(lines.get(0).substring(9));
        assertEquals(p.revision(), record.get("revision").asLong());
        // Only the events this change added, not the history before it.
        assertTrue(p.lastEventSeq() > first.lastEventSeq(), "the change made events");
        assertEquals(p.lastEventSeq() - first.lastEventSeq(), record.get("events").size(), "only the new events: " + record);
        for (var e : record.get("events")) {
            assertTrue(e.get("seq").asLong() > first.lastEventSeq(), "an event from before the change: " + e);
        }
    }

    @Test
    void whatACrashLeavesComesBackAsAcknowledged() throws Exception {
        store = open();
        declare(Mode.ACTIVE_PASSIVE);
        up("a", "b");
        declare(Mode.ACTIVE_ACTIVE);
        clock.advance(java.time.Duration.ofSeconds(1));
        Published last = declare(Mode.ACTIVE_PASSIVE);
        assertEquals(4, last.revision());
        assertEquals(3, journalLines().size(), "three changes after the first are journaled");

        try (StateStore restarted = crashImage()) {
            assertSameState(last, restarted.current());
        }
    }

    @Test
    void theJournalIsFoldedIntoTheStateFileEveryLimitChanges() throws Exception {
        store = open(2);
        declare(Mode.ACTIVE_PASSIVE);
        up("a", "b");
        declare(Mode.ACTIVE_ACTIVE);
        assertEquals(2, journalLines().size());
        assertTrue(Files.readString(dir.resolve("state.json")).contains("\"revision\" : 1"));

        Published p = declare(Mode.ACTIVE_PASSIVE);

        assertEquals(List.of(), journalLines(), "the journal is emptied once state.json holds everything");
        assertTrue(Files.readString(dir.resolve("state.json")).contains("\"revision\" : " + p.revision()));
        assertTrue(Files.readString(dir.resolve("state.json.prev")).contains("\"revision\" : 1"), "the previous copy is kept");
        Published next = declare(Mode.ACTIVE_ACTIVE);
        assertEquals(1, journalLines().size(), "journaling goes on after the fold");
        try (StateStore restarted = crashImage()) {
            assertSameState(next, restarted.current());
        }
    }

    @Test
    void aTornLastLineIsDroppedAndCutOffBeforeTheNextChange() throws Exception {
        store = open();
        declare(Mode.ACTIVE_PASSIVE);
        Published acknowledged = up("a", "b");
        store.close();
        store = null;
        // A crash in the middle of an append (never acknowledged) leaves part of a line after the journal's header.
        Files.copy(dir.resolve("state.json"), crashed.resolve("state.json"));
        Files.copy(dir.resolve("state.journal"), crashed.resolve("state.journal"));
        Files.writeString(crashed.resolve("state.journal"), "0badc0de {\"format\":1,\"revision\":", StandardOpenOption.APPEND);

        try (StateStore restarted = StateStore.open(crashed, VALIDATOR, s -> engine.tick(s).state(), 100)) {
            assertSameState(acknowledged, restarted.current());
            Published next = restarted.update(null, s -> engine.applyTopology(s, topology(Mode.ACTIVE_ACTIVE)));
            List<String> lines = records(crashed);
            assertEquals(1, lines.size(), "the torn part is gone, the new change is whole: " + lines);
            assertTrue(lines.get(0).contains("\"revision\":" + next.revision()), lines.get(0));
        }
    }

    @Test
    void aDamagedLineFollowedByOthersIsRefusedAndLeftAlone() throws Exception {
        store = open();
        declare(Mode.ACTIVE_PASSIVE);
        up("a", "b");
        declare(Mode.ACTIVE_ACTIVE);
        List<String> lines = journalLines();
        assertEquals(2, lines.size());
        Files.copy(dir.resolve("state.json"), crashed.resolve("state.json"));
        String damaged = lines.get(0).replace("ACTIVE_PASSIVE", "ACTIVE_PASSIVF") + "\n" + lines.get(1) + "\n";
        Files.writeString(crashed.resolve("state.journal"), damaged);

        StateFileException e = assertThrows(StateFileException.class,
                () -> StateStore.open(crashed, VALIDATOR, s -> engine.tick(s).state(), 100));

        assertTrue(e.getMessage().contains(crashed.resolve("state.journal").toString()), e.getMessage());
        assertTrue(e.getMessage().contains("line 1") && e.getMessage().contains("checksum"), e.getMessage());
        assertTrue(e.getMessage().contains("will not start over it"), e.getMessage());
        assertEquals(damaged, Files.readString(crashed.resolve("state.journal")), "the journal is left exactly as it was");
    }

    @Test
    void aJournalWithoutItsStateFileIsRefused() throws Exception {
        store = open();
        declare(Mode.ACTIVE_PASSIVE);
        up("a", "b");
        Files.copy(dir.resolve("state.journal"), crashed.resolve("state.journal"));

        StateFileException e = assertThrows(StateFileException.class,
                () -> StateStore.open(crashed, VALIDATOR, s -> engine.tick(s).state(), 100));

        assertTrue(e.getMessage().contains("state.json") && e.getMessage().contains("is missing"), e.getMessage());
        assertTrue(Files.exists(crashed.resolve("state.journal")));
    }

    @Test
    void aWholeWriteThatFailsChangesNothing() throws Exception {
        store = open(1);
        declare(Mode.ACTIVE_PASSIVE);
        Published before = up("a", "b");
        String onDisk = Files.readString(dir.resolve("state.json"));
        List<String> journaled = journalLines();
        // The next change must be written whole (the journal is at its limit): make that fail.
        Files.createDirectory(dir.resolve("state.json.tmp"));

        assertThrows(UncheckedIOException.class, () -> declare(Mode.ACTIVE_ACTIVE));

        assertSame(before, store.current());
        assertEquals(onDisk, Files.readString(dir.resolve("state.json")));
        assertEquals(journaled, journalLines(), "the journal still holds the last acknowledged change");
        try (StateStore restarted = crashImage()) {
            assertSameState(before, restarted.current());
        }
    }

    // ---------- the state file's checksum ----------

    @Test
    void theStateFileCarriesAChecksumOfItsContent() throws Exception {
        store = open();
        declare(Mode.ACTIVE_PASSIVE);
        var doc = DshaJson.mapper().readTree(dir.resolve("state.json").toFile());
        assertTrue(doc.get("checksum").asText().matches("crc32c:[0-9a-f]{8}"), doc.toString());
        // Re-indenting the file keeps it valid: the checksum is over the content, not the layout.
        store.close();
        Files.write(dir.resolve("state.json"), DshaJson.mapper().writeValueAsBytes(doc));
        store = open();
        assertEquals(1, store.current().revision());
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "\"port\" : 80|\"port\" : 81",
        "\"revision\" : 2|\"revision\" : 3",
        "\"since\" : \"2026-01-01T00:00:00Z\"|\"since\" : \"2026-01-01T00:00:01Z\""})
    void aFlippedDigitInTheStateFileIsRefusedAtStart(String digit, String flipped) throws Exception {
        store = open();
        declare(Mode.ACTIVE_PASSIVE);
        up("a", "b");
        store.close();
        store = null;
        String text = Files.readString(dir.resolve("state.json"));
        assertTrue(text.contains(digit), text);
        String damaged = text.replaceFirst(java.util.regex.Pattern.quote(digit), flipped);
        Files.writeString(dir.resolve("state.json"), damaged);

        StateFileException e = assertThrows(StateFileException.class, this::open);

        assertTrue(e.getMessage().startsWith("state file " + dir.resolve("state.json") + " does not match its checksum"), e.getMessage());
        assertTrue(e.getMessage().contains("checksum mismatch"), e.getMessage());
        assertTrue(e.getMessage().contains("will not start over it"), e.getMessage());
        assertTrue(e.getMessage().contains(dir.resolve("state.json.prev").toString()), "points at the previous copy: " + e.getMessage());
        assertEquals(damaged, Files.readString(dir.resolve("state.json")), "the file is left exactly as it was");
    }

    @Test
    void anEarlierVersionsStateIsLoadedAndTheNextWriteSealsIt() throws Exception {
        store = open();
        declare(Mode.ACTIVE_PASSIVE);
        up("a", "b");
        Published last = declare(Mode.ACTIVE_ACTIVE);
        // What an earlier version leaves after a crash: state.json without a checksum, a journal of records without a header.
        Files.writeString(crashed.resolve("state.json"), withoutChecksum(Files.readString(dir.resolve("state.json"))));
        Files.write(crashed.resolve("state.journal"), (String.join("\n", journalLines()) + "\n").getBytes(StandardCharsets.UTF_8));

        try (StateStore upgraded = openCrashed()) {
            assertSameState(last, upgraded.current());
            Published next = upgraded.update(null, s -> engine.applyTopology(s, topology(Mode.ACTIVE_PASSIVE)));
            assertTrue(Files.readString(crashed.resolve("state.json")).contains("\"checksum\" : \"crc32c:"), "the next write adds the checksum");
            assertTrue(Files.readString(crashed.resolve("state.json")).contains("\"revision\" : " + next.revision()), "written whole");
            assertEquals(List.of(), records(crashed), "the journal is started over, after the state file");
        }
        try (StateStore again = openCrashed()) {
            assertEquals(last.revision() + 1, again.current().revision());
        }
    }

    @Test
    void anEarlierVersionsCleanStopIsLoadedAndSealedByTheNextCleanStop() throws Exception {
        store = open();
        declare(Mode.ACTIVE_PASSIVE);
        Published last = up("a", "b");
        store.close();
        store = null;
        Files.writeString(dir.resolve("state.json"), withoutChecksum(Files.readString(dir.resolve("state.json"))));
        Files.write(dir.resolve("state.journal"), new byte[0]);

        store = open();
        assertSameState(last, store.current());
        store.close();
        store = null;

        assertTrue(Files.readString(dir.resolve("state.json")).contains("\"checksum\""), "a clean stop writes the state whole, sealed");
        store = open();
        assertSameState(last, store.current());
    }

    // ---------- the journal the state file expects ----------

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"emptied", "deleted", "cut inside its header"})
    void aJournalThatLostItsChangesIsRefusedNotRolledBack(String damage) throws Exception {
        store = open();
        declare(Mode.ACTIVE_PASSIVE);
        up("a", "b");
        declare(Mode.ACTIVE_ACTIVE);
        assertEquals(2, journalLines().size());
        copy(dir, "state.json", "state.json.prev");
        Path journal = crashed.resolve("state.journal");
        switch (damage) {
            case "emptied" -> Files.write(journal, new byte[0]);
            case "deleted" -> {
                // not copied
            }
            default -> Files.write(journal, java.util.Arrays.copyOf(Files.readAllBytes(dir.resolve("state.journal")), 12));
        }
        byte[] left = Files.exists(journal) ? Files.readAllBytes(journal) : null;

        StateFileException e = assertThrows(StateFileException.class, this::openCrashed);

        String m = e.getMessage();
        assertTrue(m.startsWith("state journal " + journal), m);
        assertTrue(m.contains(crashed.resolve("state.json") + " (revision 1) was written to be continued by it"), m);
        assertTrue(m.contains("the changes made after revision 1 would be rolled back silently"), m);
        assertTrue(m.contains("will not start over it"), m);
        if (left == null) {
            assertTrue(m.contains("is missing"), m);
            assertFalse(Files.exists(journal), "nothing is created");
        } else {
            assertArrayEquals(left, Files.readAllBytes(journal), "the journal is left exactly as it was");
        }
    }

    @Test
    void aStateFileOlderThanItsJournalIsRefused() throws Exception {
        store = open(2);
        declare(Mode.ACTIVE_PASSIVE);
        up("a", "b");
        declare(Mode.ACTIVE_ACTIVE);
        declare(Mode.ACTIVE_PASSIVE);
        declare(Mode.ACTIVE_ACTIVE);
        assertEquals(1, journalLines().size(), "revision 5 continues the state file at revision 4");
        // The previous copy (revision 1) put back as the state file, with the journal that continues revision 4.
        Files.copy(dir.resolve("state.json.prev"), crashed.resolve("state.json"));
        copy(dir, "state.journal");

        StateFileException e = assertThrows(StateFileException.class, this::openCrashed);

        assertTrue(e.getMessage().contains("continues revision 4"), e.getMessage());
        assertTrue(e.getMessage().contains("is at revision 1: the state file is older than its journal"), e.getMessage());
    }

    @Test
    void aCrashBetweenTheStateFileAndTheJournalsRestartComesBackAsAcknowledged() throws Exception {
        store = open(2);
        declare(Mode.ACTIVE_PASSIVE);
        up("a", "b");
        declare(Mode.ACTIVE_ACTIVE);
        copy(dir, "state.journal");
        // The fold: state.json is written at revision 4, then the journal is started over; the crash comes between.
        Published folded = declare(Mode.ACTIVE_PASSIVE);
        copy(dir, "state.json", "state.json.prev");
        assertEquals(2, records(crashed).size(), "the crashed journal still holds revisions 2 and 3");

        try (StateStore restarted = openCrashed()) {
            assertSameState(folded, restarted.current());
            Published next = restarted.update(null, s -> engine.applyTopology(s, topology(Mode.ACTIVE_ACTIVE)));
            assertTrue(Files.readString(crashed.resolve("state.json")).contains("\"revision\" : " + next.revision()),
                    "the next change is written whole, as the journal does not continue the state file");
            assertEquals(List.of(), records(crashed));
        }
        try (StateStore again = openCrashed()) {
            assertEquals(folded.revision() + 1, again.current().revision());
        }
    }

    @Test
    void aFirstWriteThatFailsAfterTheJournalStartedLeavesAnEmptyStartAndIsRetried() throws Exception {
        store = open();
        Files.createDirectory(dir.resolve("state.json.tmp"));

        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> declare(Mode.ACTIVE_PASSIVE));

        assertTrue(e.getMessage().contains("state file " + dir.resolve("state.json") + " could not be written"), e.getMessage());
        assertEquals(0, store.current().revision());
        assertTrue(Files.exists(dir.resolve("state.journal")), "the journal was started first");
        try (StateStore restarted = crashImage()) {
            assertEquals(0, restarted.current().revision(), "a journal naming a state file that was never written holds nothing");
        }
        Files.delete(dir.resolve("state.json.tmp"));
        Published p = declare(Mode.ACTIVE_PASSIVE);
        Published q = up("a", "b");
        assertEquals(1, p.revision());
        assertEquals(1, journalLines().size());
        store.close();
        store = open();
        assertSameState(q, store.current());
    }

    // ---------- write failures ----------

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"state.journal", "state.json"})
    void aFullDiskFailsTheChangeChangesNothingAndIsReportedUntilAWriteSucceeds(String failing) throws Exception {
        Tmpfs.requireRoot();
        Path state;
        Published after;
        try (Tmpfs disk = Tmpfs.mount(dir.resolve("disk"), 256)) {
            state = disk.dir().resolve("state");
            // A journal limit of 1: the change after the first journaled one is written whole.
            store = StateStore.open(state, VALIDATOR, s -> engine.tick(s).state(), 100, failing.equals("state.json") ? 1 : 1000);
            declare(Mode.ACTIVE_PASSIVE);
            Published before = up("a", "b");
            assertTrue(store.writeFailure().isEmpty());
            disk.fill();

            UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> store.update(null, s -> engine.applyTopology(s, large())));

            assertTrue(e.getMessage().contains(state.resolve(failing) + " could not be written; the change was not applied"), e.getMessage());
            assertTrue(e.getMessage().contains("No space left on device"), e.getMessage());
            assertSame(before, store.current(), "nothing changed in memory");
            Store.WriteFailure failure = store.writeFailure().orElseThrow();
            assertEquals(state.resolve(failing).toString(), failure.where());
            assertTrue(failure.error().contains("No space left on device"), failure.error());
            assertEquals(1, store.writeFailures());
            try (StateStore restarted = crashImage(state)) {
                assertSameState(before, restarted.current());
            }

            disk.free();
            after = store.update(null, s -> engine.applyTopology(s, large()));

            assertEquals(before.revision() + 1, after.revision());
            assertTrue(store.writeFailure().isEmpty(), "the next write that succeeds clears the failure");
            assertEquals(1, store.writeFailures(), "the count of failures stays");
            store.close();
            store = null;
            copy(state, "state.json", "state.json.prev", "state.journal");
        }
        try (StateStore restarted = openCrashed()) {
            assertSameState(after, restarted.current());
        }
    }
}
