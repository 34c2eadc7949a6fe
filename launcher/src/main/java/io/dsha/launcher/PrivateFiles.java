package io.dsha.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Files that hold secrets (tokens, the demo's key store, {@code stack.json}) and the directories that hold them:
 * files are created mode 0600 and directories 0700 from the start (the permission is part of the creation, so there
 * is no moment in which another user could open them), and a file is replaced by renaming a private temporary file
 * over it, so it is private even where an older, wider file stood.
 */
final class PrivateFiles {

    static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");
    static final Set<PosixFilePermission> DIRECTORY = PosixFilePermissions.fromString("rwx------");

    private PrivateFiles() {
    }

    /** Creates {@code dir} and its missing parents, each new one mode 0700; an existing directory is left as it is. */
    static Path createDirectories(Path dir) {
        try {
            return Files.createDirectories(dir, attribute(DIRECTORY));
        } catch (IOException e) {
            throw new UncheckedIOException("could not create " + dir, e);
        }
    }

    static Path write(Path file, String content) {
        return write(file, content.getBytes(StandardCharsets.UTF_8));
    }

    /** Writes {@code file} (mode 0600, its directory made 0700 if missing), replacing it whole. */
    static Path write(Path file, byte[] content) {
        Path dir = createDirectories(file.toAbsolutePath().getParent());
        Path temp = null;
        try {
            temp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp", attribute(FILE));
            Files.write(temp, content);
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + file, e);
        } finally {
            deleteQuietly(temp);
        }
    }

    /** Takes group's and others' permissions away from an existing file (one an older launcher made with the umask's). */
    static void restrict(Path file) {
        try {
            if (!Files.getPosixFilePermissions(file).equals(FILE)) {
                Files.setPosixFilePermissions(file, FILE);
            }
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: nothing to take away
        } catch (IOException e) {
            throw new UncheckedIOException("could not make " + file + " private", e);
        }
    }

    /** A new private directory inside {@code dir} (0700), for tools that write files with the umask's permissions. */
    static Path createTempDirectory(Path dir, String prefix) {
        try {
            return Files.createTempDirectory(createDirectories(dir), prefix, attribute(DIRECTORY));
        } catch (IOException e) {
            throw new UncheckedIOException("could not create a directory in " + dir, e);
        }
    }

    static void deleteQuietly(Path p) {
        if (p == null) {
            return;
        }
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            // a leftover temporary file in a private directory; the next write replaces the real one anyway
        }
    }

    private static FileAttribute<Set<PosixFilePermission>> attribute(Set<PosixFilePermission> permissions) {
        return PosixFilePermissions.asFileAttribute(permissions);
    }
}
