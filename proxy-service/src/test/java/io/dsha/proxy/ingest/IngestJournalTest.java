package io.dsha.proxy.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IngestJournalTest {

    private static IngestRecord record(long seq, String... targets) {
        return new IngestRecord(seq, "key-" + seq, "POST", "/api/records?x=1",
                List.of(Map.entry("Content-Type", "application/json"), Map.entry("Idempotency-Key", "key-" + seq)),
                ("{\"n\":" + seq + "}").getBytes(StandardCharsets.UTF_8), 1_700_000_000_000L + seq, targets, null);
    }

    private static void durable(IngestJournal j, IngestRecord r) throws Exception {
        CompletableFuture<IOException> done = new CompletableFuture<>();
        j.appendRecord(r, done::complete);
        assertNull(done.get(10, TimeUnit.SECONDS));
    }

    @Test
    void recordsNotDoneEverywhereComeBackWithWhatIsLeftAndAbortedOnesDoNot(@TempDir Path dir) throws Exception {
        IngestJournal j = new IngestJournal(dir);
        assertEquals(List.of(), j.recover());
        j.start();
        durable(j, record(1, "a", "b"));
        durable(j, record(2, "a", "b"));
        durable(j, record(3, "a", "b"));
        j.appendDone(1, "a");
        j.appendDone(1, "b");
        j.appendDone(2, "a");
        j.appendAbort(3);
        durable(j, record(4, "b"));
        j.close();

        IngestJournal again = new IngestJournal(dir);
        List<IngestJournal.Recovered> back = again.recover();
        again.close();
        assertEquals(2, back.size());
        IngestRecord two = back.get(0).record();
        assertEquals(2, two.seq);
        assertEquals(List.of("b"), back.get(0).remaining());
        assertEquals("key-2", two.key);
        assertEquals("/api/records?x=1", two.uri);
        assertEquals(List.of(Map.entry("Content-Type", "application/json"), Map.entry("Idempotency-Key", "key-2")), two.headers);
        assertArrayEquals("{\"n\":2}".getBytes(StandardCharsets.UTF_8), two.body);
        assertArrayEquals(new String[] {"a", "b"}, two.targets);
        assertEquals(1_700_000_000_002L, two.acceptedAtMillis);
        assertEquals(4, back.get(1).record().seq);
        assertEquals(List.of("b"), back.get(1).remaining());
    }

    @Test
    void onlyTheProxysUserMayReadTheJournal(@TempDir Path dir) throws Exception {
        IngestJournal j = new IngestJournal(dir.resolve("ingest"));
        j.close();
        assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("ingest"))));
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(dir.resolve("ingest").resolve("journal.log"))));
    }

    @Test
    void aWriteCutShortByAFullDiskLeavesNothingTornBehindTheRecordsThatFollow(@TempDir Path dir) throws Exception {
        io.dsha.testkit.Tmpfs.requireRoot();
        try (io.dsha.testkit.Tmpfs disk = io.dsha.testkit.Tmpfs.mount(dir.resolve("disk"), 256)) {
            // Room that can be given back later, as an operator frees space on a full disk.
            Files.write(disk.dir().resolve("ballast"), new byte[64 * 1024]);
            IngestJournal j = new IngestJournal(disk.dir().resolve("ingest"));
            j.recover();
            j.start();
            durable(j, record(1, "a"));
            IOException failure = null;
            long seq = 1;
            while (failure == null && seq < 100) {
                // 20 KB records until one does not fit: the disk takes part of it, then says it is full.
                IngestRecord big = new IngestRecord(++seq, "big-" + seq, "POST", "/api/records", List.of(), new byte[20_000], 0, new String[] {"a"},
                        null);
                CompletableFuture<IOException> done = new CompletableFuture<>();
                j.appendRecord(big, done::complete);
                failure = done.get(10, TimeUnit.SECONDS);
            }
            assertEquals(true, failure != null && String.valueOf(failure.getMessage()).contains("No space left"), String.valueOf(failure));
            long refused = seq;
            Files.delete(disk.dir().resolve("ballast"));
            durable(j, record(refused + 1, "a"));
            j.close();

            IngestJournal again = new IngestJournal(disk.dir().resolve("ingest"));
            List<Long> back = again.recover().stream().map(r -> r.record().seq).toList();
            again.close();
            assertEquals(refused + 1, back.get(back.size() - 1), "the record acknowledged after the full disk is read back: " + back);
            assertEquals(false, back.contains(refused), "the record refused by the full disk is not");
        }
    }

    @Test
    void aTornLastEntryIsCutOffAndTheJournalGoesOnAfterIt(@TempDir Path dir) throws Exception {
        IngestJournal j = new IngestJournal(dir);
        j.recover();
        j.start();
        durable(j, record(1, "a", "b"));
        durable(j, record(2, "a", "b"));
        j.close();
        long whole = Files.size(dir.resolve("journal.log"));
        // A crash in the middle of writing record 2: its last 5 bytes never reached the disk.
        try (FileChannel c = FileChannel.open(dir.resolve("journal.log"), StandardOpenOption.WRITE)) {
            c.truncate(whole - 5);
        }

        IngestJournal again = new IngestJournal(dir);
        List<IngestJournal.Recovered> back = again.recover();
        assertEquals(1, back.size(), "record 2 was never acknowledged: only record 1 comes back");
        assertEquals(1, back.get(0).record().seq);
        again.start();
        durable(again, record(3, "a"));
        again.close();

        IngestJournal third = new IngestJournal(dir);
        List<IngestJournal.Recovered> later = third.recover();
        third.close();
        assertEquals(List.of(1L, 3L), later.stream().map(r -> r.record().seq).toList(), "what follows the cut is read back");
    }

    @Test
    void aCorruptEntryEndsWhatIsReadBack(@TempDir Path dir) throws Exception {
        IngestJournal j = new IngestJournal(dir);
        j.recover();
        j.start();
        durable(j, record(1, "a"));
        durable(j, record(2, "a"));
        j.close();
        byte[] bytes = Files.readAllBytes(dir.resolve("journal.log"));
        bytes[bytes.length - 3] ^= 0x55; // a flipped bit inside record 2: its checksum no longer matches
        Files.write(dir.resolve("journal.log"), bytes);

        IngestJournal again = new IngestJournal(dir);
        assertEquals(List.of(1L), again.recover().stream().map(r -> r.record().seq).toList());
        again.close();
    }

    @Test
    void aRewriteKeepsOnlyWhatIsLiveAndLaterEntriesFollowIt(@TempDir Path dir) throws Exception {
        IngestJournal j = new IngestJournal(dir);
        j.recover();
        j.start();
        for (long i = 1; i <= 50; i++) {
            durable(j, record(i, "a", "b"));
        }
        long before = Files.size(dir.resolve("journal.log"));
        j.rewrite(List.of(new IngestJournal.Recovered(record(7, "a", "b"), List.of("b"))));
        j.appendDone(7, "b");
        durable(j, record(51, "a", "b"));
        j.close();
        assertEquals(true, Files.size(dir.resolve("journal.log")) < before / 10, "the rewritten file holds two records, not fifty");

        IngestJournal again = new IngestJournal(dir);
        List<IngestJournal.Recovered> back = again.recover();
        again.close();
        assertEquals(List.of(51L), back.stream().map(r -> r.record().seq).toList(), "7 was done after the rewrite; 51 came after it");
    }
}
