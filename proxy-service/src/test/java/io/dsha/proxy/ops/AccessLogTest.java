package io.dsha.proxy.ops;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.dsha.proxy.config.ProxyConfig.AccessLogConfig.Format;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.EventExecutor;
import java.io.FileInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The access log's lines, its batching on real event loops, and what it does when its writer falls behind. */
class AccessLogTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private DefaultEventLoopGroup loops;

    @BeforeEach
    void loops() {
        loops = new DefaultEventLoopGroup(2);
    }

    @AfterEach
    void stop() {
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static List<String> lines(Path file) throws Exception {
        return Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of();
    }

    private static void on(EventLoop loop, Runnable r) {
        loop.submit(r).syncUninterruptibly();
    }

    @Test
    void aTextLineHasEveryFieldAndEscapesWhatCouldBreakIt() throws Exception {
        Path file = dir.resolve("access.log");
        try (AccessLog log = new AccessLog(Format.TEXT, file, 1 << 20)) {
            EventLoop loop = loops.next();
            on(loop, () -> log.http(loop, "10.0.0.7", "GET", "/orders/42?token=secret", 200, 0, 6, "a", 1, 1_234_567, 12_000, 1_100_000));
            // Hostile: a space, a CR LF, a backslash, Latin-1 and a quote in the path; an unknown backend; nothing timed.
            on(loop, () -> log.http(loop, "10.0.0.8", "P\u0000ST", "/a b\r\nX-Evil: 1\\é\"", 502, 17, 0, null, 0, 5_000_000, -1, -1));
            on(loop, () -> log.tcp(loop, "10.0.0.9", "db.example", "b", 300, 4000, 2_000_000_000L, "idle timeout"));
            await().atMost(Duration.ofSeconds(5)).until(() -> lines(file).size() == 3);
        }
        List<String> lines = lines(file);
        String first = lines.get(0);
        assertTrue(first.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z 10\\.0\\.0\\.7 GET /orders/42 200 in=0 out=6 backend=a attempts=1 "
                + "total=1\\.234ms connect=0\\.012ms first_byte=1\\.100ms"), first);
        assertFalse(first.contains("secret"), "the query is never logged");
        String second = lines.get(1);
        assertTrue(second.endsWith(" 10.0.0.8 P\\x00ST /a\\x20b\\x0d\\x0aX-Evil:\\x201\\x5c\\xe9\" 502 in=17 out=0 backend=- attempts=0 total=5.000ms "
                + "connect=- first_byte=-"), second);
        assertTrue(lines.get(2).endsWith(" 10.0.0.9 tcp sni=db.example backend=b in=300 out=4000 total=2000.000ms end=idle timeout"), lines.get(2));
        Instant time = Instant.parse(first.substring(0, first.indexOf(' ')));
        assertTrue(Duration.between(time, Instant.now()).abs().compareTo(Duration.ofMinutes(1)) < 0, "the time is now, in UTC: " + time);
    }

    @Test
    void aJsonLineParsesWhateverThePathHolds() throws Exception {
        Path file = dir.resolve("access.json");
        try (AccessLog log = new AccessLog(Format.JSON, file, 1 << 20)) {
            EventLoop loop = loops.next();
            on(loop, () -> log.http(loop, "::1", "PUT", "/a\"b\\c\u0001\u00ff?q=1", 201, 4000, 2, "b", 2, 3_000_000, 250_000, 2_500_000));
            on(loop, () -> log.http(loop, "::1", "GET", "/", 503, 0, 90, null, 0, 40_000, -1, -1));
            on(loop, () -> log.tcp(loop, "::1", null, "a", 1, 2, 3_000, "idle timeout"));
            await().atMost(Duration.ofSeconds(5)).until(() -> lines(file).size() == 3);
        }
        List<String> lines = lines(file);
        JsonNode put = JSON.readTree(lines.get(0));
        assertEquals("PUT", put.get("method").asText());
        assertEquals("/a\"b\\c\u0001\u00ff", put.get("path").asText(), "escaped, read back whole, its query left out");
        assertEquals(201, put.get("status").asInt());
        assertEquals(4000, put.get("bytes_in").asLong());
        assertEquals(2, put.get("bytes_out").asLong());
        assertEquals("b", put.get("backend").asText());
        assertEquals(2, put.get("attempts").asInt());
        assertEquals(3.0, put.get("duration_ms").asDouble(), 1e-9);
        assertEquals(0.25, put.get("connect_ms").asDouble(), 1e-9);
        assertEquals(2.5, put.get("first_byte_ms").asDouble(), 1e-9);
        Instant.parse(put.get("time").asText());
        JsonNode refused = JSON.readTree(lines.get(1));
        assertTrue(refused.get("backend").isNull());
        assertTrue(refused.get("connect_ms").isNull());
        assertTrue(refused.get("first_byte_ms").isNull());
        assertEquals(0.04, refused.get("duration_ms").asDouble(), 1e-9);
        JsonNode tcp = JSON.readTree(lines.get(2));
        assertEquals("tcp", tcp.get("protocol").asText());
        assertTrue(tcp.get("sni").isNull());
        assertEquals("idle timeout", tcp.get("end").asText());
        assertTrue(lines.stream().allMatch(l -> l.chars().allMatch(c -> c >= 0x20 && c < 0x7f)), "ASCII only, one line each");
    }

    @Test
    void aHugePathIsCutAndTheLineStaysWhole() throws Exception {
        Path file = dir.resolve("access.log");
        try (AccessLog log = new AccessLog(Format.TEXT, file, 1 << 20)) {
            EventLoop loop = loops.next();
            on(loop, () -> log.http(loop, "10.0.0.1", "GET", "/" + "\u0001".repeat(100_000), 414, 0, 0, null, 0, 1, -1, -1));
            on(loop, () -> log.http(loop, "10.0.0.1", "GET", "/next", 200, 0, 0, "a", 1, 1, 1, 1));
            await().atMost(Duration.ofSeconds(5)).until(() -> lines(file).size() == 2);
        }
        List<String> lines = lines(file);
        assertTrue(lines.get(0).length() < AccessLog.MAX_LINE_BYTES, "cut: " + lines.get(0).length());
        assertTrue(lines.get(0).contains("... 414 in=0"), lines.get(0).substring(lines.get(0).length() - 80));
        assertTrue(lines.get(1).contains(" GET /next 200 "), lines.get(1));
    }

    /** Many lines from two loops at once: every one written once, whole, by the periodic hand-off and by full batches. */
    @Test
    void linesFromSeveralLoopsAreAllWrittenWhole() throws Exception {
        Path file = dir.resolve("access.log");
        int perLoop = 5_000;
        try (AccessLog log = new AccessLog(Format.TEXT, file, 1 << 22)) {
            EventLoop one = loops.next();
            EventLoop two = loops.next();
            CompletableFuture<Void> a = CompletableFuture.runAsync(() -> fill(log, one, "a", perLoop));
            CompletableFuture<Void> b = CompletableFuture.runAsync(() -> fill(log, two, "b", perLoop));
            CompletableFuture.allOf(a, b).get(20, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(10)).until(() -> log.written() == 2L * perLoop);
            assertEquals(0, log.dropped());
        }
        Set<String> seen = new HashSet<>();
        for (String line : lines(file)) {
            String[] f = line.split(" ");
            assertEquals(12, f.length, line);
            assertTrue(seen.add(f[3]), "once: " + f[3]);
        }
        assertEquals(2 * perLoop, seen.size());
    }

    private static void fill(AccessLog log, EventLoop loop, String name, int n) {
        for (int i = 0; i < n; i += 100) {
            int from = i;
            // A hundred lines a round of the loop, as a busy loop logs them.
            loop.submit(() -> {
                for (int k = from; k < from + 100; k++) {
                    log.http(loop, "127.0.0.1", "GET", "/" + name + "/" + k, 200, 0, 6, name, 1, 1_000, 10, 500);
                }
            }).syncUninterruptibly();
        }
    }

    /**
     * The destination stops taking lines (a pipe nobody reads, as a container's standard output whose reader hung): the
     * loop is never held up, lines are dropped and counted; once the pipe is read again, lines are written again.
     */
    @Test
    void whenTheWriterFallsBehindLinesAreDroppedAndCountedNeverWaitedFor() throws Exception {
        Path fifo = dir.resolve("pipe");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor());
        // Opening a FIFO for writing waits for a reader: open one, and read nothing from it yet.
        CompletableFuture<InputStream> reader = CompletableFuture.supplyAsync(() -> {
            try {
                return new FileInputStream(fifo.toFile());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        try (AccessLog log = new AccessLog(Format.TEXT, fifo, 2 * AccessLog.BATCH_BYTES)) {
            InputStream in = reader.get(5, TimeUnit.SECONDS);
            EventLoop loop = loops.next();
            String path = "/" + "p".repeat(200);
            // Far more than the pipe (64 KiB) and the two batches hold. Every call returns: the loop never waits.
            int sent = 0;
            while (log.dropped() == 0 && sent < 200_000) {
                int from = sent;
                on(loop, () -> {
                    for (int k = 0; k < 1_000; k++) {
                        log.http(loop, "127.0.0.1", "GET", path, 200, 0, 0, "a", 1, 1, 1, 1);
                    }
                });
                sent = from + 1_000;
            }
            assertTrue(log.dropped() > 0, "dropped, not waited for, after " + sent + " lines");
            long writtenBefore = log.written();
            // The reader comes back: what the writer held goes out, and new lines are taken again.
            java.io.ByteArrayOutputStream received = new java.io.ByteArrayOutputStream();
            CompletableFuture<Long> drained = CompletableFuture.supplyAsync(() -> {
                try (in) {
                    return in.transferTo(received);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            await().atMost(Duration.ofSeconds(10)).until(() -> log.written() > writtenBefore);
            long droppedBefore = log.dropped();
            EventExecutor e = loop;
            on(loop, () -> log.http(e, "127.0.0.1", "GET", "/after", 200, 0, 0, "a", 1, 1, 1, 1));
            await().atMost(Duration.ofSeconds(10)).until(() -> log.dropped() == droppedBefore && log.written() >= writtenBefore + 1);
            log.close();
            assertTrue(drained.get(10, TimeUnit.SECONDS) > 0);
            String out = received.toString(StandardCharsets.US_ASCII);
            assertTrue(out.contains(" GET /after 200 "), "the line taken once the pipe was read again went out");
            assertTrue(out.endsWith("\n"), "whole lines only");
        }
    }
}
