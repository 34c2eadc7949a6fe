package io.dsha.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dsha.api.state.HealthStatus;
import io.dsha.api.state.RoutingDecision;
import io.dsha.api.state.StateSnapshot;
import io.dsha.api.state.Verdict;
import io.dsha.api.state.VerdictFlag;
import io.dsha.api.topology.Mode;
import io.dsha.api.topology.Topology;
import io.dsha.api.traffic.IngestBacklog;
import io.dsha.api.traffic.Proxies;
import io.dsha.api.traffic.ProxyStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LauncherMainTest {

    private final Path root = Path.of("/repo");

    @Test
    void optionsAreParsedAndModesSpelledEitherWay() {
        LauncherMain.Args a = LauncherMain.Args.parse(root, new String[] {"--mode", "active-active", "--tls-mode", "passthrough",
                "--state-dir", "/tmp/x", "--lb-port", "0"});
        assertEquals("ACTIVE_ACTIVE", a.options().mode());
        assertEquals("PASSTHROUGH", a.options().tlsMode());
        assertEquals(Path.of("/tmp/x"), a.options().stateDir());
        assertEquals(0, a.options().lbPort());
        assertEquals(9470, a.options().controlPlanePort());
        assertEquals(root.resolve("state/demo"), LauncherMain.Args.parse(root, new String[0]).options().stateDir());
        assertEquals("a", LauncherMain.Args.parse(root, new String[] {"A", "--hang"}).instance());
    }

    @Test
    void wordsItDoesNotKnowAreUsageErrors() {
        assertThrows(LauncherMain.UsageException.class, () -> LauncherMain.Args.parse(root, new String[] {"--mode", "BOTH"}));
        assertThrows(LauncherMain.UsageException.class, () -> LauncherMain.Args.parse(root, new String[] {"--lb-port", "70000"}));
        assertThrows(LauncherMain.UsageException.class, () -> LauncherMain.Args.parse(root, new String[] {"--lb-port"}));
        assertThrows(LauncherMain.UsageException.class, () -> LauncherMain.Args.parse(root, new String[] {"--frobnicate"}));
        assertThrows(LauncherMain.UsageException.class, () -> LauncherMain.run(new String[] {"dance"}, System.out));
    }

    @Test
    void failAndStatusWithoutARunningDemoSaySo(@TempDir Path dir) {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> LauncherMain.run(new String[] {"status", "--state-dir", dir.toString()}, System.out));
        assertTrue(e.getMessage().contains("./dsha demo"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> LauncherMain.run(new String[] {"fail", "a", "--state-dir", dir.toString()}, System.out));
    }

    @Test
    void theLiveLineNamesModeActiveBackendAndVerdicts() {
        Topology topology = new Topology(null, null, null, Mode.ACTIVE_PASSIVE, null, null, List.of());
        StateSnapshot state = new StateSnapshot(7, 3, topology, List.of(verdict("a", HealthStatus.DOWN),
                verdict("b", HealthStatus.UP, VerdictFlag.STALE, VerdictFlag.DEGRADED)),
                new RoutingDecision(List.of("b"), List.of(), List.of(), false, null, null, "b is up"));
        assertEquals("ACTIVE_PASSIVE active=b  a:DOWN b:UP[\"STALE\",\"DEGRADED\"]  rev 7", LauncherMain.summary(state));
        assertEquals("? active=none (all down)   rev 0", LauncherMain.summary(new StateSnapshot(0, 0, null, List.of(), RoutingDecision.NONE)));
    }

    private static Verdict verdict(String id, HealthStatus status, VerdictFlag... flags) {
        return new Verdict(id, status, Instant.EPOCH, 1, 1, Set.of(flags), List.of(), null);
    }

    @Test
    void tokensAreMadeOnceAndKeptPrivate(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("tokens.env");
        Tokens t = Tokens.inFile(f);
        assertEquals(t, Tokens.inFile(f));
        assertTrue(t.admin().length() >= 16 && !t.admin().equals(t.agent()));
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
    }

    @Test
    void theCertificateIsMadeOnceWithTheDemoNames(@TempDir Path dir) throws Exception {
        SelfSignedCertificate c = SelfSignedCertificate.create(dir, "demo", "secret-pw", java.util.List.of("datastack.localhost"));
        String pem = Files.readString(c.pem());
        assertTrue(pem.startsWith("-----BEGIN CERTIFICATE-----"), pem);
        long made = Files.getLastModifiedTime(c.keyStore()).toMillis();
        SelfSignedCertificate.create(dir, "demo", "secret-pw", java.util.List.of("datastack.localhost"));
        assertEquals(made, Files.getLastModifiedTime(c.keyStore()).toMillis());
        assertTrue(SelfSignedCertificate.SOC_WARNING.contains("systems-on-chip"));
    }
    @Test
    void statusPrintsEachBackendsIngestBacklogOnlyWhenAProxyReportsOne() {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        java.io.PrintStream out = new java.io.PrintStream(bytes, true, java.nio.charset.StandardCharsets.UTF_8);
        Instant at = Instant.parse("2026-01-01T00:00:00Z");
        LauncherMain.printIngest(new Proxies(at, List.of(ProxyStatus.of("edge-1", null, 0, at, true, null))), out);
        assertEquals("", bytes.toString(java.nio.charset.StandardCharsets.UTF_8), "no ingest routes: nothing said");

        LauncherMain.printIngest(new Proxies(at, List.of(
                ProxyStatus.of("edge-1", null, 0, at, true, java.util.Map.of("b", new IngestBacklog(10L, 1000L, 4000L, 0L))),
                ProxyStatus.of("edge-2", null, 0, at, true, java.util.Map.of("b", new IngestBacklog(2L, 200L, 9000L, 3L))),
                ProxyStatus.of("gone", null, 0, at, false, java.util.Map.of("b", new IngestBacklog(99L, 1L, 1L, 0L))))), out);

        String text = bytes.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(text.contains("b                      12 records         1200 bytes  oldest 9000 ms  (edge-1 10, edge-2 2)"
                + "  3 refused that another instance accepted"), text);
        assertTrue(!text.contains("gone"), "a silent proxy is left out: " + text);
    }
}
