package io.dsha.health.support;

import com.fasterxml.jackson.databind.JsonNode;
import io.dsha.api.json.DshaJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/** The real control plane as a process on a free port, read and driven over its REST API. */
public final class ControlPlaneProcess implements AutoCloseable {

    public static final String ADMIN = "health-test-admin-token-0123";
    public static final String AGENT = "health-test-agent-token-0123";

    private final Path stateDir;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private JavaProcess process;
    private int port;

    public ControlPlaneProcess(Path stateDir) {
        this.stateDir = stateDir;
        start(0);
    }

    private void start(int wantedPort) {
        process = JavaProcess.start("control-plane", JavaProcess.jar("control-plane"), Map.of(
                "dsha.admin-token", ADMIN,
                "dsha.agent-token", AGENT,
                "dsha.state-dir", stateDir.toString(),
                "quarkus.http.port", String.valueOf(wantedPort)));
        port = process.awaitHttpPort();
    }

    public String url() {
        return "http://127.0.0.1:" + port;
    }

    public void stop() {
        process.stop();
    }

    /** Starts again on the same port and state. */
    public void restart() {
        if (process.alive()) {
            process.stop();
        }
        start(port);
    }

    public void putTopology(String json) {
        call("PUT", "/api/v1/topology", json, 200);
    }

    public JsonNode state() {
        return json(call("GET", "/api/v1/state", null, 200));
    }

    /** The verdict of one backend. */
    public JsonNode verdict(String backendId) {
        for (JsonNode v : state().path("verdicts")) {
            if (v.path("backendId").asText().equals(backendId)) {
                return v;
            }
        }
        throw new IllegalStateException("no verdict for " + backendId);
    }

    public JsonNode events() {
        return json(call("GET", "/api/v1/events?limit=500", null, 200));
    }

    /** The sequence number of the newest event, to look only at what comes after. */
    public long lastEventSeq() {
        JsonNode events = events();
        return events.isEmpty() ? 0 : events.get(0).path("seq").asLong();
    }

    /** Whether an event of {@code type} numbered after {@code afterSeq} exists whose message contains {@code text}. */
    public boolean hasEvent(long afterSeq, String type, String text) {
        for (JsonNode e : events()) {
            if (e.path("seq").asLong() > afterSeq && e.path("type").asText().equals(type) && e.path("message").asText().contains(text)) {
                return true;
            }
        }
        return false;
    }

    private static JsonNode json(String text) {
        try {
            return DshaJson.mapper().readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String call(String method, String path, String body, int expected) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url() + path)).timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + (method.equals("GET") ? AGENT : ADMIN));
        if (body != null) {
            b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        try {
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != expected) {
                throw new IllegalStateException(method + " " + path + " answered " + r.statusCode() + ": " + r.body());
            }
            return r.body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        process.close();
    }
}
