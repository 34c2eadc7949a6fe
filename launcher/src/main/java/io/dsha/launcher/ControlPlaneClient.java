package io.dsha.launcher;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.dsha.api.cluster.ClusterView;
import io.dsha.api.event.Event;
import io.dsha.api.json.DshaJson;
import io.dsha.api.state.StateSnapshot;
import io.dsha.api.traffic.Proxies;
import io.dsha.api.topology.Topology;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The control plane's REST API as the launcher uses it, blocking and typed with the {@code api} records: the operator's
 * calls with the admin token, the reads with the agent token; every request names the launcher in
 * {@code X-Dsha-Actor}. Answers are read tolerantly (a newer control plane may add fields). Thread-safe.
 *
 * <p>Not the shared {@code cp-client}: that one is non-blocking on a Vert.x instance, for services that follow the
 * control plane without blocking a thread. The launcher is a plain CLI (and the end-to-end tests' driver) without
 * Vert.x on its class path; it makes a few calls and waits for each, so the JDK's HTTP client is enough, and taking
 * {@code cp-client} would start an event loop and its threads for them. What both share is the wire format: the
 * {@code api} types through {@link DshaJson}.
 */
public final class ControlPlaneClient {

    private static final String ACTOR = "dsha-launcher";
    /** How long a 503 with Retry-After is tried again: about two elections. */
    static final Duration RETRY_503_FOR = Duration.ofSeconds(10);

    private final List<String> urls;
    private final Tokens tokens;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final AtomicInteger preferred = new AtomicInteger();

    public ControlPlaneClient(String url, Tokens tokens) {
        this(List.of(url), tokens);
    }

    /**
     * With several control planes: a call that finds no answer (refused, reset, timed out) or a 5xx (a replica without
     * a leader to forward to answers 503) goes to the next URL at once, and the one that answered is tried first next
     * time, as the services' own client does.
     */
    public ControlPlaneClient(List<String> urls, Tokens tokens) {
        if (urls.isEmpty()) {
            throw new IllegalArgumentException("no control plane URL");
        }
        this.urls = urls.stream().map(u -> Objects.requireNonNull(u, "url").replaceAll("/+$", "")).toList();
        this.tokens = Objects.requireNonNull(tokens, "tokens");
    }

    /** The URL tried first: the one that answered last. */
    public String url() {
        return urls.get(preferred.get());
    }

    /** Every URL, as given. */
    public List<String> urls() {
        return urls;
    }

    /** {@code GET /api/v1/cluster}: the control planes, their leader and etcd's health, as one replica sees them. */
    public ClusterView cluster() {
        return read(call("GET", "/api/v1/cluster", null, tokens.agent()), ClusterView.class);
    }

    /** The proxies the control plane heard from lately: host, listener, readiness, traffic. */
    public Proxies proxies() {
        return read(call("GET", "/api/v1/proxies", null, tokens.agent()), Proxies.class);
    }

    public StateSnapshot state() {
        return read(call("GET", "/api/v1/state", null, tokens.agent()), StateSnapshot.class);
    }

    /** The newest {@code limit} events, newest first. */
    public List<Event> events(int limit) {
        return List.of(read(call("GET", "/api/v1/events?limit=" + limit, null, tokens.agent()), Event[].class));
    }

    /** Replaces the whole topology; the state it led to. */
    public StateSnapshot putTopology(Topology topology) {
        String body;
        try {
            body = DshaJson.mapper().writeValueAsString(Objects.requireNonNull(topology, "topology"));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("the topology cannot be written as JSON: " + e.getOriginalMessage(), e);
        }
        return read(call("PUT", "/api/v1/topology", body, tokens.admin()), StateSnapshot.class);
    }

    /** Moves traffic back to the preferred backend now; the state it led to. */
    public StateSnapshot failback() {
        return read(call("POST", "/api/v1/failback", "", tokens.admin()), StateSnapshot.class);
    }

    /**
     * One call, to each URL in turn from the preferred one until one answers below 500; fails with the last answer
     * when none did, or at once with a 4xx. {@code body}: JSON, or nothing when null. A 503 with {@code Retry-After}
     * (replicas while no control plane leads: the second or two of an election) is tried again after that pause, at
     * most 1 s, for up to {@link #RETRY_503_FOR}: an operator's change made during a failover waits for the new leader
     * instead of failing.
     */
    private String call(String method, String path, String body, String token) {
        long deadline = System.nanoTime() + RETRY_503_FOR.toNanos();
        while (true) {
            HttpResponse<String> r = round(method, path, body, token);
            Optional<String> retryAfter = r.headers().firstValue("Retry-After");
            if (r.statusCode() == 503 && retryAfter.isPresent() && System.nanoTime() < deadline) {
                ServiceProcess.pause(Duration.ofMillis(Math.min(1000, 1000 * parseSeconds(retryAfter.get()))));
                continue;
            }
            if (r.statusCode() != 200) {
                throw new IllegalStateException(method + " " + path + " answered " + r.statusCode() + ": " + r.body());
            }
            return r.body();
        }
    }

    private static long parseSeconds(String value) {
        try {
            return Math.max(0, Long.parseLong(value.trim()));
        } catch (NumberFormatException e) {
            return 1;
        }
    }

    /** Each URL in turn from the preferred one until one answers below 500: that answer, or the last one. */
    private HttpResponse<String> round(String method, String path, String body, String token) {
        int first = preferred.get();
        UncheckedIOException unanswered = null;
        HttpResponse<String> last = null;
        for (int i = 0; i < urls.size(); i++) {
            int index = (first + i) % urls.size();
            try {
                HttpResponse<String> r = exchange(urls.get(index), method, path, body, token);
                last = r;
                if (r.statusCode() < 500) {
                    preferred.set(index);
                    return r;
                }
            } catch (UncheckedIOException e) {
                unanswered = e;
            }
        }
        if (last != null) {
            return last;
        }
        throw unanswered;
    }

    private HttpResponse<String> exchange(String url, String method, String path, String body, String token) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(5))
                .header("Authorization", "Bearer " + token).header("X-Dsha-Actor", ACTOR);
        if (body != null) {
            b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException("the control plane at " + url + " does not answer: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private <T> T read(String body, Class<T> type) {
        try {
            return DshaJson.readTolerant(body.getBytes(StandardCharsets.UTF_8), type);
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("unreadable answer from the control plane at " + url() + ": " + e.getMessage(), e);
        }
    }
}
