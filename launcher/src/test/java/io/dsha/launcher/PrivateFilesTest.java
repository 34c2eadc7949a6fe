package io.dsha.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the launcher writes that holds a secret is its owner's alone, and no token goes on a service's command line. */
class PrivateFilesTest {

    @TempDir
    Path dir;

    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    void aSecretFileIsPrivateAndItsNewDirectoriesToo() throws Exception {
        Path f = PrivateFiles.write(dir.resolve("state/demo/stack.json"), "{}\n");
        assertEquals("{}\n", Files.readString(f));
        assertEquals("rw-------", mode(f));
        assertEquals("rwx------", mode(dir.resolve("state/demo")));
        assertEquals("rwx------", mode(dir.resolve("state")));
        try (var left = Files.list(f.getParent())) {
            assertEquals(List.of(f), left.toList(), "no temporary file is left");
        }
    }

    @Test
    void aWiderFileInTheWayIsReplacedByAPrivateOne() throws Exception {
        Path f = Files.writeString(dir.resolve("stack.json"), "old");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        PrivateFiles.write(f, "new");
        assertEquals("new", Files.readString(f));
        assertEquals("rw-------", mode(f));
        Path ks = Files.writeString(dir.resolve("old.p12"), "x");
        Files.setPosixFilePermissions(ks, PosixFilePermissions.fromString("rw-rw-r--"));
        PrivateFiles.restrict(ks);
        assertEquals("rw-------", mode(ks));
    }

    @Test
    void tokenFilesHoldTheTokenAloneAndArePrivate() throws Exception {
        Tokens t = Tokens.random();
        Tokens.TokenFiles files = t.files(dir.resolve("demo"));
        assertEquals(t.admin() + "\n", Files.readString(files.admin()));
        assertEquals(t.agent() + "\n", Files.readString(files.agent()));
        assertEquals("rw-------", mode(files.admin()));
        assertEquals("rw-------", mode(files.agent()));
        assertTrue(files.admin().isAbsolute());
        assertFalse(t.toString().contains(t.admin()) || t.toString().contains(t.agent()), t.toString());
    }

    @Test
    void tokensEnvAnOlderLauncherLeftOpenIsMadePrivate() throws Exception {
        Path f = Files.writeString(dir.resolve("tokens.env"), "DSHA_ADMIN_TOKEN=aaaaaaaaaaaaaaaaaaaa\nDSHA_AGENT_TOKEN=bbbbbbbbbbbbbbbbbbbb\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        assertEquals(new Tokens("aaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbb"), Tokens.inFile(f));
        assertEquals("rw-------", mode(f));
    }

    @Test
    void theDemoKeyStoreIsPrivateFromTheStart() throws Exception {
        SelfSignedCertificate c = SelfSignedCertificate.create(dir.resolve("tls"), "demo", "secret-pw", List.of("datastack.localhost"));
        assertEquals("rw-------", mode(c.keyStore()));
        assertEquals("rwx------", mode(dir.resolve("tls")));
        assertTrue(Files.size(c.keyStore()) > 0);
        try (var left = Files.list(dir.resolve("tls"))) {
            assertEquals(2, left.count(), "the key store and the certificate, no work directory");
        }
    }

    @Test
    void aTokenIsRefusedOnTheCommandLineAndTokenVariablesAreNotInherited() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ServiceProcess.start("control-plane",
                dir.resolve("any.jar"), Map.of("dsha.admin-token", "0123456789abcdef0123"), dir.resolve("cp.log")));
        assertTrue(e.getMessage().contains("dsha.admin-token-file") && !e.getMessage().contains("0123456789abcdef"), e.getMessage());
        assertTrue(ServiceProcess.isToken("dsha.agent-token"));
        assertFalse(ServiceProcess.isToken("dsha.agent-token-file"));
        for (String v : List.of("DSHA_ADMIN_TOKEN", "DSHA_AGENT_TOKEN", "DSHA_AGENT_TOKEN_FILE", "dsha.agent-token")) {
            assertTrue(ServiceProcess.isTokenVariable(v), v);
        }
        assertFalse(ServiceProcess.isTokenVariable("DSHA_STATE_DIR"));
        assertFalse(ServiceProcess.isTokenVariable("PATH"));
    }
}
