package io.dsha.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.dsha.api.state.Verdict;
import io.dsha.launcher.Stack;
import io.dsha.launcher.StackOptions;
import io.dsha.launcher.Tokens;
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
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** What the scenarios share: a stack per scenario with fast checks, and waits on what the control plane and clients see. */
abstract class StackScenarios {

    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    static final Duration BOUND = Duration.ofSeconds(20);
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /** A stack: checks every 200 ms with rise/fall 2, AUTO failback after 1 s (negative: MANUAL), a hung backend is given 2 s. */
    static Stack stack(String name, String mode, long failbackDelayMs, int checkers, Map<String, Map<String, String>> checkerSettings) {
        return stack(name, mode, failbackDelayMs, checkers, checkerSettings, 200);
    }

    /** The same with another check interval (the probe timeout is half of it). */
    static Stack stack(String name, String mode, long failbackDelayMs, int checkers, Map<String, Map<String, String>> checkerSettings,
            int checkIntervalMs) {
        Path dir = ROOT.resolve("e2e/target/e2e").resolve(name);
        deleteTree(dir);
        return Stack.start(new StackOptions(ROOT, dir, mode, "TERMINATE", 0, 0, checkers, checkIntervalMs, 2, failbackDelayMs, 0,
                Map.of("dsha.timeouts.first-byte", "2s", "dsha.shutdown.grace", "2s"), checkerSettings), Tokens.random());
    }

    static Stack stack(String name, String mode) {
        return stack(name, mode, 1000, 1, Map.of());
    }

    /** Three control planes on a 3-member etcd cluster (ACTIVE_PASSIVE, one checker, checks every 200 ms). */
    static Stack replicated(String name) {
        Path dir = ROOT.resolve("e2e/target/e2e").resolve(name);
        deleteTree(dir);
        return Stack.start(new StackOptions(ROOT, dir, "ACTIVE_PASSIVE", "TERMINATE", 0, 0, 1, 200, 2, 1000, 0,
                Map.of("dsha.timeouts.first-byte", "2s", "dsha.shutdown.grace", "2s"), Map.of(), 3), Tokens.random());
    }

    /** Waits until a control plane leads; its index. */
    static int awaitLeader(Stack s) {
        await("a control plane leads").atMost(BOUND).pollInterval(Duration.ofMillis(50)).ignoreExceptions().until(() -> s.leader().isPresent());
        return s.leader().orElseThrow();
    }

    static List<String> active(Stack s) {
        return s.client().state().routing().active();
    }

    static String verdict(Stack s, String backend) {
        for (Verdict v : s.client().state().verdicts()) {
            if (backend.equals(v.backendId())) {
                return String.valueOf(v.status());
            }
        }
        return "NONE";
    }

    static void awaitActive(Stack s, String... ids) {
        await("routing active " + List.of(ids)).atMost(BOUND).pollInterval(Duration.ofMillis(50)).until(() -> active(s).equals(List.of(ids)));
    }

    static void awaitVerdict(Stack s, String backend, String status) {
        await(backend + " " + status).atMost(BOUND).pollInterval(Duration.ofMillis(50)).until(() -> verdict(s, backend).equals(status));
    }

    /** Waits until the last 30 successful answers all came from these instances (and from each of them). */
    static void awaitServedBy(Load load, String... instances) {
        await("served by " + List.of(instances)).atMost(BOUND).pollInterval(Duration.ofMillis(50))
                .until(() -> load.lastServedBy(30).keySet().equals(new java.util.TreeSet<>(List.of(instances))));
    }

    /** Waits for {@code n} more successful answers: the load goes on. */
    static void awaitMoreSuccesses(Load load, int n) {
        long target = load.successes() + n;
        await(n + " more successes").atMost(BOUND).pollInterval(Duration.ofMillis(20)).until(() -> load.successes() >= target);
    }

    /**
     * Asserts the client saw no error. When it did, the message gives each error's wall-clock time and what the
     * proxy logged about its routing and its backends' failures, so a failure on CI can be read from its report.
     */
    static void assertNoClientErrors(Stack s, Load load) {
        List<Load.Outcome> errors = load.errors();
        if (errors.isEmpty()) {
            return;
        }
        long nanoNow = System.nanoTime();
        java.time.Instant wallNow = java.time.Instant.now();
        StringBuilder m = new StringBuilder("the client saw errors:");
        for (Load.Outcome o : errors) {
            m.append("\n  at ").append(wallNow.minusNanos(nanoNow - o.startNanos())).append(": ").append(o);
        }
        m.append("\nthe proxy's log on routing and failures:");
        Path log = s.options().stateDir().resolve("logs").resolve("proxy.log");
        try (Stream<String> lines = Files.lines(log)) {
            lines.filter(l -> l.contains("Routing at") || l.contains("failed on traffic")).forEach(l -> m.append("\n  ").append(l));
        } catch (IOException | UncheckedIOException e) {
            m.append("\n  (not readable: ").append(e.getMessage()).append(')');
        }
        org.junit.jupiter.api.Assertions.fail(m.toString());
    }

    static Load load(Stack s, Load.Kind kind) {
        return new Load(s.loadBalancerUrl(), s.certificate(), 3, kind);
    }

    static List<String> recordIds(Stack s, String sim) {
        JsonNode ids = get(s.sim(sim).url() + "/api/records", 200).path("ids");
        List<String> out = new ArrayList<>();
        ids.forEach(n -> out.add(n.asText()));
        return out;
    }

    static int status(String url) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static JsonNode get(String url, int expected) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(expected, r.statusCode(), url + ": " + r.body());
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static void post(String url, String json) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), url + ": " + r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
