package io.dsha.launcher;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One service of this project (or the simulator) started from its packaged jar as a real process,
 * its output written to a log file. Used by the launcher and by the end-to-end tests alike.
 */
public final class ServiceProcess implements AutoCloseable {

    /** Quarkus's line once the HTTP server is bound; group 1 is the port. */
    public static final Pattern QUARKUS_LISTENING = Pattern.compile("Listening on: http://[^:\\s]+:(\\d+)");
    /** The simulator's line once bound; group 1 is the port. */
    public static final Pattern SIM_LISTENING = Pattern.compile("datastack-sim \\S+ listening on https?://[^:\\s]+:(\\d+)");

    private final String name;
    private final List<String> command;
    private final Path log;
    private volatile Process process;

    private ServiceProcess(String name, List<String> command, Path log) {
        this.name = name;
        this.command = command;
        this.log = log;
    }

    /**
     * Starts {@code java -D<properties> -jar jar}, its output (and errors) in {@code log} (emptied first). A command line
     * is public ({@code ps}, {@code /proc/PID/cmdline}): a token is refused here, it goes in a file named by
     * {@code dsha.*-token-file}. The process inherits the environment without any {@code DSHA_*TOKEN*} variable, so
     * the launcher's own (say, from {@code tokens.env}) neither reaches it nor clashes with the token files.
     */
    public static ServiceProcess start(String name, Path jar, Map<String, String> properties, Path log) {
        return start(name, List.of(), jar, properties, log);
    }

    /**
     * The same inside network namespace {@code namespace} ({@code ip netns exec NAMESPACE java ...}; root only). {@code ip}
     * execs the JVM in its own place, so {@link #pid()} is the JVM's and signals reach it.
     */
    public static ServiceProcess startIn(String namespace, String name, Path jar, Map<String, String> properties, Path log) {
        return start(name, List.of("ip", "netns", "exec", requireNonNull(namespace, "namespace")), jar, properties, log);
    }

    private static ServiceProcess start(String name, List<String> prefix, Path jar, Map<String, String> properties, Path log) {
        requireNonNull(jar, "jar");
        properties.keySet().stream().filter(ServiceProcess::isToken).findFirst().ifPresent(k -> {
            throw new IllegalArgumentException(name + ": " + k + " would show on the command line; name a file holding it with " + k + "-file");
        });
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: build it first (./mvnw -B -DskipTests package)");
        }
        List<String> cmd = new ArrayList<>(prefix);
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // The heap starts small and grows to its cap: started at the cap (the JVM's choice on a big machine), each
        // service sat at ~150-170 MB RSS idle instead of ~105-115 MB (BENCHMARKS.md, "Startup and memory").
        cmd.add("-Xms16m");
        cmd.add("-Xmx192m");
        cmd.add("-XX:+UseSerialGC");
        cmd.add("-XX:TieredStopAtLevel=1");
        properties.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.add("-jar");
        cmd.add(jar.toString());
        ServiceProcess p = new ServiceProcess(name, List.copyOf(cmd), log);
        p.launch(ProcessBuilder.Redirect.to(log.toFile()));
        return p;
    }

    private void launch(ProcessBuilder.Redirect output) {
        try {
            Files.createDirectories(log.toAbsolutePath().getParent());
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output);
            pb.environment().keySet().removeIf(ServiceProcess::isTokenVariable);
            process = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("could not start " + name, e);
        }
    }

    /** {@code dsha.admin-token}, {@code dsha.agent-token}, and any other setting that is a token itself (not its file). */
    static boolean isToken(String property) {
        return property.endsWith("-token") || property.endsWith(".token");
    }

    /** {@code DSHA_ADMIN_TOKEN}, {@code DSHA_AGENT_TOKEN_FILE} and the like. */
    static boolean isTokenVariable(String name) {
        String n = name.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(java.util.Locale.ROOT);
        return n.startsWith("DSHA_") && n.contains("TOKEN");
    }

    /** Starts the same command again (same settings, same log) after the process ended. */
    public void restart() {
        if (process.isAlive()) {
            throw new IllegalStateException(name + " is still running");
        }
        launch(ProcessBuilder.Redirect.appendTo(log.toFile()));
    }

    /**
     * Starts the same command once more, beside this process (which goes on running): the same settings but
     * {@code overrides}, its output appended to the same log. A proxy's successor binds the same listener
     * (SO_REUSEPORT).
     */
    public ServiceProcess successor(Map<String, String> overrides) {
        List<String> cmd = new ArrayList<>(command);
        overrides.forEach((k, v) -> {
            if (isToken(k)) {
                throw new IllegalArgumentException(name + ": " + k + " would show on the command line");
            }
            cmd.removeIf(arg -> arg.startsWith("-D" + k + "="));
            cmd.add(cmd.indexOf("-jar"), "-D" + k + "=" + v);
        });
        ServiceProcess next = new ServiceProcess(name, List.copyOf(cmd), log);
        next.launch(ProcessBuilder.Redirect.appendTo(log.toFile()));
        return next;
    }

    /**
     * Waits until the log, from {@code fromOffset} on, has a line matching {@code pattern}; returns its group 1.
     * Fails with the log when the process exits first or the time runs out.
     */
    public String awaitLine(Pattern pattern, long fromOffset, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String out = output();
            Matcher m = pattern.matcher(out.length() > fromOffset ? out.substring((int) fromOffset) : "");
            if (m.find()) {
                return m.group(1);
            }
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + " before saying /" + pattern + "/:\n" + out);
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(name + " did not say /" + pattern + "/ within " + timeout + ":\n" + out);
            }
            pause(Duration.ofMillis(50));
        }
    }

    public int awaitPort(Pattern pattern) {
        return Integer.parseInt(awaitLine(pattern, 0, Duration.ofSeconds(60)));
    }

    /** Everything the process wrote so far (all its runs). */
    public String output() {
        try {
            return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "(could not read " + log + ": " + e.getMessage() + ")";
        }
    }

    public long outputLength() {
        try {
            return Files.exists(log) ? Files.size(log) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    public String name() {
        return name;
    }

    public Path log() {
        return log;
    }

    public long pid() {
        return process.pid();
    }

    public boolean alive() {
        return process.isAlive();
    }

    /** SIGTERM, then waits for the graceful shutdown (SIGKILL after {@code grace}). */
    public void stop(Duration grace) {
        Process p = process;
        p.toHandle().destroy();
        try {
            if (!p.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                kill();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
        }
    }

    /** SIGKILL: the process dies without any chance to clean up. */
    public void kill() {
        Process p = process;
        p.destroyForcibly();
        try {
            p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** SIGSTOP: the process freezes; its sockets stay open and accept connections nobody answers. */
    public void freeze() {
        signal("STOP");
    }

    /** SIGCONT after {@link #freeze}. */
    public void thaw() {
        signal("CONT");
    }

    private void signal(String signal) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid())).inheritIO().start();
            if (kill.waitFor() != 0) {
                throw new IllegalStateException("kill -" + signal + " " + pid() + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static void pause(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            kill();
        }
    }

    @Override
    public String toString() {
        return name + " (pid " + pid() + ")";
    }
}
