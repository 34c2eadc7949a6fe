package io.dsha.proxy.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/** The real control plane, as a process on a free port, with helpers to drive it as operator and checker. */
public final class ControlPlaneProcess implements AutoCloseable {

    public static final String ADMIN = "proxy-test-admin-token-0123";
    public static final String AGENT = "proxy-test-agent-token-0123";

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

    public void settle(String backend, String status) {
        report(backend, status);
        report(backend, status);
    }

    public String state() {
        return call("GET", "/api/v1/state", null, AGENT, 200);
    }

    private String call(String method, String path, String body, String token, int expected) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url() + path)).timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + token);
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

    public JavaProcess process() {
        return process;
    }

    @Override
    public void close() {
        process.close();
    }
}
