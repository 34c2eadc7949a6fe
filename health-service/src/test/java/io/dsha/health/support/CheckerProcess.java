package io.dsha.health.support;

import io.dsha.testkit.ControlPlaneProcess;
import io.dsha.testkit.Http;
import io.dsha.testkit.JavaProcess;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Map;

/** A health-service (one checker) as a real process, its management port picked free. */
public final class CheckerProcess implements AutoCloseable {

    private final JavaProcess process;
    private int port = -1;

    private CheckerProcess(JavaProcess process) {
        this.process = process;
    }

    /** Starts a checker of {@code controlPlane} under {@code id}; {@code extra} adds or overrides settings. */
    public static CheckerProcess start(String controlPlaneUrl, String id, Map<String, String> extra) {
        Map<String, String> props = new HashMap<>(Map.of(
                "dsha.control-plane.url", controlPlaneUrl,
                "dsha.agent-token", ControlPlaneProcess.AGENT,
                "dsha.checker-id", id,
                // A control plane that went away is tried again soon in tests.
                "dsha.report.retry-pause", "200ms",
                "quarkus.http.port", "0"));
        props.putAll(extra);
        return new CheckerProcess(JavaProcess.start("checker-" + id, JavaProcess.jar("health-service"), props));
    }

    public CheckerProcess awaitStarted() {
        port = process.awaitHttpPort();
        return this;
    }

    /** {@code /q/health/ready}: the status code and the body. */
    public HttpResponse<String> ready() {
        return get("/q/health/ready");
    }

    public String metrics() {
        return get("/q/metrics").body();
    }

    private HttpResponse<String> get(String path) {
        return Http.get("http://127.0.0.1:" + port + path);
    }

    public JavaProcess process() {
        return process;
    }

    @Override
    public void close() {
        process.close();
    }
}
