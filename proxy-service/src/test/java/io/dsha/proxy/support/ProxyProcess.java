package io.dsha.proxy.support;

import static org.awaitility.Awaitility.await;

import io.dsha.testkit.ControlPlaneProcess;
import io.dsha.testkit.JavaProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real proxy, as a process: management port picked free, data listener on a free port
 * ({@code dsha.listener.port=0}), found through its readiness data.
 */
public final class ProxyProcess implements AutoCloseable {

    private static final Pattern LISTENER = Pattern.compile("\"listener\"\\s*:\\s*\"https?://[^:]+:(\\d+)\"");

    /** The epoll run of the data-path tests (failsafe's "epoll" execution); null: the proxy's default (auto). */
    private static final String TRANSPORT = System.getProperty("it.proxy.transport");

    private final JavaProcess process;
    private final int managementPort;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** Starts the proxy with these settings on top of: free ports, the control plane's URL and agent token. */
    public ProxyProcess(ControlPlaneProcess cp, Map<String, String> settings) {
        Map<String, String> all = new HashMap<>();
        all.put("dsha.control-plane.url", cp.url());
        all.put("dsha.agent-token", ControlPlaneProcess.AGENT);
        all.put("quarkus.http.port", "0");
        all.put("dsha.listener.port", "0");
        all.put("dsha.listener.host", "127.0.0.1");
        all.put("dsha.event-loops", "2");
        if (TRANSPORT != null) {
            all.put("dsha.transport", TRANSPORT);
        }
        all.putAll(settings);
        process = JavaProcess.start("proxy", JavaProcess.jar("proxy-service"), all);
        managementPort = process.awaitHttpPort();
    }

    /** Waits until ready (a routing decision and a bound listener) and returns the data port. */
    public int awaitReady() {
        int[] port = {-1};
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() -> {
            if (!process.alive()) {
                throw new IllegalStateException("proxy exited:\n" + process.output());
            }
            if (TRANSPORT != null && !process.output().contains("Sockets run on " + TRANSPORT)) {
                return false; // said at start; a run meant for one transport never passes on another
            }
            HttpResponse<String> r = readiness();
            Matcher m = LISTENER.matcher(r.body());
            if (r.statusCode() == 200 && m.find()) {
                port[0] = Integer.parseInt(m.group(1));
                return true;
            }
            return false;
        });
        return port[0];
    }

    public HttpResponse<String> readiness() throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/q/health/ready")).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    public String metrics() throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/q/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    public int managementPort() {
        return managementPort;
    }

    public JavaProcess process() {
        return process;
    }

    public void stop() {
        process.stop();
    }

    @Override
    public void close() {
        process.close();
    }
}
