package io.dsha.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dsha.launcher.ServiceProcess;
import io.dsha.launcher.Stack;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The stack's secrets (issue 23): the services are started the way the demo starts them, and no token is on any
 * process's command line ({@code /proc/PID/cmdline}, which every user may read) or in its environment; they read
 * their tokens from files that are, like {@code stack.json} and the demo's key store, their owner's alone (0600,
 * in a 0700 state directory). A token file that is missing stops each service with the option and the file named.
 */
class SecretsIT extends StackScenarios {

    @Test
    void noTokenIsOnACommandLineAndTheSecretFilesArePrivate() throws IOException {
        try (Stack s = stack("secrets", "ACTIVE_PASSIVE")) {
            // The services read the files: the proxy became ready (its routing came with the agent token), the
            // checker's reports are accepted, and the launcher's admin calls work.
            awaitVerdict(s, "a", "UP");
            awaitActive(s, "a");
            Path stackFile = s.writeStackFile();
            List<String> tokens = List.of(s.tokens().admin(), s.tokens().agent());
            List<ServiceProcess> processes = s.processes();
            assertEquals(5, processes.size(), "two instances, the control plane, a checker, the proxy: " + processes);
            for (ServiceProcess p : processes) {
                String cmdline = proc(p, "cmdline");
                assertTrue(cmdline.contains("-jar"), p + ": " + cmdline);
                String environ = proc(p, "environ");
                for (String token : tokens) {
                    assertFalse(cmdline.contains(token), p + " has a token on its command line: " + cmdline);
                    assertFalse(environ.contains(token), p + " has a token in its environment");
                }
            }
            assertTrue(proc(s.controlPlane(), "cmdline").contains("-Ddsha.admin-token-file=" + s.tokenFiles().admin()));
            assertTrue(proc(s.proxy(), "cmdline").contains("-Ddsha.agent-token-file=" + s.tokenFiles().agent()));
            assertTrue(proc(s.checkers().get(0), "cmdline").contains("-Ddsha.agent-token-file=" + s.tokenFiles().agent()));

            for (Path secret : List.of(stackFile, s.tokenFiles().admin(), s.tokenFiles().agent(), s.certificate().keyStore())) {
                assertEquals("rw-------", mode(secret), secret.toString());
            }
            assertEquals("rwx------", mode(s.options().stateDir()));
            assertEquals("rwx------", mode(s.certificate().keyStore().getParent()));
            assertTrue(Files.readString(stackFile).contains(s.tokens().admin()), "stack.json has the tokens (that is why it is 0600)");
        }
    }

    @Test
    void aMissingTokenFileStopsEachServiceNamingTheFile() {
        Path dir = ROOT.resolve("e2e/target/e2e/secrets-missing");
        deleteTree(dir);
        Path missing = dir.resolve("no-such-token");
        Map<String, Map<String, String>> services = Map.of(
                "control-plane", Map.of("dsha.admin-token-file", missing.toString(), "dsha.agent-token-file", missing.toString(),
                        "dsha.state-dir", dir.resolve("control-plane").toString()),
                "health-service", Map.of("dsha.agent-token-file", missing.toString(), "dsha.control-plane.url", "http://127.0.0.1:9"),
                "proxy-service", Map.of("dsha.agent-token-file", missing.toString(), "dsha.control-plane.url", "http://127.0.0.1:9",
                        "dsha.state-dir", dir.resolve("proxy").toString()));
        List<ServiceProcess> started = services.entrySet().stream().map(e -> {
            Map<String, String> props = new java.util.HashMap<>(e.getValue());
            props.put("quarkus.http.port", "0");
            return ServiceProcess.start(e.getKey(), ROOT.resolve(e.getKey()).resolve("target/quarkus-app/quarkus-run.jar"), props,
                    dir.resolve(e.getKey() + ".log"));
        }).toList();
        try {
            for (ServiceProcess p : started) {
                await(p.name() + " stops").atMost(BOUND.multipliedBy(3)).until(() -> !p.alive());
                String out = p.output();
                assertTrue(out.contains("dsha.agent-token-file") || out.contains("dsha.admin-token-file"), p.name() + ":\n" + out);
                assertTrue(out.contains(missing + " does not exist"), p.name() + ":\n" + out);
                assertFalse(out.contains("Listening on"), p.name() + " must not start:\n" + out);
            }
        } finally {
            started.forEach(ServiceProcess::close);
        }
    }

    private static String proc(ServiceProcess p, String what) throws IOException {
        return new String(Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), what)), StandardCharsets.UTF_8).replace('\0', ' ');
    }

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }
}
