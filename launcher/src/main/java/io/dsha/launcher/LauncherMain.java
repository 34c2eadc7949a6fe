package io.dsha.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import io.dsha.api.cluster.ClusterView;
import io.dsha.api.event.Event;
import io.dsha.api.json.DshaJson;
import io.dsha.api.state.RoutingDecision;
import io.dsha.api.state.StateSnapshot;
import io.dsha.api.state.Verdict;
import io.dsha.api.traffic.IngestBacklog;
import io.dsha.api.traffic.Proxies;
import io.dsha.api.traffic.ProxyStatus;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

/**
 * What {@code ./dsha} runs: {@code demo} (the whole stack as local processes until Ctrl-C), {@code fail A|B} and
 * {@code heal A|B} (flip a simulated instance's health, or {@code --hang} it), {@code status} (the running demo
 * as the control plane sees it). Exit codes: 0 done, 1 the stack or a call failed, 2 a usage error.
 */
public final class LauncherMain {

    static final String USAGE = """
            usage: ./dsha demo [--ha] [--mode ACTIVE_PASSIVE|ACTIVE_ACTIVE] [--tls-mode TERMINATE|PASSTHROUGH] [--state-dir DIR]
                               [--lb-port PORT] [--cp-port PORT]
                   ./dsha fail A|B [--hang] [--state-dir DIR]    make an instance fail its health check (or hang)
                   ./dsha heal A|B [--state-dir DIR]             make it healthy again
                   ./dsha status [--state-dir DIR]               the running demo as the control plane sees it
                   ./dsha kill-leader [--state-dir DIR]          --ha: kill -9 the leading control plane
                   ./dsha stop cp-N [--state-dir DIR]            --ha: stop one control plane (SIGTERM)
                   ./dsha restart-proxy [--state-dir DIR]        a new proxy binds beside the old one, then the old one leaves
                   ./dsha validate FILE...                       check topology files (exit 0 valid, 1 not)
                   ./dsha vrrp-config --interface IF --vip ADDR/PREFIX [--peer ADDR]... [--out FILE] [--script-out FILE] ...
                                                                 keepalived's configuration for one proxy host (README)""";
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");

    private LauncherMain() {
    }

    public static void main(String... args) {
        int code;
        try {
            code = run(args, System.out);
        } catch (UsageException e) {
            System.err.println("dsha: " + e.getMessage());
            System.err.println(USAGE);
            code = 2;
        } catch (RuntimeException e) {
            System.err.println("dsha: " + e.getMessage());
            code = 1;
        }
        System.exit(code);
    }

