package io.dsha.testkit;

import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A service of this project started from its packaged jar as a real process, with its output kept. */
public final class JavaProcess implements AutoCloseable {

    private static final Pattern LISTENING = Pattern.compile("Listening on: http://[^:]+:(\\d+)");

    /** Every process started and not yet closed, plus those closed since {@link #forgetClosed()} last ran. */
    private static final Set<JavaProcess> STARTED = ConcurrentHashMap.newKeySet();

    static {
        // A test class whose set-up fails after starting a process never reaches its teardown: without this its
        // processes would outlive the test JVM (found: 16 control planes left running after two failed builds).
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (JavaProcess p : STARTED) {
                if (!p.closed) {
                    p.process.destroyForcibly();
                }
            }
        }, "dsha-test-processes-reaper"));
    }

    private final String name;
    private final Process process;
    private final StringBuffer output = new StringBuffer();
    private volatile boolean closed;

    private JavaProcess(String name, Process process) {
        this.name = name;
        this.process = process;
        STARTED.add(this);
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    output.append(line).append('\n');
                }
            } catch (IOException e) {
                // the process ended
            }
        }, name + "-output");
        reader.setDaemon(true);
        reader.start();
    }

    /** The jar of a sibling module, e.g. {@code control-plane}; fails clearly when it was not built. */
    public static Path jar(String module) {
        Path jar = Path.of("..", module, "target", "quarkus-app", "quarkus-run.jar").toAbsolutePath().normalize();
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar + " is missing: build it first (./mvnw -DskipTests install, or run the whole reactor)");
        }
        return jar;
    }

    public static JavaProcess start(String name, Path jar, Map<String, String> properties) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.add("-Xmx256m");
        properties.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.add("-jar");
        cmd.add(jar.toString());
        try {
            return new JavaProcess(name, new ProcessBuilder(cmd).redirectErrorStream(true).start());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits for Quarkus's "Listening on" line and returns its HTTP port. */
    public int awaitHttpPort() {
        int[] port = {-1};
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + ":\n" + output);
            }
            Matcher m = LISTENING.matcher(output);
            if (m.find()) {
                port[0] = Integer.parseInt(m.group(1));
                return true;
            }
            return false;
        });
        return port[0];
    }

    /** The processes of this JVM's tests that are open or were closed recently (see {@link ProcessOutputOnFailure}). */
    static Set<JavaProcess> started() {
        return Set.copyOf(STARTED);
    }

    static void forgetClosed() {
        STARTED.removeIf(p -> p.closed);
    }

    public String name() {
        return name;
    }

    public String output() {
        return output.toString();
    }

    public boolean alive() {
        return process.isAlive();
    }

    /**
     * SIGTERM, then waits (graceful shutdown). Signalled through the process handle: {@code Process.destroy()}
     * would also close our end of its output, losing everything it says while it shuts down.
     */
    public void stop() {
        process.toHandle().destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** SIGKILL. */
    public void kill() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public Process process() {
        return process;
    }

    @Override
    public void close() {
        closed = true;
        if (process.isAlive()) {
            kill();
        }
    }
}
