package io.dsha.api.persist;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Replaces a file so that a reader (or a restart after a crash) sees the old content or the new,
 * never a mix: the new content goes to {@code NAME.tmp}, is fsynced, the current file is kept as
 * {@code NAME.prev} (a hard link, so nothing is copied), the temp file is renamed over the current
 * one, and the directory is fsynced.
 */
public final class AtomicFile {

    private AtomicFile() {
    }

    public static Path previous(Path file) {
        return file.resolveSibling(file.getFileName() + ".prev");
    }

    public static void write(Path file, byte[] bytes) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Path temp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
        if (Files.exists(file)) {
            Path prev = previous(file);
            Files.deleteIfExists(prev);
            try {
                Files.createLink(prev, file);
            } catch (UnsupportedOperationException | IOException e) {
                Files.copy(file, prev, StandardCopyOption.REPLACE_EXISTING);
            }
        }
        try {
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
        }
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some file systems cannot open a directory for sync; the rename itself is still atomic.
        }
    }
}
