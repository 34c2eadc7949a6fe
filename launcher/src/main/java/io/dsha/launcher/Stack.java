package io.dsha.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.dsha.api.cluster.ClusterView;
import io.dsha.api.topology.AllDownPolicy;
import io.dsha.api.topology.Backend;
import io.dsha.api.topology.Failback;
import io.dsha.api.topology.FailbackPolicy;
import io.dsha.api.topology.Freshness;
import io.dsha.api.topology.FreshnessKind;
import io.dsha.api.topology.HealthCheck;
import io.dsha.api.topology.HealthCheckType;
import io.dsha.api.topology.Listener;
import io.dsha.api.topology.Mode;
import io.dsha.api.topology.TlsMode;
import io.dsha.api.topology.Topology;
import io.dsha.etcdproc.EtcdCluster;
import io.dsha.etcdproc.EtcdMember;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The whole stack as local processes: two simulated DataStack instances ({@code a}, {@code b}), the control
 * plane, one or more checkers and the proxy, started from the built jars, in parallel where they do not
 * depend on each other. The demo runs one; each end-to-end test runs its own. With several control planes
 * ({@link StackOptions#replicated()}), a 3-member etcd cluster comes first and the control planes {@code cp-1}...
 * are replicas on it; every client (checkers, proxy, this launcher) is given all their URLs.
 */
public final class Stack implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration GRACE = Duration.ofSeconds(15);
    /** A proxy's own dsha.shutdown.grace (30 s) and a little more, before it is killed. */
    private static final Duration PROXY_GRACE = Duration.ofSeconds(35);
    /** Three members: one may be lost without losing the quorum. */
    private static final int ETCD_MEMBERS = 3;

    /** A simulated instance: its process and its base URL. */
    public record Sim(String id, ServiceProcess process, String url) {
    }

    private final StackOptions options;
    private final Tokens tokens;
    private final Tokens.TokenFiles tokenFiles;
    private final SelfSignedCertificate certificate;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final Map<String, Sim> sims = new LinkedHashMap<>();
    private final List<ServiceProcess> checkers = new ArrayList<>();
    private final List<ServiceProcess> all = Collections.synchronizedList(new ArrayList<>());
    private final List<ServiceProcess> controlPlanes = new ArrayList<>();
    private final List<Integer> controlPlanePorts = new ArrayList<>();
    private EtcdCluster etcd;
    private ControlPlaneClient client;
    private ServiceProcess proxy;
    private int proxyManagementPort;
    private String lbUrl;

    private Stack(StackOptions options, Tokens tokens) {
        this.options = options;
        this.tokens = tokens;
        // The state directory holds the tokens, the demo's key and stack.json: only its owner may enter it. The services
        // read their tokens from files in it (dsha.*-token-file), never from their command lines, which ps shows everyone.
        PrivateFiles.createDirectories(options.stateDir());
        this.tokenFiles = tokens.files(options.stateDir());
        this.certificate = SelfSignedCertificate.create(options.stateDir().resolve("tls"), "demo", "dsha-demo",
                List.of(StackOptions.FQDN, "localhost"));
    }

    /** Starts everything and waits until the proxy is ready; stops what it started when anything fails. */
    public static Stack start(StackOptions options, Tokens tokens) {
        Stack s = new Stack(options, tokens);
        try {
            s.startAll();
            return s;
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
    }

    private void startAll() {
        CompletableFuture<Sim> a = async(() -> startSim("a"));
        CompletableFuture<Sim> b = async(() -> startSim("b"));
        if (options.replicated()) {
            etcd = EtcdCluster.startIn(ETCD_MEMBERS, Optional.empty(), options.stateDir().resolve("etcd"));
        }
        int n = options.controlPlanes();
        int[] free = options.controlPlanePort() == 0 && options.replicated() ? EtcdCluster.freePorts(n) : null;
        for (int i = 0; i < n; i++) {
            controlPlanePorts.add(free != null ? free[i] : options.controlPlanePort() == 0 ? 0 : options.controlPlanePort() + i);
            controlPlanes.add(null);
        }
        List<CompletableFuture<ServiceProcess>> cps = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int index = i;
            cps.add(async(() -> startControlPlane(index, controlPlaneName(index))));
        }
        sims.put("a", a.join());
        sims.put("b", b.join());
        for (int i = 0; i < n; i++) {
            controlPlanes.set(i, cps.get(i).join());
        }
        client = new ControlPlaneClient(controlPlaneUrls(), tokens);
        seedTopology();
        List<CompletableFuture<ServiceProcess>> cs = new ArrayList<>();
        for (int i = 1; i <= options.checkers(); i++) {
            String id = "checker-" + i;
            cs.add(async(() -> startChecker(id)));
        }
        CompletableFuture<ServiceProcess> px = async(this::startProxy);
        cs.forEach(c -> checkers.add(c.join()));
        proxy = px.join();
        lbUrl = awaitProxyReady();
    }

    private static <T> CompletableFuture<T> async(Supplier<T> s) {
        return CompletableFuture.supplyAsync(s);
    }

    private Path log(String name) {
        return options.stateDir().resolve("logs").resolve(name + ".log");
    }

    private ServiceProcess track(ServiceProcess p) {
        all.add(p);
        return p;
    }

    private Sim startSim(String id) {
        return startSim(id, 0);
    }

    private Sim startSim(String id, int port) {
        Map<String, String> props = new HashMap<>(Map.of("sim.name", id, "sim.port", Integer.toString(port),
                "sim.feed-interval", options.feedIntervalMs() + "ms",
                "sim.journal-file", options.stateDir().resolve("sim-" + id + ".journal").toString()));
        if (options.passthrough()) {
            props.put("sim.tls.keystore-file", certificate.keyStore().toString());
            props.put("sim.tls.keystore-password", certificate.password());
        }
        ServiceProcess p = track(ServiceProcess.start("sim-" + id, jar("datastack-sim"), props, log("sim-" + id + (port == 0 ? "" : "-again"))));
        int bound = p.awaitPort(ServiceProcess.SIM_LISTENING);
        return new Sim(id, p, (options.passthrough() ? "https" : "http") + "://127.0.0.1:" + bound);
    }

    /** {@code control-plane} alone; {@code cp-1}, {@code cp-2}... as replicas (also their {@code dsha.replica-id}). */
    private String controlPlaneName(int index) {
        return options.replicated() ? "cp-" + (index + 1) : "control-plane";
    }

    private ServiceProcess startControlPlane(int index, String logName) {
        String name = controlPlaneName(index);
        int port = controlPlanePorts.get(index);
        Map<String, String> props = new HashMap<>(Map.of(
                "dsha.admin-token-file", tokenFiles.admin().toString(),
                "dsha.agent-token-file", tokenFiles.agent().toString(),
                "dsha.state-dir", options.stateDir().resolve(options.replicated() ? name : "control-plane").toString(),
                "quarkus.http.port", Integer.toString(port)));
        if (options.replicated()) {
            props.putAll(Map.of("dsha.store", "etcd",
                    "dsha.etcd.endpoints", String.join(",", etcd.clientUrls()),
                    "dsha.replica-id", name,
                    "dsha.advertise-url", "http://127.0.0.1:" + port));
        }
        ServiceProcess p = track(ServiceProcess.start(name, jar("control-plane"), props, log(logName)));
        controlPlanePorts.set(index, p.awaitPort(ServiceProcess.QUARKUS_LISTENING));
        return p;
    }

    private List<String> controlPlaneUrls() {
        return controlPlanePorts.stream().map(port -> "http://127.0.0.1:" + port).toList();
    }

    /**
     * Declares the demo topology. Replicas elect a leader first (a second or two): until then they answer a change with
     * 503 and Retry-After, which the client waits out.
     */
    private void seedTopology() {
        client.putTopology(topology());
    }

    private ServiceProcess startChecker(String id) {
        Map<String, String> props = new HashMap<>(Map.of(
                "dsha.control-plane.url", String.join(",", client.urls()),
                "dsha.agent-token-file", tokenFiles.agent().toString(),
                "dsha.checker-id", id,
                "dsha.trust-store-file", certificate.keyStore().toString(),
                "dsha.trust-store-password", certificate.password(),
                "dsha.report.retry-pause", "200ms",
                "quarkus.http.port", "0"));
        props.putAll(options.checkerSettings().getOrDefault(id, Map.of()));
        ServiceProcess p = track(ServiceProcess.start(id, jar("health-service"), props, log(id)));
        p.awaitPort(ServiceProcess.QUARKUS_LISTENING);
        return p;
    }

    private ServiceProcess startProxy() {
        Map<String, String> props = new HashMap<>(Map.of(
                "dsha.control-plane.url", String.join(",", client.urls()),
                "dsha.agent-token-file", tokenFiles.agent().toString(),
                "dsha.state-dir", options.stateDir().resolve("proxy").toString(),
                "dsha.listener.host", "127.0.0.1",
                "dsha.listener.port", Integer.toString(options.lbPort()),
                "dsha.event-loops", "2",
                "dsha.access-log.enabled", "false",
                "dsha.proxy-id", "proxy",
                "quarkus.http.port", "0"));
        if (options.passthrough()) {
            props.put("dsha.passthrough.server-names", "localhost");
        } else {
            props.put("dsha.tls.keystore-file", certificate.keyStore().toString());
            props.put("dsha.tls.keystore-password", certificate.password());
        }
        props.putAll(options.proxySettings());
        ServiceProcess p = track(ServiceProcess.start("proxy", jar("proxy-service"), props, log("proxy")));
        proxyManagementPort = p.awaitPort(ServiceProcess.QUARKUS_LISTENING);
        return p;
    }

    /** Waits for the proxy's readiness (a routing decision, the listener bound); returns the listener's URL. */
    private String awaitProxyReady() {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            if (!proxy.alive()) {
                throw new IllegalStateException("the proxy exited:\n" + proxy.output());
            }
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(proxyManagementUrl() + "/q/health/ready"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
                last = r.body();
                String listener = r.statusCode() == 200 ? readyListener(last) : null;
                if (listener != null) {
                    return listener.replace("0.0.0.0", "127.0.0.1");
                }
            } catch (IOException e) {
                last = e.toString();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            ServiceProcess.pause(Duration.ofMillis(100));
        }
        throw new IllegalStateException("the proxy did not become ready within 60s: " + last + "\n" + proxy.output());
    }

    /**
     * The data listener's URL from the proxy's readiness answer (SmallRye Health JSON: the {@code routing} check's
     * {@code data.listener}), or null while it names none.
     */
    static String readyListener(String readiness) {
        JsonNode root;
        try {
            root = JSON.readTree(readiness);
        } catch (IOException e) {
            return null;
        }
        for (JsonNode check : root.path("checks")) {
            JsonNode listener = check.path("data").path("listener");
            if (listener.isTextual()) {
                return listener.asText();
            }
        }
        return null;
    }

    /** The demo topology for this stack's instances (what an operator would write for two DataStack hosts). */
    public Topology topology() {
        return topology(options, sims.values());
    }

    /** The demo topology for {@code sims}: the first is preferred (priority 0), each checked at the options' interval. */
    static Topology topology(StackOptions options, Collection<Sim> sims) {
        Failback failback = options.failbackDelayMs() < 0 ? new Failback(FailbackPolicy.MANUAL, null)
                : new Failback(FailbackPolicy.AUTO, options.failbackDelayMs());
        int interval = Math.toIntExact(options.checkIntervalMs());
        HealthCheck check = new HealthCheck(HealthCheckType.HTTP, "/health", 200, interval, interval / 2, options.riseFall(),
                options.riseFall());
        List<Backend> backends = new ArrayList<>();
        for (Sim sim : sims) {
            URI u = URI.create(sim.url());
            backends.add(new Backend(sim.id(), u.getHost(), u.getPort(), backends.size(), null, null, check));
        }
        Freshness freshness = options.feedIntervalMs() > 0
                ? new Freshness("/status", "/ingest/lastRecordTime", FreshnessKind.TIMESTAMP, 30_000L, 5000, 1000, 10_000L) : null;
        return new Topology(new Listener("127.0.0.1", options.lbPort() == 0 ? 8443 : options.lbPort()), StackOptions.FQDN,
                TlsMode.valueOf(options.tlsMode()), Mode.valueOf(options.mode()), failback, AllDownPolicy.TRY_ALL, backends, freshness);
    }

    public Path jar(String module) {
        return options.root().resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
    }

    /** Restarts the control plane on the same port and state directory (after it was stopped or killed). */
    public void restartControlPlane() {
        restartControlPlane(0);
    }

    /** Restarts control plane {@code index} (0 is {@code cp-1}) on the same port and state directory, after it ended. */
    public void restartControlPlane(int index) {
        ServiceProcess old = controlPlanes.get(index);
        if (old.alive()) {
            old.stop(GRACE);
        }
        all.remove(old);
        controlPlanes.set(index, startControlPlane(index, controlPlaneName(index) + "-again"));
    }

    /** The index of the control plane that leads now, as the first one answering says; empty while none leads. */
    public Optional<Integer> leader() {
        ClusterView view = client.cluster();
        if (view.leader() == null) {
            return Optional.empty();
        }
        for (int i = 0; i < controlPlanes.size(); i++) {
            if (controlPlaneName(i).equals(view.leader().id())) {
                return Optional.of(i);
            }
        }
        return Optional.empty();
    }

    /** Starts instance {@code id} again on its port (after it was killed); its journal brings its records back. */
    public Sim restartSim(String id) {
        Sim old = sim(id);
        if (old.process().alive()) {
            old.process().stop(GRACE);
        }
        all.remove(old.process());
        Sim s = startSim(id, URI.create(old.url()).getPort());
        sims.put(id, s);
        return s;
    }

    /**
     * Restarts the proxy without a gap: a new proxy process with the same settings binds the same listener beside the
     * running one (SO_REUSEPORT) and, once it is ready, the old one is sent SIGTERM and finishes what it has (up to
     * its {@code dsha.shutdown.grace}). Returns the pids, old and new. When the new one does not become ready, it is
     * stopped and the old one keeps serving.
     */
    public synchronized long[] rollProxy() {
        ServiceProcess old = proxy;
        int oldPort = proxyManagementPort;
        long from = old.outputLength();
        // The port the running one is bound to (the demo may have asked for any free one: 0).
        ServiceProcess next = track(old.successor(Map.of("dsha.listener.port", Integer.toString(URI.create(lbUrl).getPort()))));
        try {
            proxyManagementPort = Integer.parseInt(next.awaitLine(ServiceProcess.QUARKUS_LISTENING, from, Duration.ofSeconds(60)));
            proxy = next;
            lbUrl = awaitProxyReady();
        } catch (RuntimeException e) {
            proxy = old;
            proxyManagementPort = oldPort;
            next.kill();
            all.remove(next);
            throw e;
        }
        old.stop(PROXY_GRACE);
        all.remove(old);
        return new long[] {old.pid(), next.pid()};
    }

    /** Restarts the proxy with the same settings; returns when it is ready again. */
    public void restartProxy() {
        if (proxy.alive()) {
            proxy.stop(GRACE);
        }
        long from = proxy.outputLength();
        proxy.restart();
        proxyManagementPort = Integer.parseInt(proxy.awaitLine(ServiceProcess.QUARKUS_LISTENING, from, Duration.ofSeconds(60)));
        lbUrl = awaitProxyReady();
    }

    /** {@code stack.json}: every process with its pid, role and URLs, and the tokens (and the files the services read them from). */
    public ObjectNode describe() {
        ObjectNode root = JSON.createObjectNode();
        root.put("stateDir", options.stateDir().toAbsolutePath().toString()).put("mode", options.mode()).put("tlsMode", options.tlsMode())
                .put("fqdn", StackOptions.FQDN).put("loadBalancer", lbUrl).put("controlPlane", client.urls().get(0))
                .put("certificate", certificate.pem().toAbsolutePath().toString());
        ArrayNode urls = root.putArray("controlPlanes");
        client.urls().forEach(urls::add);
        root.putObject("tokens").put("admin", tokens.admin()).put("agent", tokens.agent())
                .put("adminFile", tokenFiles.admin().toAbsolutePath().toString()).put("agentFile", tokenFiles.agent().toAbsolutePath().toString());
        ArrayNode ps = root.putArray("processes");
        if (etcd != null) {
            for (EtcdMember m : etcd.members()) {
                ps.addObject().put("role", "etcd").put("name", "etcd-" + m.name()).put("pid", m.pid())
                        .put("log", m.dataDir().resolveSibling(m.name() + ".log").toString()).putObject("urls").put("client", m.clientUrl());
            }
        }
        for (int i = 0; i < controlPlanes.size(); i++) {
            ServiceProcess cp = controlPlanes.get(i);
            String url = client.urls().get(i);
            ps.addObject().put("role", "control-plane").put("name", cp.name()).put("pid", cp.pid())
                    .put("log", cp.log().toString()).putObject("urls").put("api", url + "/api/v1")
                    .put("health", url + "/q/health").put("openapi", url + "/q/openapi")
                    .put("status", url + "/");
        }
        ps.addObject().put("role", "proxy").put("name", "proxy").put("pid", proxy.pid()).put("log", proxy.log().toString())
                .putObject("urls").put("listener", lbUrl).put("management", proxyManagementUrl() + "/q/health");
        for (ServiceProcess c : checkers) {
            ps.addObject().put("role", "health-service").put("name", c.name()).put("pid", c.pid()).put("log", c.log().toString());
        }
        for (Sim s : sims.values()) {
            ps.addObject().put("role", "datastack-sim").put("name", s.id()).put("pid", s.process().pid())
                    .put("log", s.process().log().toString()).putObject("urls").put("base", s.url()).put("control", s.url() + "/sim");
        }
        return root;
    }

    /** Writes {@code stack.json} (mode 0600: it holds the tokens). */
    public Path writeStackFile() {
        return PrivateFiles.write(options.stateDir().resolve("stack.json"), describe().toPrettyString() + "\n");
    }

    public StackOptions options() {
        return options;
    }

    public Tokens tokens() {
        return tokens;
    }

    /** The files the services read the tokens from ({@code dsha.admin-token-file}, {@code dsha.agent-token-file}). */
    public Tokens.TokenFiles tokenFiles() {
        return tokenFiles;
    }

    public SelfSignedCertificate certificate() {
        return certificate;
    }

    public Sim sim(String id) {
        Sim s = sims.get(id);
        if (s == null) {
            throw new IllegalArgumentException("no instance " + id + " (expected: " + sims.keySet() + ")");
        }
        return s;
    }

    /** The control plane, or {@code cp-1} of several. */
    public ServiceProcess controlPlane() {
        return controlPlanes.get(0);
    }

    /** Control plane {@code index} (0 is {@code cp-1}). */
    public ServiceProcess controlPlane(int index) {
        return controlPlanes.get(index);
    }

    public List<ServiceProcess> controlPlanes() {
        return List.copyOf(controlPlanes);
    }

    /** The etcd cluster under replicated control planes; empty with one control plane. */
    public Optional<EtcdCluster> etcd() {
        return Optional.ofNullable(etcd);
    }

    public ControlPlaneClient client() {
        return client;
    }

    public ServiceProcess proxy() {
        return proxy;
    }

    public String proxyManagementUrl() {
        return "http://127.0.0.1:" + proxyManagementPort;
    }

    public List<ServiceProcess> checkers() {
        return List.copyOf(checkers);
    }

    /** The proxy's listener, e.g. {@code https://127.0.0.1:8443}. */
    public String loadBalancerUrl() {
        return lbUrl;
    }

    public List<ServiceProcess> processes() {
        synchronized (all) {
            return List.copyOf(all);
        }
    }

    /**
     * Stops everything: the proxy first (clients see it go), then checkers, instances and control planes in parallel,
     * and etcd last (a leader resigns through it).
     */
    @Override
    public void close() {
        List<ServiceProcess> ps = processes();
        ps.stream().filter(p -> p.name().equals("proxy")).forEach(p -> p.stop(GRACE));
        ps.stream().filter(p -> !p.name().equals("proxy"))
                .map(p -> CompletableFuture.runAsync(() -> p.stop(GRACE))).toList().forEach(CompletableFuture::join);
        if (etcd != null) {
            etcd.close();
        }
    }
}
