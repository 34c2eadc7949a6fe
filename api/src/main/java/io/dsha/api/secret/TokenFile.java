package io.dsha.api.secret;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * A bearer token read from a file ({@code dsha.admin-token-file}, {@code dsha.agent-token-file}), so that it
 * appears neither on a command line ({@code ps}) nor in the environment. The file holds the token alone; a
 * trailing line break is dropped. A file that is missing, unreadable or empty is an error naming the option
 * and the file; a file that its group or others may read is accepted with a warning (it should be 0600).
 *
 * @param token the token
 * @param warning what to log once, when the file's permissions are wider than the owner's
 */
public record TokenFile(String token, Optional<String> warning) {

    private static final Set<PosixFilePermission> GROUP_OR_OTHERS = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    /** Thrown for a token file that cannot give a token; the message names the option and the file. */
    public static final class TokenFileException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        TokenFileException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Reads the token of {@code option} (e.g. {@code dsha.agent-token-file}) from {@code file}. */
    public static TokenFile read(String option, Path file) {
        String content;
        try {
            content = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        } catch (java.nio.file.NoSuchFileException e) {
            throw problem(option, file, "does not exist", null);
        } catch (IOException e) {
            throw problem(option, file, "cannot be read (" + e + ")", e);
        }
        String token = stripLineBreak(content);
        if (token.isBlank()) {
            throw problem(option, file, "is empty", null);
        }
        if (token.indexOf('\n') >= 0 || token.indexOf('\r') >= 0) {
            throw problem(option, file, "has more than one line (it holds the token alone)", null);
        }
        return new TokenFile(token, openToOthers(file).map(p -> option + ": " + file + " is readable by its group or others (" + p
                + "); make it private: chmod 600 " + file));
    }

    /** The content without its trailing line break(s) ({@code \n} or {@code \r\n}). */
    static String stripLineBreak(String s) {
        int end = s.length();
        while (end > 0 && (s.charAt(end - 1) == '\n' || s.charAt(end - 1) == '\r')) {
            end--;
        }
        return s.substring(0, end);
    }

    private static Optional<String> openToOthers(Path file) {
        try {
            Set<PosixFilePermission> p = Files.getPosixFilePermissions(file);
            return p.stream().anyMatch(GROUP_OR_OTHERS::contains) ? Optional.of(PosixFilePermissions.toString(p)) : Optional.empty();
        } catch (UnsupportedOperationException | IOException e) {
            return Optional.empty(); // not a POSIX file system: nothing to say
        }
    }

    private static TokenFileException problem(String option, Path file, String what, Throwable cause) {
        return new TokenFileException(option + ": the token file " + file.toAbsolutePath() + " " + what, cause);
    }

    @Override
    public String toString() {
        return "TokenFile[token=(hidden), warning=" + warning + "]";
    }
}
