package io.dsha.etcdproc;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;

/**
 * A real etcd cluster of 1 or 3 (or more) members, each an {@code etcd} process on free loopback ports (client and
 * peer), with its data under one directory: {@code ./dsha demo --ha}'s, in the state directory, or a test's, a
 * temporary one. {@link #start} returns once every member answers {@code /health}; {@link #close()} kills every member
 * (and deletes a temporary directory), and so does the JVM's exit for a cluster left open. Where etcd is not installed
 * it fails at once, saying how to install it.
 */
public final class EtcdCluster implements AutoCloseable {

    /** How long a cluster may take to elect a leader and answer, on a slow machine. */
    public static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private static final Set<EtcdCluster> OPEN = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> OPEN.forEach(EtcdCluster::close), "dsha-etcd-reaper"));
    }

    /**
     * TLS on the client URLs: etcd's certificate and key, the CA it trusts for clients' certificates
     * ({@code --client-cert-auth}), and how this launcher itself connects to check {@code /health} (it must trust the
     * server and, with client authentication, show a client certificate).
     */
    public record Tls(Path caFile, Path serverCertFile, Path serverKeyFile, SSLContext healthCheckContext) {
    }

    private final Path dir;
    private final boolean temporary;
    private final List<EtcdMember> members = new ArrayList<>();

    private EtcdCluster(Path dir, boolean temporary) {
        this.dir = dir;
        this.temporary = temporary;
    }

    /** The etcd executable, or empty where it is not installed. */
    public static Optional<Path> etcd() {
        return Stream.concat(Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)), Stream.of("/usr/bin", "/usr/local/bin"))
                .filter(d -> !d.isEmpty()).map(d -> Path.of(d, "etcd")).filter(Files::isExecutable).findFirst();
    }

    /** What etcd is, for a message where it is missing. */
    public static final String WHAT = "etcd (3.4 or newer) on the PATH";
    /** How to get it. */
    public static final String HOW_TO_GET = "apt-get install etcd-server (Debian), or put etcd on the PATH";

    /** {@code size} members over plain HTTP, in a temporary directory deleted on {@link #close()}. */
    public static EtcdCluster start(int size) {
        return start(size, Optional.empty());
    }

    /** {@code size} members, in a temporary directory deleted on {@link #close()}. */
    public static EtcdCluster start(int size, Optional<Tls> tls) {
        try {
            return start(size, tls, Files.createTempDirectory("dsha-etcd-"), true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * {@code size} members with their data and logs in {@code dir}, kept on {@link #close()} for a look afterwards. The
     * cluster is a new one: its ports are new, so members' data left in {@code dir} by an earlier run (which names the
     * old peer URLs) is deleted first.
     */
    public static EtcdCluster startIn(int size, Optional<Tls> tls, Path dir) {
        try {
            Files.createDirectories(dir);
            try (Stream<Path> old = Files.list(dir)) {
                old.filter(p -> p.getFileName().toString().endsWith(".etcd")).forEach(EtcdCluster::delete);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare " + dir + " for etcd", e);
        }
        return start(size, tls, dir, false);
    }

    private static EtcdCluster start(int size, Optional<Tls> tls, Path dir, boolean temporary) {
        if (etcd().isEmpty()) {
            throw new IllegalStateException("needs " + WHAT + ": " + HOW_TO_GET);
        }
        if (size < 1) {
            throw new IllegalArgumentException("an etcd cluster has 1 member or more, not " + size);
        }
        EtcdCluster cluster = new EtcdCluster(dir, temporary);
        OPEN.add(cluster);
        try {
            cluster.launch(size, tls);
            return cluster;
        } catch (RuntimeException | Error e) {
            String outputs = cluster.describe();
            cluster.close();
            e.addSuppressed(new IllegalStateException("the members said:\n" + outputs));
            throw e;
        }
    }

    private void launch(int size, Optional<Tls> tls) {
        int[] ports = freePorts(2 * size);
        String scheme = tls.isPresent() ? "https" : "http";
        StringBuilder initial = new StringBuilder();
        for (int i = 0; i < size; i++) {
            initial.append(i == 0 ? "" : ",").append("m").append(i).append("=http://127.0.0.1:").append(ports[2 * i + 1]);
        }
        HttpClient.Builder http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2));
        tls.ifPresent(t -> http.sslContext(t.healthCheckContext()));
        HttpClient client = http.build();
        String token = "dsha-test-" + UUID.randomUUID();
        for (int i = 0; i < size; i++) {
            String name = "m" + i;
            String clientUrl = scheme + "://127.0.0.1:" + ports[2 * i];
            String peerUrl = "http://127.0.0.1:" + ports[2 * i + 1];
            Path data = dir.resolve(name + ".etcd");
            List<String> cmd = new ArrayList<>(List.of(etcd().orElseThrow().toString(),
                    "--name", name, "--data-dir", data.toString(),
                    "--listen-client-urls", clientUrl, "--advertise-client-urls", clientUrl,
                    "--listen-peer-urls", peerUrl, "--initial-advertise-peer-urls", peerUrl,
                    "--initial-cluster", initial.toString(), "--initial-cluster-token", token, "--initial-cluster-state", "new",
                    "--logger", "zap", "--log-outputs", "stderr"));
            tls.ifPresent(t -> cmd.addAll(List.of("--cert-file", t.serverCertFile().toString(), "--key-file", t.serverKeyFile().toString(),
                    "--trusted-ca-file", t.caFile().toString(), "--client-cert-auth")));
            EtcdMember m = new EtcdMember(name, ports[2 * i], ports[2 * i + 1], data, cmd, client, scheme);
            members.add(m);
            m.start();
        }
        for (EtcdMember m : members) {
            m.awaitHealthy(START_TIMEOUT);
        }
    }

    /** {@code n} distinct ports free on the loopback interface, all held open until each is found. */
    public static int[] freePorts(int n) {
        List<ServerSocket> held = new ArrayList<>();
        try {
            int[] ports = new int[n];
            for (int i = 0; i < n; i++) {
                ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                s.setReuseAddress(true);
                held.add(s);
                ports[i] = s.getLocalPort();
            }
            return ports;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            for (ServerSocket s : held) {
                try {
                    s.close();
                } catch (IOException e) {
                    // nothing to do
                }
            }
        }
    }

    public List<EtcdMember> members() {
        return List.copyOf(members);
    }

    public EtcdMember member(int index) {
        return members.get(index);
    }

    /** The member whose client URL is {@code clientUrl} (trailing slashes ignored). */
    public EtcdMember memberAt(String clientUrl) {
        String url = clientUrl.replaceAll("/+$", "");
        return members.stream().filter(m -> m.clientUrl().equals(url)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no member at " + clientUrl + " in " + members));
    }

    /** Every member's client URL, in member order. */
    public List<String> clientUrls() {
        return members.stream().map(EtcdMember::clientUrl).toList();
    }

    public Path dir() {
        return dir;
    }

    /** Every member and the last lines of its output, for a failure message. */
    public String describe() {
        StringBuilder b = new StringBuilder();
        for (EtcdMember m : members) {
            b.append("--- ").append(m).append(" ---\n").append(m.tail()).append('\n');
        }
        return b.toString();
    }

    /** Kills every member, and deletes the data where it was in a temporary directory. Idempotent. */
    @Override
    public void close() {
        for (EtcdMember m : members) {
            m.destroy();
        }
        OPEN.remove(this);
        if (temporary) {
            delete(dir);
        }
    }

    private static void delete(Path dir) {
        if (Files.exists(dir)) {
            try (Stream<Path> all = Files.walk(dir)) {
                all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // a leftover directory is no failure: the next start deletes it
            }
        }
    }
}
