package io.dsha.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** The control plane's REST API as the operator (admin token) and as an agent (agent token) use it. */
public final class ControlPlaneClient {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String url;
    private final Tokens tokens;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    public ControlPlaneClient(String url, Tokens tokens) {
        this.url = url;
        this.tokens = tokens;
    }

    public String url() {
        return url;
    }

    public JsonNode state() {
        return parse(call("GET", "/api/v1/state", null, tokens.agent(), 200));
    }

    public JsonNode events(int limit) {
        return parse(call("GET", "/api/v1/events?limit=" + limit, null, tokens.agent(), 200));
    }

    public JsonNode putTopology(JsonNode topology) {
        return parse(call("PUT", "/api/v1/topology", topology.toString(), tokens.admin(), 200));
    }

    public JsonNode failback() {
        return parse(call("POST", "/api/v1/failback", "", tokens.admin(), 200));
    }

    /** One call; fails with the answer when its status is not {@code expected}. */
    public String call(String method, String path, String body, String token, int expected) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(5))
                .header("Authorization", "Bearer " + token).header("X-Dsha-Actor", "dsha-launcher");
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
            throw new UncheckedIOException("the control plane at " + url + " does not answer: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
