package io.dsha.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Properties;

/** The admin and agent bearer tokens of one stack. */
public record Tokens(String admin, String agent) {

    private static final SecureRandom RANDOM = new SecureRandom();

    public static Tokens random() {
        return new Tokens(hex(), hex());
    }

    /** The tokens in {@code tokens.env} ({@code DSHA_ADMIN_TOKEN=...}), made (mode 600) when the file does not exist. */
    public static Tokens inFile(Path file) {
        try {
            if (!Files.exists(file)) {
                Tokens t = random();
                Files.createDirectories(file.toAbsolutePath().getParent());
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                Files.writeString(file, "DSHA_ADMIN_TOKEN=" + t.admin + "\nDSHA_AGENT_TOKEN=" + t.agent + "\n");
                return t;
            }
            Properties p = new Properties();
            try (var in = Files.newBufferedReader(file)) {
                p.load(in);
            }
            String admin = p.getProperty("DSHA_ADMIN_TOKEN");
            String agent = p.getProperty("DSHA_AGENT_TOKEN");
            if (admin == null || agent == null) {
                throw new IllegalStateException(file + " lacks DSHA_ADMIN_TOKEN or DSHA_AGENT_TOKEN: delete it to have new tokens made");
            }
            return new Tokens(admin, agent);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String hex() {
        byte[] b = new byte[24];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
