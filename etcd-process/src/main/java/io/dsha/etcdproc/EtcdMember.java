package io.dsha.etcdproc;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One etcd member of an {@link EtcdCluster}: a real {@code etcd} process on its own loopback ports and data directory,
 * its output in {@code NAME.log} beside the data directory. It can be killed (SIGKILL), frozen (SIGSTOP) and thawed
 * (SIGCONT), and restarted on the same ports and data.
 */
public final class EtcdMember {

    private final String name;
    private final int clientPort;
    private final int peerPort;
    private final Path dataDir;
    private final Path log;
    private final List<String> command;
    private final HttpClient http;
    private final String scheme;
    private volatile Process process;
    private volatile boolean paused;

    EtcdMember(String name, int clientPort, int peerPort, Path dataDir, List<String> command, HttpClient http, String scheme) {
        this.name = name;
        this.clientPort = clientPort;
        this.peerPort = peerPort;
        this.dataDir = dataDir;
        this.log = dataDir.resolveSibling(name + ".log");
        this.command = List.copyOf(command);
        this.http = http;
        this.scheme = scheme;
    }

    void start() {
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
        paused = false;
    }

    public String name() {
        return name;
    }

    /** {@code http://127.0.0.1:PORT} (https with TLS). */
    public String clientUrl() {
        return scheme + "://127.0.0.1:" + clientPort;
    }

    public int clientPort() {
        return clientPort;
    }

    public int peerPort() {
        return peerPort;
    }

    public Path dataDir() {
        return dataDir;
    }

    public long pid() {
        return process.pid();
    }

    public boolean alive() {
        return process.isAlive();
    }

    /** Everything the member wrote so far, across restarts. */
    public String output() {
        try {
            return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    /** Whether {@code GET /health} answers {"health":"true"}: the member has a leader and serves reads. */
    public boolean healthy() {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(clientUrl() + "/health")).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 && r.body().replace(" ", "").contains("\"health\":\"true\"");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Waits until {@link #healthy()}; fails at once, with its output, where the process exited. */
    public void awaitHealthy(Duration atMost) {
        long deadline = System.nanoTime() + atMost.toNanos();
        while (!healthy()) {
            if (!process.isAlive()) {
                throw new IllegalStateException("etcd member " + name + " exited with " + process.exitValue() + ":\n" + tail());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("etcd member " + name + " was not healthy at " + clientUrl() + " within " + atMost + ":\n" + tail());
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for etcd member " + name, e);
            }
        }
    }

    /** The last lines of the output, for a failure message. */
    public String tail() {
        List<String> lines = output().lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }

    /** SIGKILL, like a crash: no goodbye to its peers or clients. */
    public void kill() {
        process.destroyForcibly();
        waitFor();
        paused = false;
    }

    /** SIGTERM, then waits. */
    public void stop() {
        if (paused) {
            resume();
        }
        process.destroy();
        waitFor();
    }

    /** SIGSTOP: the process stays, its sockets stay open (the kernel still accepts connections), nothing answers. */
    public void pause() {
        signal("STOP");
        paused = true;
    }

    /** SIGCONT after {@link #pause()}. */
    public void resume() {
        signal("CONT");
        paused = false;
    }

    /** Starts it again on the same ports and data (it rejoins its cluster), after killing it where it still runs. */
    public void restart() {
        if (process.isAlive()) {
            kill();
        }
        start();
    }

    private void signal(String signal) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).inheritIO().start();
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill -" + signal + " " + process.pid() + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void waitFor() {
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Kills it, whatever its state (a frozen process dies of SIGKILL too). */
    void destroy() {
        Process p = process;
        if (p != null && p.isAlive()) {
            p.destroyForcibly();
            waitFor();
        }
    }

    @Override
    public String toString() {
        return name + "@" + clientUrl() + (process == null ? "" : " pid " + process.pid() + (paused ? " (paused)" : process.isAlive() ? "" : " (dead)"));
    }
}
