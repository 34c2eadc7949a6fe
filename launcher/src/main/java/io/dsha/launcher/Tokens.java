package io.dsha.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Properties;

/** The admin and agent bearer tokens of one stack. */
public record Tokens(String admin, String agent) {

    private static final SecureRandom RANDOM = new SecureRandom();

    public static Tokens random() {
        return new Tokens(hex(), hex());
    }

    /**
     * The tokens in {@code tokens.env} ({@code DSHA_ADMIN_TOKEN=...}), made (mode 0600, from its creation on) when the
     * file does not exist; an existing one is made private if it is not.
     */
    public static Tokens inFile(Path file) {
        if (!Files.exists(file)) {
            Tokens t = random();
            PrivateFiles.write(file, "DSHA_ADMIN_TOKEN=" + t.admin + "\nDSHA_AGENT_TOKEN=" + t.agent + "\n");
            return t;
        }
        PrivateFiles.restrict(file);
        try {
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

    /** {@code admin-token} and {@code agent-token} in {@code dir} (each the token alone, mode 0600), for the services' {@code dsha.*-token-file}. */
    public TokenFiles files(Path dir) {
        dir = dir.toAbsolutePath();
        return new TokenFiles(PrivateFiles.write(dir.resolve("admin-token"), admin + "\n"), PrivateFiles.write(dir.resolve("agent-token"), agent + "\n"));
    }

    @Override
    public String toString() {
        return "Tokens[(hidden)]";
    }

    /** Where the services read the tokens from. */
    public record TokenFiles(Path admin, Path agent) {
    }

    private static String hex() {
        byte[] b = new byte[24];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
