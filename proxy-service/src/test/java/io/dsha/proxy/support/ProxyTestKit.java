package io.dsha.proxy.support;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dsha.testkit.ControlPlaneProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Helpers for end-to-end tests that drive one control plane and one or more proxies: topology
 * documents, the control plane's state as JSON, waiting until a proxy follows the control plane's
 * current revision, and reading the proxy's Prometheus metrics.
 */
public final class ProxyTestKit {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern READY_REVISION = Pattern.compile("\"revision\"\\s*:\\s*(\\d+)");

    private ProxyTestKit() {
    }

    /** One backend of a topology document. */
    public record Member(String id, TestBackend backend, int priority, int weight) {
    }

    public static Member member(String id, TestBackend backend, int priority, int weight) {
        return new Member(id, backend, priority, weight);
    }

    /**
     * A topology document. The listener is a placeholder: every proxy of these tests binds
     * {@code 127.0.0.1:0} (dsha.listener.*).
     */
    public static String topology(String mode, String failbackPolicy, long failbackDelayMs, String allDown, Member... members) {
        StringBuilder backends = new StringBuilder();
        for (Member m : members) {
            if (backends.length() > 0) {
                backends.append(",\n");
            }
            backends.append("""
                    {"id": "%s", "host": "127.0.0.1", "port": %d, "priority": %d, "weight": %d}"""
                    .formatted(m.id(), m.backend().port(), m.priority(), m.weight()));
        }
        return """
                {"listener": {"host": "127.0.0.1", "port": 9},
                 "mode": "%s",
                 "failback": {"policy": "%s", "delayMs": %d},
                 "allDown": "%s",
                 "backends": [%s]}
                """.formatted(mode, failbackPolicy, failbackDelayMs, allDown, backends);
    }

    /** The control plane's {@code GET /api/v1/state}. */
    public static JsonNode state(ControlPlaneProcess cp) {
        return json(cp.state());
    }

    public static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The verdict of one backend in the control plane's state. */
    public static JsonNode verdict(JsonNode state, String backendId) {
        for (JsonNode v : state.path("verdicts")) {
            if (backendId.equals(v.path("backendId").asText())) {
                return v;
            }
        }
        throw new AssertionError("no verdict for " + backendId + " in " + state);
    }

    /** The routing revision the proxy uses, from its readiness data; -1 before it has one. */
    public static long proxyRevision(ProxyProcess proxy) {
        try {
            Matcher m = READY_REVISION.matcher(proxy.readiness().body());
            return m.find() ? Long.parseLong(m.group(1)) : -1;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Waits until every proxy has adopted (at least) the control plane's current revision. */
    public static void awaitFollowing(ControlPlaneProcess cp, ProxyProcess... proxies) {
        long revision = state(cp).path("revision").asLong();
        for (ProxyProcess p : proxies) {
            await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(20))
                    .until(() -> proxyRevision(p) >= revision);
        }
    }

    /**
     * Waits until the proxy's listener event loops have been probed for lag (one probe per loop every
     * 100 ms), and checks that the lag is published as a histogram.
     */
    public static void awaitLoopLagProbed(ProxyProcess proxy) {
        await("event-loop lag probed").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                .until(() -> metric(proxy, "dsha_proxy_event_loop_lag_seconds_count") >= 2);
        if (metric(proxy, "dsha_proxy_event_loop_lag_seconds_bucket", "le=\"+Inf\"") < 2) {
            throw new AssertionError("no histogram buckets for dsha_proxy_event_loop_lag_seconds");
        }
    }

    /**
     * The sum of the samples of {@code name} (Prometheus text format) whose labels contain every one
     * of {@code labels} ({@code backend="a"}); 0 when there is none.
     */
    public static double metric(ProxyProcess proxy, String name, String... labels) {
        String scrape;
        try {
            scrape = proxy.metrics();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        Pattern line = Pattern.compile("^" + Pattern.quote(name) + "(\\{([^}]*)\\})?\\s+(\\S+)", Pattern.MULTILINE);
        Matcher m = line.matcher(scrape);
        double sum = 0;
        while (m.find()) {
            String found = m.group(2) == null ? "" : m.group(2);
            boolean all = true;
            for (String l : labels) {
                all &= found.contains(l);
            }
            if (all) {
                sum += Double.parseDouble(m.group(3));
            }
        }
        return sum;
    }

    /**
     * Waits until no TCP connection on this host has {@code port} as its remote port while open or half-closed
     * (ESTABLISHED, CLOSE_WAIT): a killed backend's pooled keep-alive connections have been noticed and closed by
     * the proxy. Until then a request may go out on one of them in the instant before its close is seen, and fail
     * as a reset after sending rather than as a refused connection.
     */
    public static void awaitNoConnectionsTo(int port) {
        await("the proxy's connections to port " + port + " closed").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .until(() -> openConnectionsTo(port) == 0);
    }

    private static int openConnectionsTo(int port) throws IOException {
        int n = 0;
        String hexPort = String.format(":%04X", port);
        for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
            java.nio.file.Path p = java.nio.file.Path.of(table);
            if (!java.nio.file.Files.exists(p)) {
                continue;
            }
            for (String line : java.nio.file.Files.readAllLines(p)) {
                String[] f = line.trim().split("\\s+");
                // sl local_address rem_address st ...: 01 ESTABLISHED, 08 CLOSE_WAIT
                if (f.length > 3 && f[2].endsWith(hexPort) && (f[3].equals("01") || f[3].equals("08"))) {
                    n++;
                }
            }
        }
        return n;
    }
}
