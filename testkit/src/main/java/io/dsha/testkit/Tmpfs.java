package io.dsha.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A small tmpfs mounted for a test: a real file system that fills up, so that writes fail with
 * {@code ENOSPC} as on a full disk, without mocks. Mounting needs root: tests call
 * {@link #requireRoot()} first. {@link #close()} unmounts it.
 */
public final class Tmpfs implements AutoCloseable {

    private static final String FILLER = "filler";

    private final Path dir;

    private Tmpfs(Path dir) {
        this.dir = dir;
    }

    /** Whether this process runs as root (the owner of {@code /proc/self} is the process's user). */
    public static boolean root() {
        try {
            return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /** Skips the test where this process is not root, or fails it where every test is required (CI runs as root). */
    public static void requireRoot() {
        Prerequisite.require(root(), "root, to mount a small tmpfs that fills up like a full disk",
                "run the tests as root (.ci/run does, as CI)");
    }

    /** Mounts a tmpfs of {@code kib} KiB at {@code dir} (created if missing). */
    public static Tmpfs mount(Path dir, int kib) throws IOException {
        Files.createDirectories(dir);
        run(List.of("mount", "-t", "tmpfs", "-o", "size=" + kib + "k", "tmpfs", dir.toString()));
        return new Tmpfs(dir);
    }

    public Path dir() {
        return dir;
    }

    /** Takes every free block: a filler file grows until the file system says it is full. */
    public void fill() throws IOException {
        try (FileChannel ch = FileChannel.open(dir.resolve(FILLER), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND)) {
            ByteBuffer block = ByteBuffer.allocate(4096);
            while (true) {
                block.clear();
                ch.write(block);
            }
        } catch (IOException e) {
            if (!String.valueOf(e.getMessage()).contains("No space left on device")) {
                throw e;
            }
        }
    }

    /** Gives back what {@link #fill()} took. */
    public void free() throws IOException {
        Files.deleteIfExists(dir.resolve(FILLER));
    }

    @Override
    public void close() {
        try {
            run(List.of("umount", dir.toString()));
        } catch (IOException e) {
            // Something in it is still open: detach it now, the kernel frees it when the last file is closed.
            try {
                run(List.of("umount", "-l", dir.toString()));
            } catch (IOException again) {
                throw new UncheckedIOException(again);
            }
        }
    }

    private static void run(List<String> command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", command) + " did not finish");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(String.join(" ", command) + " interrupted", e);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed (" + p.exitValue() + "): " + out);
        }
    }
}
