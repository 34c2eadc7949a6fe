package io.dsha.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dsha.launcher.ServiceProcess;
import io.dsha.launcher.Tokens;
import io.dsha.launcher.VrrpConfig;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two proxies share one floating address (README "Two proxies, one address"): a network of namespaces of its own — a
 * client, two proxy hosts, a backend host holding the bridge, the control plane, a checker and two simulated instances —
 * keepalived on each proxy host with what {@code ./dsha vrrp-config} writes (unicast peers, adverts every 100 ms), and
 * steady client load on the floating address from the client's namespace. The active host (the one holding the address)
 * loses its proxy (kill -9), then its proxy freezes (SIGSTOP), then its proxy is sent SIGTERM (a graceful stop: not one
 * failed request allowed), then its link goes down: each time the address moves to the other host and the clients
 * recover. A host that comes back takes nothing back (nopreempt), unless told to
 * (--preempt): then the address moves back once, after the delay. Prints per scenario the time from the fault to the
 * first answer through the new holder, the longest gap between answers and the failed requests.
 *
 * <p>Needs root (network namespaces) and keepalived; without them it fails, saying so.
 */
class FloatingAddressIT {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Path KEEPALIVED = Path.of("/usr/sbin/keepalived");
    private static final String SUBNET = "10.77.0.";
    private static final String BACKEND = SUBNET + "10";
    private static final String CLIENT = SUBNET + "5";
    private static final String VIP = SUBNET + "100";
    private static final int LB_PORT = 8080;
    private static final int CP_PORT = 9470;
    private static final Duration BOUND = Duration.ofSeconds(20);
    /** The goal stands in the README (move < 1 s, gap < 1.5 s); this bound still proves the point on a slow machine. */
    private static final Duration GAP_BOUND = Duration.ofSeconds(5);

    private final String suffix = Integer.toString(ThreadLocalRandom.current().nextInt(0x10000, 0xfffff), 16);
    private final Path dir = ROOT.resolve("e2e/target/floating-" + suffix);
    private final Netns netns = new Netns(suffix);
    private final List<ServiceProcess> services = new ArrayList<>();
    private final Map<String, Host> hosts = new HashMap<>();
    private Process load;
    private final ConcurrentLinkedQueue<long[]> outcomes = new ConcurrentLinkedQueue<>();

    /** A proxy host: its namespace, address, proxy and keepalived. */
    private final class Host {
        final String name;
        final String ns;
        final String address;
        final String peer;
        ServiceProcess proxy;
        Process keepalived;

        Host(String name, String ns, String address, String peer) {
            this.name = name;
            this.ns = ns;
            this.address = address;
            this.peer = peer;
        }

        Path file(String f) {
            return dir.resolve(name).resolve(f);
        }

        boolean holdsAddress() {
            Netns.Result r = Netns.run("ip", "-n", ns, "-o", "-4", "addr", "show", "dev", "eth0");
            return r.code() == 0 && r.output().contains(" " + VIP + "/");
        }

        boolean proxyReady() {
            return Netns.run("ip", "netns", "exec", ns, "curl", "-fsS", "-o", "/dev/null", "--max-time", "1",
                    "http://127.0.0.1:9480/q/health/ready").code() == 0;
        }

        String keepalivedLog() {
            try {
                return Files.readString(file("keepalived.log"));
            } catch (IOException e) {
                return "";
            }
        }