    /** Thrown for words the launcher does not understand. */
    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }

    static int run(String[] args, PrintStream out) {
        if (args.length == 0) {
            throw new UsageException("a command is needed");
        }
        if (args[0].equals("vrrp-config")) {
            return vrrpConfig(java.util.Arrays.copyOfRange(args, 1, args.length), out);
        }
        Path root = Path.of(System.getProperty("dsha.root", ".")).toAbsolutePath().normalize();
        Args a = Args.parse(root, java.util.Arrays.copyOfRange(args, 1, args.length));
        return switch (args[0]) {
            case "demo" -> demo(a, out);
            case "fail" -> flip(a, true, out);
            case "heal" -> flip(a, false, out);
            case "status" -> status(a, out);
            case "kill-leader" -> killLeader(a, out);
            case "stop" -> stop(a, out);
            case "restart-proxy" -> restartProxy(a, out);
            default -> throw new UsageException("unknown command " + args[0]);
        };
    }

    /** The parsed options; {@code instance} is the one positional word of fail/heal. */
    record Args(StackOptions options, String instance, boolean hang) {
        static Args parse(Path root, String[] args) {
            StackOptions o = StackOptions.demo(root, root.resolve("state/demo"));
            String mode = o.mode();
            String tls = o.tlsMode();
            int lb = o.lbPort();
            int cp = o.controlPlanePort();
            Path state = o.stateDir();
            String instance = null;
            boolean hang = false;
            int controlPlanes = 1;
            for (int i = 0; i < args.length; i++) {
                String w = args[i];
                switch (w) {
                    case "--mode" -> mode = value(args, ++i, w);
                    case "--tls-mode" -> tls = value(args, ++i, w);
                    case "--state-dir" -> state = Path.of(value(args, ++i, w)).toAbsolutePath().normalize();
                    case "--lb-port" -> lb = port(value(args, ++i, w), w);
                    case "--cp-port", "--port" -> cp = port(value(args, ++i, w), w);
                    case "--hang" -> hang = true;
                    case "--ha" -> controlPlanes = 3;
                    default -> {
                        if (w.startsWith("-") || instance != null) {
                            throw new UsageException("unexpected " + w);
                        }
                        instance = w.toLowerCase(Locale.ROOT);
                    }
                }
            }
            try {
                return new Args(o.with(mode, tls, lb, cp, state).withControlPlanes(controlPlanes), instance, hang);
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
        }

        private static String value(String[] args, int i, String option) {
            if (i >= args.length) {
                throw new UsageException(option + " needs a value");
            }
            return args[i];
        }

        private static int port(String v, String option) {
            try {
                int p = Integer.parseInt(v);
                if (p >= 0 && p <= 65535) {
                    return p;
                }
            } catch (NumberFormatException e) {
                // said below
            }
            throw new UsageException(option + ": " + v + " (expected: 0..65535)");
        }
    }

    /** {@code vrrp-config}: keepalived's configuration (and its check script) for one proxy host; see {@link VrrpConfig}. */
    private static int vrrpConfig(String[] args, PrintStream out) {
        VrrpConfig.Options o;
        try {
            o = VrrpConfig.parse(args);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        String conf = VrrpConfig.keepalivedConf(o);
        // Root runs both; keepalived's script security refuses a script that anyone but root may change.
        o.scriptOut().ifPresent(f -> writeFile(f, VrrpConfig.checkScript(o), "rwxr-xr-x"));
        o.out().ifPresent(f -> writeFile(f, conf, "rw-r--r--"));
        if (o.out().isEmpty()) {
            out.print(conf);
        } else {
            out.println("wrote " + o.out().get() + o.scriptOut().map(f -> " and " + f).orElse(""));
        }
        if (o.scriptOut().isEmpty()) {
            System.err.println("dsha: the configuration runs " + VrrpConfig.DEFAULT_SCRIPT + ": write it with --script-out " + VrrpConfig.DEFAULT_SCRIPT);
        }
        return 0;
    }

    private static void writeFile(Path file, String content, String mode) {
        try {
            Files.writeString(file, content);
            Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString(mode));
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + file, e);
        }
    }

    private static int demo(Args args, PrintStream out) {
        if (args.instance() != null) {
            throw new UsageException("demo takes no " + args.instance());
        }
        StackOptions o = args.options();
        Path stackFile = o.stateDir().resolve("stack.json");
        out.println("datastack-ha demo: starting two simulated DataStack instances, "
                + (o.replicated() ? "three etcd members, three control planes" : "the control plane") + ", a health service and the proxy ...");
        Stack stack = Stack.start(o, Tokens.inFile(o.stateDir().resolve("tokens.env")));
        CountDownLatch stopped = new CountDownLatch(1);
        AtomicBoolean stopping = new AtomicBoolean();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopping.set(true);
            out.println("\ndsha: stopping everything ...");
            stack.close();
            try {
                Files.deleteIfExists(stackFile);
            } catch (IOException e) {
                // the next demo overwrites it
            }
            out.println("dsha: stopped.");
            stopped.countDown();
        }, "dsha-stop"));
        stack.writeStackFile();
        printTable(stack, out);
        Monitor monitor = new Monitor(stack);
        Supervisor supervisor = new Supervisor(stack, out);
        while (stopped.getCount() > 0) {
            if (!stopping.get()) {
                out.println(monitor.line());
                supervisor.check(stopping::get);
                rollProxyWhenAsked(stack, out);
            }
            ServiceProcess.pause(Duration.ofSeconds(1));
        }
        return 0;
    }

    /**
     * With replicas, restarts a control plane {@value #RESTART_AFTER_S} s after it ended (killed by {@code ./dsha
     * kill-leader}, stopped by {@code ./dsha stop cp-N}), as systemd's {@code Restart=always} would: it comes back as a
     * follower. One control plane alone is not restarted, so that a person can see what its loss does.
     */
    static final class Supervisor {
        private static final int RESTART_AFTER_S = 5;
        private final Stack stack;
        private final PrintStream out;
        private final Map<Integer, Long> endedAt = new HashMap<>();

        Supervisor(Stack stack, PrintStream out) {
            this.stack = stack;
            this.out = out;
        }

        /** {@code stopping}: true once Ctrl-C came; nothing is started then. */
        void check(java.util.function.BooleanSupplier stopping) {
            if (!stack.options().replicated()) {
                return;
            }
            for (int i = 0; i < stack.controlPlanes().size(); i++) {
                ServiceProcess cp = stack.controlPlane(i);
                if (cp.alive()) {
                    endedAt.remove(i);
                    continue;
                }
                long now = System.nanoTime();
                long ended = endedAt.computeIfAbsent(i, k -> now);
                if (now - ended >= Duration.ofSeconds(RESTART_AFTER_S).toNanos() && !stopping.getAsBoolean()) {
                    out.println("dsha: " + cp.name() + " ended " + RESTART_AFTER_S + " s ago: starting it again (it rejoins as a follower)");
                    try {
                        stack.restartControlPlane(i);
                        stack.writeStackFile();
                    } catch (RuntimeException e) {
                        out.println("dsha: " + cp.name() + " did not start again: " + e.getMessage());
                    }
                    endedAt.remove(i);
                }
            }
        }
    }

    private static void printTable(Stack s, PrintStream out) {
        JsonNode d = s.describe();
        out.println();
        out.printf("%-16s %-8s %-44s %s%n", "PROCESS", "PID", "URL", "LOG");
        for (JsonNode p : d.get("processes")) {
            JsonNode urls = p.path("urls");
            String url = urls.isMissingNode() ? "-" : urls.elements().next().asText();
            out.printf("%-16s %-8d %-44s %s%n", p.get("name").asText(), p.get("pid").asLong(), url, p.get("log").asText());
        }
        out.println();
        out.println("load balancer   " + s.loadBalancerUrl() + "   (" + s.options().mode() + ", " + s.options().tlsMode()
                + ", FQDN " + StackOptions.FQDN + ")");
        if (s.options().replicated()) {
            out.println("control planes  " + String.join(", ", s.client().urls()) + "   (any of them: reads at each, changes forwarded to the leader)");
            out.println("etcd            " + String.join(", ", s.etcd().orElseThrow().clientUrls()));
        } else {
            out.println("control plane   " + s.client().url() + "/api/v1/state   (OpenAPI " + s.client().url() + "/q/openapi)");
        }
        out.println("status page     " + s.client().url() + "/   (paste the admin token)");
        out.println("admin token     " + s.tokens().admin());
        out.println("agent token     " + s.tokens().agent());
        out.println("state dir       " + s.options().stateDir() + "   (stack.json, tokens.env, admin-token, agent-token: mode 0600; logs/)");
        out.println("certificate     " + s.certificate().pem());
        out.println();
        out.println(SelfSignedCertificate.SOC_WARNING);
        out.println();
        out.println("Try:  curl --cacert " + s.certificate().pem() + " " + s.loadBalancerUrl().replace("127.0.0.1", "localhost") + "/api/info");
        out.println("      ./dsha fail a      ./dsha heal a      ./dsha status      ./dsha restart-proxy" + stateDirArg(s.options()));
        if (s.options().replicated()) {
            out.println("      ./dsha kill-leader      ./dsha stop cp-2      (a control plane that ends is started again after 5 s)");
        }
        out.println("Ctrl-C stops everything.");
        out.println();
    }

    private static String stateDirArg(StackOptions o) {
        return o.stateDir().equals(o.root().resolve("state/demo")) ? "" : "   (add --state-dir " + o.stateDir() + ")";
    }

    /** The live line: mode, where traffic goes, each verdict, and the proxy's requests per second. */
    static final class Monitor {
        private final Stack stack;
        private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        private double lastRequests = -1;
        private long lastAt;

        Monitor(Stack stack) {
            this.stack = stack;
        }

        String line() {
            StringBuilder b = new StringBuilder(LocalTime.now().format(CLOCK)).append("  ");
            try {
                b.append(summary(stack.client().state()));
            } catch (RuntimeException e) {
                b.append("control plane: not answering");
            }
            if (stack.options().replicated()) {
                try {
                    ClusterView view = stack.client().cluster();
                    b.append("  leader ").append(view.leader() == null ? "none" : view.leader().id());
                } catch (RuntimeException e) {
                    b.append("  leader ?");
                }
            }
            b.append("  ").append(requestsPerSecond());
            for (ServiceProcess p : stack.processes()) {
                if (!p.alive()) {
                    b.append("  [").append(p.name()).append(" exited]");
                }
            }
            return b.toString();
        }

        private String requestsPerSecond() {
            try {
                String metrics = http.send(HttpRequest.newBuilder(URI.create(stack.proxyManagementUrl() + "/q/metrics"))
                        .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.ofString()).body();
                double total = metrics.lines().filter(l -> l.startsWith("dsha_proxy_requests_total{"))
                        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
                long now = System.nanoTime();
                String s = lastRequests < 0 ? "- req/s"
                        : String.format(Locale.ROOT, "%.1f req/s", (total - lastRequests) / ((now - lastAt) / 1e9));
                lastRequests = total;
                lastAt = now;
                return s;
            } catch (IOException | RuntimeException e) {
                return "proxy: not answering";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "";
            }
        }
    }

    /** {@code ACTIVE_PASSIVE active=a  a:UP b:UP  rev 12}; a verdict's flags as a JSON list: {@code b:UP["DEGRADED"]}. */
    static String summary(StateSnapshot state) {
        StringBuilder b = new StringBuilder(state.topology() == null ? "?" : String.valueOf(state.topology().mode()));
        RoutingDecision routing = state.routing();
        List<String> active = routing == null ? List.of() : routing.active();
        b.append(" active=").append(active.isEmpty() ? "none" : String.join(",", active));
        if (routing != null && routing.allDown()) {
            b.append(" (all down)");
        }
        b.append(' ');
        for (Verdict v : state.verdicts()) {
            b.append(' ').append(orUnknown(v.backendId())).append(':').append(orUnknown(v.status()));
            if (!v.flags().isEmpty()) {
                // In the enum's order: the set's own order changes from one JVM to the next.
                b.append(v.flags().stream().sorted().map(f -> "\"" + f + "\"").collect(Collectors.joining(",", "[", "]")));
            }
        }
        return b.append("  rev ").append(state.revision()).toString();
    }

    private static String orUnknown(Object value) {
        return value == null ? "?" : value.toString();
    }

    private static JsonNode stackFile(StackOptions o) {
        Path f = o.stateDir().resolve("stack.json");
        if (!Files.exists(f)) {
            throw new IllegalStateException("no running demo in " + o.stateDir() + " (start one with ./dsha demo)");
        }
        try {
            return DshaJson.mapper().readTree(Files.readString(f));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int flip(Args args, boolean fail, PrintStream out) {
        if (args.instance() == null) {
            throw new UsageException((fail ? "fail" : "heal") + " needs an instance: A or B");
        }
        JsonNode stack = stackFile(args.options());
        for (JsonNode p : stack.get("processes")) {
            if (p.path("role").asText().equals("datastack-sim") && p.path("name").asText().equals(args.instance())) {
                String control = p.path("urls").path("control").asText();
                HttpClient http = insecureLocalClient();
                String body;
                if (fail && args.hang()) {
                    body = post(http, control + "/hang", "{\"hang\":true}");
                } else {
                    if (!fail) {
                        post(http, control + "/hang", "{\"hang\":false}");
                    }
                    body = post(http, control + "/health", "{\"status\":" + (fail ? 503 : 200) + "}");
                }
                out.println("instance " + args.instance() + ": " + body);
                out.println(fail ? "The checkers see it fail within a few intervals; watch the demo's live line (or ./dsha status)."
                        : "It is healthy again; traffic comes back per the failback policy.");
                return 0;
            }
        }
        throw new UsageException("no instance " + args.instance() + " in the running demo (expected: a or b)");
    }

    /** The running demo's control planes: every URL in {@code stack.json}, with its tokens. */
    private static ControlPlaneClient client(JsonNode stack) {
        JsonNode tokens = stack.get("tokens");
        List<String> urls = new ArrayList<>();
        stack.path("controlPlanes").forEach(u -> urls.add(u.asText()));
        if (urls.isEmpty()) {
            urls.add(stack.get("controlPlane").asText());
        }
        return new ControlPlaneClient(urls, new Tokens(tokens.get("admin").asText(), tokens.get("agent").asText()));
    }

    private static int status(Args args, PrintStream out) {
        JsonNode stack = stackFile(args.options());
        ControlPlaneClient client = client(stack);
        for (JsonNode p : stack.get("processes")) {
            boolean alive = ProcessHandle.of(p.get("pid").asLong()).map(ProcessHandle::isAlive).orElse(false);
            out.printf("%-16s pid %-8d %s%n", p.get("name").asText(), p.get("pid").asLong(), alive ? "running" : "NOT RUNNING");
        }
        if (stack.path("controlPlanes").size() > 1) {
            printCluster(client.cluster(), out);
        }
        out.println(summary(client.state()));
        out.println("load balancer " + stack.get("loadBalancer").asText());
        Proxies proxies = client.proxies();
        printProxies(proxies, out);
        printIngest(proxies, out);
        for (Event e : client.events(5)) {
            out.println("  " + e.at() + "  " + e.type() + "  " + (e.message() == null ? "" : e.message()));
        }
        return 0;
    }

    /** Each proxy heard from lately: ready or not, and which one holds the traffic. */
    static void printProxies(Proxies proxies, PrintStream out) {
        out.println("proxies (from their reports; the one serving holds the traffic):");
        if (proxies.proxies().isEmpty()) {
            out.println("  none has reported yet");
        }
        for (ProxyStatus p : proxies.proxies()) {
            String state = !p.heard() ? "SILENT since " + p.lastReport() : Boolean.TRUE.equals(p.shuttingDown()) ? "shutting down"
                    : Boolean.TRUE.equals(p.ready()) ? "ready" : Boolean.FALSE.equals(p.ready()) ? "NOT READY" : "readiness unknown";
            out.printf("  %-16s %-20s %-28s %-16s %8s req/s%s%n", p.id(), p.host() == null ? "-" : p.host(),
                    p.listener() == null ? "-" : p.listener(), state, p.requestsPerSecond(), p.holdsTraffic() ? "  <- holds the traffic" : "");
        }
    }

    /**
     * With ingest routes, per backend: the records the proxies heard lately hold for it (not yet delivered), summed and
     * per proxy, and those it refused that another instance accepted. Nothing when no proxy reports ingest.
     */
    static void printIngest(Proxies proxies, PrintStream out) {
        Map<String, IngestBacklog> sums = new TreeMap<>();
        Map<String, List<String>> by = new TreeMap<>();
        for (ProxyStatus p : proxies.proxies()) {
            if (p.ingest() == null || !p.heard()) {
                continue;
            }
            p.ingest().forEach((backend, backlog) -> {
                sums.merge(backend, backlog, IngestBacklog::plus);
                by.computeIfAbsent(backend, k -> new ArrayList<>()).add(p.id() + " " + backlog.records());
            });
        }
        if (sums.isEmpty()) {
            return;
        }
        out.println("ingest backlog (records accepted, not yet delivered to the backend; from the proxies heard lately):");
        sums.forEach((backend, b) -> out.printf("  %-16s %8d records %12d bytes  oldest %d ms  %s%s%n", backend, b.records(), b.bytes(),
                b.oldestAgeMs(), "(" + String.join(", ", by.get(backend)) + ")",
                b.diverged() > 0 ? "  " + b.diverged() + " refused that another instance accepted" : ""));
    }

    /** The replicas (the leader marked), and each etcd endpoint's health. */
    static void printCluster(ClusterView view, PrintStream out) {
        out.println("control planes (" + view.store() + "), as " + view.self() + " sees them; leader: "
                + (view.leader() == null ? "none (an election is under way, or etcd has no quorum)" : view.leader().id()));
        for (ClusterView.Replica r : view.replicas()) {
            out.printf("  %-8s %-9s %-28s since %s%n", r.id(), r.role(), r.url(), r.since());
        }
        long healthy = view.etcd().stream().filter(ClusterView.EtcdEndpoint::healthy).count();
        out.println("etcd: " + healthy + " of " + view.etcd().size() + " members healthy");
        for (ClusterView.EtcdEndpoint e : view.etcd()) {
            out.printf("  %-28s %s%n", e.url(), e.healthy() ? "healthy" + (e.leader() ? ", etcd leader" : "") + ", revision " + e.revision()
                    : "NOT HEALTHY: " + e.error());
        }
    }

    /** Where {@code restart-proxy} leaves its request for the running demo, and the demo its answer when it failed. */
    private static Path restartRequest(StackOptions o) {
        return o.stateDir().resolve("restart-proxy.request");
    }

    private static Path restartFailure(StackOptions o) {
        return o.stateDir().resolve("restart-proxy.failed");
    }

    /** In the demo's loop: a restart asked for by {@code ./dsha restart-proxy} is carried out (and said). */
    private static void rollProxyWhenAsked(Stack stack, PrintStream out) {
        Path request = restartRequest(stack.options());
        if (!Files.exists(request)) {
            return;
        }
        try {
            Files.deleteIfExists(request);
            Files.deleteIfExists(restartFailure(stack.options()));
            long before = stack.proxy().pid();
            out.println("dsha: restarting the proxy: a new one binds beside pid " + before + " (SO_REUSEPORT), then pid " + before
                    + " is sent SIGTERM and finishes what it has ...");
            long[] pids = stack.rollProxy();
            stack.writeStackFile();
            out.println("dsha: proxy pid " + pids[0] + " left; pid " + pids[1] + " serves " + stack.loadBalancerUrl());
        } catch (IOException | RuntimeException e) {
            String why = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
            out.println("dsha: the proxy was not restarted (the old one keeps serving): " + why);
            try {
                Files.writeString(restartFailure(stack.options()), why);
            } catch (IOException ignored) {
                // said on the demo's console already
            }
        }
    }

    /**
     * {@code restart-proxy}: asks the running demo for a restart that drops nothing (a new proxy process binds the same
     * listener beside the old one, which then leaves on SIGTERM) and waits until it is done.
     */
    private static int restartProxy(Args args, PrintStream out) {
        StackOptions o = args.options();
        long old = proxyPid(stackFile(o));
        try {
            Files.deleteIfExists(restartFailure(o));
            Files.writeString(restartRequest(o), Long.toString(old));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.println("asked the demo to restart the proxy (pid " + old + ") ...");
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(restartFailure(o))) {
                try {
                    throw new IllegalStateException("the proxy was not restarted: " + Files.readString(restartFailure(o)));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            long now = proxyPid(stackFile(o));
            if (now != old && ProcessHandle.of(old).filter(ProcessHandle::isAlive).isEmpty()) {
                out.println("restarted: pid " + now + " serves; pid " + old + " left after finishing its requests");
                return 0;
            }
            ServiceProcess.pause(Duration.ofMillis(200));
        }
        throw new IllegalStateException("the demo did not restart the proxy within 120 s (is ./dsha demo still running in " + o.stateDir() + "?)");
    }

    private static long proxyPid(JsonNode stack) {
        for (JsonNode p : stack.get("processes")) {
            if (p.path("role").asText().equals("proxy")) {
                return p.get("pid").asLong();
            }
        }
        throw new IllegalStateException("the running demo has no proxy");
    }

    /** {@code kill-leader}: SIGKILL to the leading control plane, as a crash would. */
    private static int killLeader(Args args, PrintStream out) {
        JsonNode stack = stackFile(args.options());
        ClusterView view = client(stack).cluster();
        if (view.leader() == null) {
            throw new IllegalStateException("no control plane leads now (an election is under way, or etcd has no quorum); try again");
        }
        ProcessHandle p = controlPlaneProcess(stack, view.leader().id());
        p.destroyForcibly();
        out.println("killed " + view.leader().id() + " (pid " + p.pid() + ", kill -9). Another replica leads within about 2 lease TTLs;"
                + " ./dsha status shows which. The demo starts " + view.leader().id() + " again after 5 s, as a follower.");
        return 0;
    }

    /** {@code stop cp-N}: SIGTERM to that control plane: it resigns (when it leads) and exits. */
    private static int stop(Args args, PrintStream out) {
        if (args.instance() == null) {
            throw new UsageException("stop needs a control plane: cp-1, cp-2 or cp-3");
        }
        ProcessHandle p = controlPlaneProcess(stackFile(args.options()), args.instance());
        p.destroy();
        out.println("stopped " + args.instance() + " (pid " + p.pid() + ", SIGTERM). The demo starts it again after 5 s.");
        return 0;
    }

    private static ProcessHandle controlPlaneProcess(JsonNode stack, String name) {
        if (stack.path("controlPlanes").size() < 2) {
            throw new UsageException("the running demo has one control plane: start it with ./dsha demo --ha");
        }
        for (JsonNode p : stack.get("processes")) {
            if (p.path("role").asText().equals("control-plane") && p.path("name").asText().equals(name)) {
                return ProcessHandle.of(p.get("pid").asLong()).filter(ProcessHandle::isAlive)
                        .orElseThrow(() -> new IllegalStateException(name + " is not running"));
            }
        }
        throw new UsageException("no control plane " + name + " in the running demo");
    }

    /** The simulators' control paths on loopback; in PASSTHROUGH they speak HTTPS with the demo's own certificate. */
    private static HttpClient insecureLocalClient() {
        try {
            javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
            ctx.init(null, new javax.net.ssl.TrustManager[] {new javax.net.ssl.X509TrustManager() {
                @Override
                public void checkClientTrusted(java.security.cert.X509Certificate[] chain, String authType) {
                }

                @Override
                public void checkServerTrusted(java.security.cert.X509Certificate[] chain, String authType) {
                }

                @Override
                public java.security.cert.X509Certificate[] getAcceptedIssuers() {
                    return new java.security.cert.X509Certificate[0];
                }
            }}, null);
            return HttpClient.newBuilder().sslContext(ctx).connectTimeout(Duration.ofSeconds(2)).build();
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String post(HttpClient http, String url, String body) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IllegalStateException(url + " answered " + r.statusCode() + ": " + r.body());
            }
            return r.body();
        } catch (IOException e) {
            throw new UncheckedIOException(url + " does not answer: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
