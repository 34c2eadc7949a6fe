package io.dsha.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dsha.testkit.Prerequisite;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VrrpConfigTest {

    private static final Path KEEPALIVED = Path.of("/usr/sbin/keepalived");

    @Test
    void defaultsAreBackupWithoutPreemptionAdvertEvery100msAndTheProxysReadiness() {
        VrrpConfig.Options o = VrrpConfig.parse("--interface", "eth0", "--vip", "10.0.0.100/24", "--peer", "10.0.0.22", "--source", "10.0.0.21");
        String conf = VrrpConfig.keepalivedConf(o);
        for (String line : List.of("enable_script_security", "script_user root", "script \"/etc/keepalived/dsha-ready.sh\"",
                "state BACKUP", "interface eth0", "virtual_router_id 51", "priority 100", "advert_int 0.1", "version 3", "nopreempt",
                "unicast_src_ip 10.0.0.21", "unicast_peer {\n        10.0.0.22\n    }", "10.0.0.100/24 dev eth0", "track_script {\n        dsha_ready",
                "interval 1", "init_fail")) {
            assertTrue(conf.contains(line), line + " in:\n" + conf);
        }
        assertFalse(conf.contains("preempt_delay"), conf);
        String script = VrrpConfig.checkScript(o);
        assertTrue(script.contains("url='http://127.0.0.1:9480/q/health/ready'"), script);
        assertTrue(script.contains("--max-time 0.5"), script);
        assertTrue(script.contains("rest=$(( began + 200000 - ${EPOCHREALTIME/./} ))"), script);
        assertTrue(script.contains("[ \"$failed\" -ge 2 ] && exit 1"), script);
    }

    @Test
    void preemptionMulticastAndOtherTimings() {
        VrrpConfig.Options o = VrrpConfig.parse("--interface", "ens3", "--vip", "192.168.1.10/32", "--priority", "150", "--router-id", "7",
                "--advert", "1250", "--preempt", "--preempt-delay", "2", "--track-interval", "100", "--track-fall", "3",
                "--ready-url", "http://127.0.0.1:9999/q/health/ready", "--script-out", "/opt/check.sh");
        String conf = VrrpConfig.keepalivedConf(o);
        assertTrue(conf.contains("preempt_delay 2\n"), conf);
        assertFalse(conf.contains("nopreempt"), conf);
        assertFalse(conf.contains("unicast"), conf);
        assertTrue(conf.contains("advert_int 1.25\n") && conf.contains("priority 150\n") && conf.contains("virtual_router_id 7\n"), conf);
        assertTrue(conf.contains("script \"/opt/check.sh\""), conf);
        assertTrue(VrrpConfig.checkScript(o).contains("began + 100000 ") && VrrpConfig.checkScript(o).contains("9999"));
        assertEquals(VrrpConfig.parse("--interface", "e", "--vip", "1.2.3.4/8", "--preempt").preemptDelayS(), 5);
    }

    @Test
    void everyBadOptionIsNamedAtOnce() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VrrpConfig.parse("--vip", "10.0.0.300/24",
                "--peer", "10.0.0.1.2", "--priority", "255", "--router-id", "0", "--advert", "105", "--preempt-delay", "3",
                "--ready-url", "http://x/'; rm -rf /", "--track-interval", "20", "--frobnicate", "1"));
        for (String part : List.of("--interface is required", "--vip: 10.0.0.300/24", "--peer: 10.0.0.1.2", "--priority: 255 (expected: 1..254)",
                "--router-id: 0 (expected: 1..255)", "--advert: 105 ms (expected: a multiple of 10 ms", "--preempt-delay needs --preempt",
                "--ready-url", "--track-interval: 20 ms (expected: 50..500)", "unknown option --frobnicate")) {
            assertTrue(e.getMessage().contains(part), part + " in: " + e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> VrrpConfig.parse("--interface", "eth0", "--vip", "10.0.0.100"));
        assertThrows(IllegalArgumentException.class, () -> VrrpConfig.parse("--interface", "eth0", "--vip", "10.0.0.100/24", "--source", "10.0.0.21"));
        assertThrows(IllegalArgumentException.class, () -> VrrpConfig.parse("--interface", "eth0", "--vip", "10.0.0.100/24", "--peer", "10.0.0.100"));
        assertThrows(IllegalArgumentException.class, () -> VrrpConfig.parse("--interface", "eth0", "--vip", "10.0.0.100/24", "--track-rise", "5"));
        LauncherMain.UsageException u = assertThrows(LauncherMain.UsageException.class,
                () -> LauncherMain.run(new String[] {"vrrp-config", "--interface", "eth0"}, System.out));
        assertTrue(u.getMessage().contains("--vip is required"), u.getMessage());
    }

    @Test
    void theLauncherWritesBothFilesAndKeepalivedAcceptsThem(@TempDir Path dir) throws Exception {
        Path conf = dir.resolve("keepalived.conf");
        Path script = dir.resolve("dsha-ready.sh");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        // keepalived -t checks that the interface exists (and refuses lo): one of this machine's; nothing is changed on it.
        String iface = interfaceOtherThanLoopback();
        assertEquals(0, LauncherMain.run(new String[] {"vrrp-config", "--interface", iface, "--vip", "10.77.9.100/24", "--peer", "10.77.9.22",
                "--source", "10.77.9.21", "--out", conf.toString(), "--script-out", script.toString()}, new PrintStream(out, true, StandardCharsets.UTF_8)));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("wrote " + conf), out.toString(StandardCharsets.UTF_8));
        assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(script)));
        assertTrue(Files.readString(conf).contains("script \"" + script.toAbsolutePath() + "\""));

        Prerequisite.require(Files.isExecutable(KEEPALIVED), "keepalived (to check the configuration vrrp-config writes)", "apt-get install keepalived");
        Process t = new ProcessBuilder(KEEPALIVED.toString(), "-t", "-l", "-f", conf.toString()).redirectErrorStream(true).start();
        String said = new String(t.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, t.waitFor(), "keepalived -t refused the configuration:\n" + said + "\n" + Files.readString(conf));
        assertBashAccepts(script);
    }

    private static String interfaceOtherThanLoopback() throws IOException {
        try (var names = Files.list(Path.of("/sys/class/net"))) {
            return names.map(p -> p.getFileName().toString()).filter(n -> !n.equals("lo")).sorted().findFirst().orElse("eth0");
        }
    }

    private static void assertBashAccepts(Path script) throws IOException, InterruptedException {
        Process n = new ProcessBuilder("bash", "-n", script.toString()).redirectErrorStream(true).start();
        String said = new String(n.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, n.waitFor(), said);
    }
}
