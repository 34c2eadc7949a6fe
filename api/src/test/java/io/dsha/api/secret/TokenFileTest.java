package io.dsha.api.secret;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The token-file options of every service: the token comes from the file (its line break dropped), a file that
 * gives no token or a token set twice stops the start with the option and the file named, a file open to others
 * is worth a warning; the plain token options (and so DSHA_ADMIN_TOKEN and the like) still work.
 */
class TokenFileTest {

    private static final String TOKEN = "0123456789abcdef0123456789abcdef";

    @TempDir
    Path dir;

    private Path file(String name, String content, String permissions) throws Exception {
        Path f = Files.createFile(dir.resolve(name), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(permissions)));
        Files.writeString(f, content);
        return f;
    }

    private static SmallRyeConfig config(Map<String, String> properties, String... profile) {
        return new SmallRyeConfigBuilder().addDefaultInterceptors().addDiscoveredInterceptors().withProfile(profile.length > 0 ? profile[0] : "prod")
                .withSources(new PropertiesConfigSource(properties, "test", 300)).build();
    }

    @Test
    void theTokenIsTheFileWithoutItsLineBreak() throws Exception {
        Path f = file("agent-token", TOKEN + "\n", "rw-------");
        assertEquals(new TokenFile(TOKEN, Optional.empty()), TokenFile.read("dsha.agent-token-file", f));
        assertEquals(TOKEN, TokenFile.read("x", file("crlf", TOKEN + "\r\n", "rw-------")).token());
        assertEquals(TOKEN, TokenFile.read("x", file("bare", TOKEN, "r--------")).token());
    }

    @Test
    void aFileThatGivesNoTokenIsAnErrorNamingOptionAndFile() throws Exception {
        Path missing = dir.resolve("nope");
        String m = assertThrows(IllegalStateException.class, () -> TokenFile.read("dsha.admin-token-file", missing)).getMessage();
        assertTrue(m.contains("dsha.admin-token-file") && m.contains(missing.toString()) && m.contains("does not exist"), m);
        Path empty = file("empty", "\n", "rw-------");
        m = assertThrows(IllegalStateException.class, () -> TokenFile.read("dsha.agent-token-file", empty)).getMessage();
        assertTrue(m.contains("dsha.agent-token-file") && m.contains(empty.toString()) && m.contains("is empty"), m);
        m = assertThrows(IllegalStateException.class, () -> TokenFile.read("dsha.agent-token-file", dir)).getMessage();
        assertTrue(m.contains(dir.toString()) && m.contains("cannot be read"), m);
        Path two = file("two", TOKEN + "\n" + TOKEN + "\n", "rw-------");
        m = assertThrows(IllegalStateException.class, () -> TokenFile.read("dsha.agent-token-file", two)).getMessage();
        assertTrue(m.contains("more than one line"), m);
    }

    @Test
    void aFileOthersMayReadIsWorthAWarning() throws Exception {
        Path f = file("open", TOKEN, "rw-r--r--");
        TokenFile t = TokenFile.read("dsha.agent-token-file", f);
        assertEquals(TOKEN, t.token());
        assertTrue(t.warning().orElseThrow().contains("rw-r--r--") && t.warning().get().contains("chmod 600 " + f), t.warning().get());
        assertTrue(TokenFile.read("x", file("group", TOKEN, "rw-r-----")).warning().isPresent());
        assertTrue(!t.toString().contains(TOKEN), "toString hides the token");
    }

    @Test
    void theConfigurationGivesTheTokenOptionTheFilesContent() throws Exception {
        Path admin = file("admin-token", "admin-" + TOKEN + "\n", "rw-------");
        Path agent = file("agent-token", TOKEN + "\n", "rw-------");
        SmallRyeConfig c = config(Map.of("dsha.admin-token-file", admin.toString(), "dsha.agent-token-file", agent.toString()));
        assertEquals("admin-" + TOKEN, c.getValue("dsha.admin-token", String.class));
        assertEquals(TOKEN, c.getValue("dsha.agent-token", String.class));
        assertTrue(c.getConfigValue("dsha.agent-token").getConfigSourceName().contains(agent.toString()));
    }

    @Test
    void theFileOptionFollowsProfilesAndExpressions() throws Exception {
        Path agent = file("agent-token", TOKEN + "\n", "rw-------");
        SmallRyeConfig c = config(Map.of("%dev.dsha.agent-token-file", "${secrets}/agent-token", "secrets", dir.toString()), "dev");
        assertEquals(TOKEN, c.getValue("dsha.agent-token", String.class));
        assertEquals(agent.toString(), c.getValue("dsha.agent-token-file", String.class));
    }

    @Test
    void thePlainTokenStillWorksAndBothAreAnError() throws Exception {
        assertEquals(TOKEN, config(Map.of("dsha.agent-token", TOKEN)).getValue("dsha.agent-token", String.class));
        assertTrue(config(Map.of()).getOptionalValue("dsha.agent-token", String.class).isEmpty());
        Path agent = file("agent-token", TOKEN, "rw-------");
        SmallRyeConfig both = config(Map.of("dsha.agent-token", TOKEN, "dsha.agent-token-file", agent.toString()));
        String m = assertThrows(IllegalStateException.class, () -> both.getValue("dsha.agent-token", String.class)).getMessage();
        assertTrue(m.contains("dsha.agent-token") && m.contains("dsha.agent-token-file") && m.contains("both set"), m);
        assertTrue(!m.contains(TOKEN), "the error does not show the token: " + m);
    }

    @Test
    void aMissingFileStopsTheConfiguration() {
        SmallRyeConfig c = config(Map.of("dsha.admin-token-file", dir.resolve("gone").toString()));
        String m = assertThrows(IllegalStateException.class, () -> c.getOptionalValue("dsha.admin-token", String.class)).getMessage();
        assertTrue(m.contains("dsha.admin-token-file") && m.contains(dir.resolve("gone").toString()), m);
    }
}