        /** Writes vrrp-config's files for this host and starts keepalived on them, after {@code keepalived -t} accepted them. */
        void startKeepalived(int priority, String... extra) throws IOException {
            List<String> args = new ArrayList<>(List.of("--interface", "eth0", "--vip", VIP + "/24", "--peer", peer, "--source", address,
                    "--priority", Integer.toString(priority), "--advert", "100", "--script-out", file("dsha-ready.sh").toString()));
            args.addAll(List.of(extra));
            VrrpConfig.Options o = VrrpConfig.parse(args.toArray(String[]::new));
            Files.writeString(file("keepalived.conf"), VrrpConfig.keepalivedConf(o));
            Files.writeString(file("dsha-ready.sh"), VrrpConfig.checkScript(o));
            Files.setPosixFilePermissions(file("dsha-ready.sh"), PosixFilePermissions.fromString("rwxr-xr-x"));
            Netns.Result test = Netns.run("ip", "netns", "exec", ns, KEEPALIVED.toString(), "-t", "-l", "-f", file("keepalived.conf").toString());
            assertEquals(0, test.code(), "keepalived -t refused vrrp-config's output: " + test.output() + "\n" + VrrpConfig.keepalivedConf(o));
            keepalived = new ProcessBuilder("ip", "netns", "exec", ns, KEEPALIVED.toString(), "-n", "-l", "-D", "-P",
                    "-f", file("keepalived.conf").toString(), "-p", file("keepalived.pid").toString(),
                    "-r", file("vrrp.pid").toString(), "-c", file("checkers.pid").toString())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(file("keepalived.log").toFile())).start();
        }

