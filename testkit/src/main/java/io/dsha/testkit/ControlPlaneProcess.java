package io.dsha.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import io.dsha.api.json.DshaJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;

/**
 * The real control plane as a process on a free port, driven over its REST API as the operator
 * (admin token) and as a checker (agent token).
 */
public final class ControlPlaneProcess implements AutoCloseable {

    public static final String ADMIN = "dsha-test-admin-token-0123";
    public static final String AGENT = "dsha-test-agent-token-0123";

    private final Path stateDir;
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

    public int port() {
        return port;
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

    public String putTopology(String json) {
        return call("PUT", "/api/v1/topology", json, ADMIN, 200);
    }

    public String setAdminState(String backend, String state) {
        return call("PUT", "/api/v1/backends/" + backend + "/admin-state", "{\"adminState\":\"" + state + "\"}", ADMIN, 200);
    }

    public String failback() {
        return call("POST", "/api/v1/failback", "", ADMIN, 200);
    }

    /** A checker's observation: enough of them (rise/fall) move the verdict. */
    public void report(String backend, String status) {
        call("POST", "/api/v1/reports", "{\"source\":\"CHECKER\",\"reporterId\":\"test-checker\",\"observations\":[{\"backendId\":\""
                + backend + "\",\"status\":\"" + status + "\"}]}", AGENT, 202);
    }

    /** Reports {@code status} twice: the default rise/fall of 2 makes it the verdict. */
    public void settle(String backend, String status) {
        report(backend, status);
        report(backend, status);
    }

    /** {@code GET /api/v1/state} as text. */
    public String state() {
        return call("GET", "/api/v1/state", null, AGENT, 200);
    }

    /** {@code GET /api/v1/state}, parsed. */
    public JsonNode stateJson() {
        return json(state());
    }

    /** The verdict of one backend. */
    public JsonNode verdict(String backendId) {
        for (JsonNode v : stateJson().path("verdicts")) {
            if (v.path("backendId").asText().equals(backendId)) {
                return v;
            }
        }
        throw new IllegalStateException("no verdict for " + backendId);
    }

    public JsonNode events() {
        return json(call("GET", "/api/v1/events?limit=500", null, AGENT, 200));
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

    private String call(String method, String path, String body, String token, int expected) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url() + path)).header("Authorization", "Bearer " + token);
        if (body != null) {
            b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<String> r = Http.send(b);
        if (r.statusCode() != expected) {
            throw new IllegalStateException(method + " " + path + " answered " + r.statusCode() + ": " + r.body());
        }
        return r.body();
    }

    public JavaProcess process() {
        return process;
    }

    @Override
    public void close() {
        process.close();
    }
}