        /** SIGTERM to keepalived (it gives the address up), then SIGKILL to whatever of it is left, by its pid files. */
        void stopKeepalived() {
            if (keepalived == null) {
                return;
            }
            keepalived.destroy();
            try {
                if (!keepalived.waitFor(10, TimeUnit.SECONDS)) {
                    keepalived.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            for (String pidFile : List.of("keepalived.pid", "vrrp.pid", "checkers.pid")) {
                try {
                    long pid = Long.parseLong(Files.readString(file(pidFile)).strip());
                    ProcessHandle.of(pid).filter(ProcessHandle::isAlive).ifPresent(ProcessHandle::destroyForcibly);
                } catch (IOException | NumberFormatException e) {
                    // no such file: nothing of it runs
                }
            }
            keepalived = null;
        }

        long awaitBackupAfter(long logOffset) {
            await(name + "'s keepalived is BACKUP again").atMost(BOUND).pollInterval(Duration.ofMillis(50))
                    .until(() -> keepalivedLog().length() > logOffset && keepalivedLog().substring((int) logOffset).contains("Entering BACKUP STATE"));
            return System.nanoTime();
        }
    }

    @AfterEach
    void tearDown() {
        if (load != null) {
            load.destroyForcibly();
        }
        hosts.values().forEach(Host::stopKeepalived);
        // SIGKILL reaches a frozen process too.
        services.forEach(ServiceProcess::close);
        System.out.println("[e2e] FloatingAddressIT: logs and configurations in " + dir);
        netns.close();
    }

    @Test
    void theAddressMovesWhenTheActiveProxyOrItsHostFailsAndComesBackOnlyWhenTold() throws Exception {
        assertTrue(Files.isExecutable(KEEPALIVED), "needs keepalived (" + KEEPALIVED + "): apt-get install keepalived");
        Files.createDirectories(dir.resolve("h1"));
        Files.createDirectories(dir.resolve("h2"));
        backend = netns.add("b");
        String client = netns.add("c");
        Host h1 = new Host("h1", netns.add("h1"), SUBNET + "21", SUBNET + "22");
        Host h2 = new Host("h2", netns.add("h2"), SUBNET + "22", SUBNET + "21");
        hosts.put("h1", h1);
        hosts.put("h2", h2);
        wire(backend, client, h1, h2);

        startBackendSide(backend);
        for (Host h : List.of(h1, h2)) {
            h.proxy = track(ServiceProcess.startIn(h.ns, "proxy-" + h.name, jar("proxy-service"), proxySettings(h), dir.resolve(h.name).resolve("proxy.log")));
        }
        for (Host h : List.of(h1, h2)) {
            h.proxy.awaitPort(ServiceProcess.QUARKUS_LISTENING);
            await(h.name + "'s proxy ready").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(h::proxyReady);
        }
        // h1 first, with the higher priority: it takes the address, and is the host that must not take it back later.
        h1.startKeepalived(150);
        await("h1 holds " + VIP).atMost(BOUND).pollInterval(Duration.ofMillis(50)).until(h1::holdsAddress);
        h2.startKeepalived(100);
        h2.awaitBackupAfter(0);
        startLoad(client);
        awaitSuccessesAfter(System.nanoTime(), 50);

        List<Figures> report = new ArrayList<>();
        // (a) kill -9 the active proxy: its host's track script fails (refused), the address moves.
        report.add(scenario("a kill -9 of h1's proxy", h1, h2, () -> {
            h1.proxy.kill();
            return System.nanoTime();
        }));
        long offset = h1.keepalivedLog().length();
        h1.proxy.restart();
        await("h1's proxy ready again").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(h1::proxyReady);
        h1.awaitBackupAfter(offset);
        report.add(staysOn("a' h1 (priority 150) back, nopreempt", h2, h1));
        // The control plane knows its proxies: h2's holds the traffic now, h1's is back, ready and idle.
        await("the control plane sees the traffic through h2's proxy").atMost(BOUND).pollInterval(Duration.ofMillis(200))
                .until(() -> controlPlaneSeesTrafficThrough(h2, h1));

        // (b) SIGSTOP the active proxy: it accepts and never answers; the readiness check times out, the address moves.
        report.add(scenario("b SIGSTOP of h2's proxy", h2, h1, () -> {
            h2.proxy.freeze();
            return System.nanoTime();
        }));
        offset = h2.keepalivedLog().length();
        h2.proxy.thaw();
        h2.awaitBackupAfter(offset);

        // (c) SIGTERM to the active proxy: readiness DOWN at once, the listener still accepts for dsha.shutdown.delay (1 s),
        // by which time the address has moved: no client may be refused or reset. h1, the higher priority, comes back
        // (started again) and takes nothing back.
        Figures sigterm = scenario("c SIGTERM of h1's proxy (shutdown.delay 1s)", h1, h2, () -> {
            ProcessHandle.of(h1.proxy.pid()).orElseThrow().destroy();
            return System.nanoTime();
        });
        report.add(sigterm);
        // The proxy keeps accepting until the address has moved: no client is refused. What the move itself may cost is
        // what any VRRP move costs a client with a request in flight at that moment: a SYN sent between the old holder
        // giving the address up (FAULT) and the new holder's gratuitous ARP is dropped (a connect timeout), an answer
        // on its way when the address leaves is lost (an answer timeout or a reset). A restart that loses nothing keeps
        // the address where it is: a new proxy beside the old one (README, "Restarting or upgrading a proxy").
        assertEquals(0, sigterm.refused(), "a proxy sent SIGTERM keeps accepting until the address has moved: " + sigterm.line());
        offset = h1.keepalivedLog().length();
        h1.proxy.stop(Duration.ofSeconds(10));
        h1.proxy.restart();
        await("h1's proxy ready again").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(h1::proxyReady);
        h1.awaitBackupAfter(offset);
        report.add(staysOn("c' h1 (priority 150) restarted, nopreempt", h2, h1));

        // (d) the active host's link goes down: its adverts stop, the other host's timer runs out, the address moves.
        report.add(scenario("d link down on h2", h2, h1, () -> {
            Netns.exec(h2.ns, "ip", "link", "set", "eth0", "down");
            return System.nanoTime();
        }));
        offset = h2.keepalivedLog().length();
        Netns.exec(h2.ns, "ip", "link", "set", "eth0", "up");
        h2.awaitBackupAfter(offset);
        report.add(staysOn("d' h2 back, nopreempt", h1, h2));

        // (e) --preempt: h2's keepalived restarted with preemption and a higher priority takes the address back once,
        // after its delay.
        h2.stopKeepalived();
        report.add(scenario("e h2 with --priority 200 --preempt --preempt-delay 2", h1, h2, () -> {
            try {
                h2.startKeepalived(200, "--preempt", "--preempt-delay", "2");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return System.nanoTime();
        }));
        report.add(staysOn("e' after preempting, h2 keeps it", h2, h1));

        System.out.println("[e2e] floating address " + VIP + " (keepalived, VRRPv3 unicast, adverts 100 ms, readiness every 200 ms, fall 2):");
        report.forEach(f -> System.out.println("[e2e]   " + f.line()));
    }

    /** Veth pairs from each host to a bridge in the backend's namespace; every address exists in these namespaces alone. */
    private void wire(String backend, String client, Host... proxyHosts) {
        Netns.exec(backend, "ip", "link", "add", "br0", "type", "bridge");
        Netns.exec(backend, "ip", "link", "set", "br0", "up");
        Netns.exec(backend, "ip", "addr", "add", BACKEND + "/24", "dev", "br0");
        Map<String, String> addresses = new HashMap<>(Map.of(client, CLIENT));
        for (Host h : proxyHosts) {
            addresses.put(h.ns, h.address);
        }
        int i = 0;
        for (Map.Entry<String, String> e : addresses.entrySet()) {
            String port = "p" + i++;
            Netns.ip("link", "add", "eth0", "netns", e.getKey(), "type", "veth", "peer", "name", port, "netns", backend);
            Netns.exec(backend, "ip", "link", "set", port, "master", "br0");
            Netns.exec(backend, "ip", "link", "set", port, "up");
            Netns.exec(e.getKey(), "ip", "addr", "add", e.getValue() + "/24", "dev", "eth0");
            Netns.exec(e.getKey(), "ip", "link", "set", "eth0", "up");
        }
    }

    /** The control plane (seeded from a topology file), two simulated instances and a checker, in the backend's namespace. */
    private void startBackendSide(String backend) throws IOException {
        Tokens.TokenFiles tokens = Tokens.random().files(dir);
        Path topology = dir.resolve("topology.yaml");
        Files.writeString(topology, """
                listener: {host: 0.0.0.0, port: %d}
                fqdn: datastack.localhost
                tlsMode: TERMINATE
                mode: ACTIVE_PASSIVE
                failback: {policy: AUTO, delayMs: 1000}
                allDown: TRY_ALL
                backends:
                  - {id: a, host: %2$s, port: 8081, priority: 0, healthCheck: %3$s}
                  - {id: b, host: %2$s, port: 8082, priority: 1, healthCheck: %3$s}
                """.formatted(LB_PORT, BACKEND, "{type: HTTP, path: /health, expectStatus: 200, intervalMs: 200, timeoutMs: 100, rise: 2, fall: 2}"));
        List<ServiceProcess> started = new ArrayList<>();
        for (String sim : List.of("a", "b")) {
            started.add(track(ServiceProcess.startIn(backend, "sim-" + sim, jar("datastack-sim"), Map.of("sim.name", sim,
                    "sim.port", sim.equals("a") ? "8081" : "8082", "sim.feed-interval", "0ms",
                    "sim.journal-file", dir.resolve("sim-" + sim + ".journal").toString()), dir.resolve("sim-" + sim + ".log"))));
        }
        ServiceProcess cp = track(ServiceProcess.startIn(backend, "control-plane", jar("control-plane"), Map.of(
                "dsha.admin-token-file", tokens.admin().toString(), "dsha.agent-token-file", tokens.agent().toString(),
                "dsha.state-dir", dir.resolve("control-plane").toString(), "dsha.topology-file", topology.toString(),
                "quarkus.http.host", "0.0.0.0", "quarkus.http.port", Integer.toString(CP_PORT)), dir.resolve("control-plane.log")));
        started.forEach(s -> s.awaitPort(ServiceProcess.SIM_LISTENING));
        cp.awaitPort(ServiceProcess.QUARKUS_LISTENING);
        track(ServiceProcess.startIn(backend, "checker-1", jar("health-service"), Map.of(
                "dsha.control-plane.url", "http://127.0.0.1:" + CP_PORT, "dsha.agent-token-file", tokens.agent().toString(),
                "dsha.checker-id", "checker-1", "dsha.report.retry-pause", "200ms", "quarkus.http.port", "0"),
                dir.resolve("checker-1.log"))).awaitPort(ServiceProcess.QUARKUS_LISTENING);
        agentToken = tokens.agent();
    }

    private Path agentToken;
    private String backend;

    /**
     * The proxy of a host: plain HTTP on 0.0.0.0 (the floating address is not bound by it), its management port on 0.0.0.0
     * (the check script asks 127.0.0.1 in the host's namespace); on SIGTERM it keeps accepting for a track script's fall.
     */
    private Map<String, String> proxySettings(Host h) {
        return Map.ofEntries(Map.entry("dsha.control-plane.url", "http://" + BACKEND + ":" + CP_PORT),
                Map.entry("dsha.agent-token-file", agentToken.toString()),
                Map.entry("dsha.state-dir", dir.resolve(h.name).resolve("proxy-state").toString()), Map.entry("dsha.listener.plain-http", "true"),
                Map.entry("dsha.event-loops", "1"), Map.entry("dsha.access-log.enabled", "false"), Map.entry("dsha.shutdown.delay", "1s"),
                Map.entry("dsha.shutdown.grace", "2s"), Map.entry("quarkus.http.host", "0.0.0.0"), Map.entry("quarkus.http.port", "9480"),
                Map.entry("dsha.proxy-id", "proxy-" + h.name));
    }

    /**
     * The control plane's list of proxies ({@code GET /api/v1/proxies}, asked from the backend host): {@code holder}'s
     * proxy holds the traffic, and both are ready.
     */
    private boolean controlPlaneSeesTrafficThrough(Host holder, Host other) throws IOException {
        String json;
        try {
            json = Netns.exec(backend, "curl", "-fsS", "--max-time", "2", "-H", "Authorization: Bearer " + Files.readString(agentToken).strip(),
                    "http://127.0.0.1:" + CP_PORT + "/api/v1/proxies");
        } catch (RuntimeException e) {
            return false; // not answered this time: asked again
        }
        com.fasterxml.jackson.databind.JsonNode proxies = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json).path("proxies");
        boolean holds = false;
        boolean otherReadyAndIdle = false;
        for (com.fasterxml.jackson.databind.JsonNode p : proxies) {
            if (p.path("id").asText().equals("proxy-" + holder.name)) {
                holds = p.path("holdsTraffic").asBoolean() && p.path("ready").asBoolean();
            } else if (p.path("id").asText().equals("proxy-" + other.name)) {
                otherReadyAndIdle = p.path("ready").asBoolean() && p.path("heard").asBoolean() && !p.path("holdsTraffic").asBoolean();
            }
        }
        return holds && otherReadyAndIdle;
    }

    private ServiceProcess track(ServiceProcess p) {
        services.add(p);
        return p;
    }

    private static Path jar(String module) {
        return ROOT.resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
    }

    private void startLoad(String client) throws IOException {
        Path classes = Path.of(FloatingLoad.class.getProtectionDomain().getCodeSource().getLocation().getPath());
        load = new ProcessBuilder("ip", "netns", "exec", client, Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx64m", "-XX:+UseSerialGC", "-cp", classes.toString(), FloatingLoad.class.getName(), "http://" + VIP + ":" + LB_PORT + "/api/info", "3")
                .redirectError(ProcessBuilder.Redirect.appendTo(dir.resolve("load.err").toFile())).start();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(load.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    String[] f = line.split(" ");
                    outcomes.add(new long[] {Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2])});
                }
            } catch (IOException | RuntimeException e) {
                // the load ended
            }
        }, "load-reader");
        reader.setDaemon(true);
        reader.start();
    }

    private static boolean ok(long[] o) {
        return o[2] >= 200 && o[2] < 300;
    }

    private long successesStartedAfter(long t) {
        return outcomes.stream().filter(o -> o[0] >= t && ok(o)).count();
    }

    private void awaitSuccessesAfter(long t, int n) {
        await(n + " answers through " + VIP).atMost(BOUND).pollInterval(Duration.ofMillis(20)).until(() -> successesStartedAfter(t) >= n);
    }

    /**
     * A fault on the host holding the address; waits until the other one holds it and the clients are answered again.
     * Returns its figures: from the fault to the address on the new holder, to the first answer through it, the
     * longest gap between answers and the requests that failed (from 1 s before the fault to 50 answers after the move).
     */
    private Figures scenario(String name, Host from, Host to, Supplier<Long> fault) {
        assertTrue(from.holdsAddress(), name + ": " + from.name + " should hold " + VIP + " before the fault");
        awaitSuccessesAfter(System.nanoTime(), 30);
        long t0 = fault.get();
        await(name + ": " + VIP + " moves to " + to.name).atMost(BOUND).pollInterval(Duration.ofMillis(20)).until(to::holdsAddress);
        long moved = System.nanoTime();
        awaitSuccessesAfter(moved, 50);
        long firstAnswer = outcomes.stream().filter(o -> o[0] >= t0 && ok(o)).mapToLong(o -> o[1]).min().orElseThrow();
        return figures(name, t0, t0 - Duration.ofSeconds(1).toNanos(), moved, firstAnswer, from, to);
    }

    /** {@code holder} keeps the address for 3 s while {@code other} is back and ready; the clients are answered throughout. */
    private Figures staysOn(String name, Host holder, Host other) {
        long t0 = System.nanoTime();
        await(name + ": " + VIP + " stays on " + holder.name).during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5))
                .pollInterval(Duration.ofMillis(50)).until(() -> holder.holdsAddress() && !other.holdsAddress());
        return figures(name, t0, t0, -1, -1, holder, other);
    }

    /** One scenario's line of figures, and its failed requests. */
    private record Figures(String line, long failed, long refused) {
    }

    /** The figures of the requests from {@code fromT} on; {@code moved} and {@code firstAnswer} -1 when nothing moved. */
    private Figures figures(String name, long t0, long fromT, long moved, long firstAnswer, Host from, Host to) {
        long until = System.nanoTime();
        List<long[]> window = outcomes.stream().filter(o -> o[1] >= fromT && o[0] <= until).toList();
        long[] ends = window.stream().filter(FloatingAddressIT::ok).mapToLong(o -> o[1]).sorted().toArray();
        long gap = 0;
        for (int i = 1; i < ends.length; i++) {
            gap = Math.max(gap, ends[i] - ends[i - 1]);
        }
        long failed = window.stream().filter(o -> !ok(o)).count();
        long connectTimeouts = window.stream().filter(o -> o[2] == FloatingLoad.CONNECT_TIMEOUT).count();
        long refused = window.stream().filter(o -> o[2] == FloatingLoad.REFUSED).count();
        long answerTimeouts = window.stream().filter(o -> o[2] == FloatingLoad.ANSWER_TIMEOUT).count();
        String kinds = String.format("refused %d, connect timeouts %d, answer timeouts %d, other %d", refused, connectTimeouts, answerTimeouts,
                failed - refused - connectTimeouts - answerTimeouts);
        String line = String.format("%-50s %s first answer %5s ms  longest gap %5d ms  failed %3d of %5d (%s)", name,
                moved < 0 ? "address stayed on " + from.name + "          " : String.format("moved to %s in %5d ms,", to.name, (moved - t0) / 1_000_000),
                firstAnswer < 0 ? "-" : Long.toString((firstAnswer - t0) / 1_000_000), gap / 1_000_000, failed, window.size(), kinds);
        System.out.println("[e2e] " + line);
        assertTrue(ends.length > 0, name + ": no answer at all");
        assertTrue(gap < GAP_BOUND.toNanos(), name + ": the clients waited " + gap / 1_000_000 + " ms (bound " + GAP_BOUND.toMillis() + " ms): " + line);
        return new Figures(line, failed, refused);
    }
}
