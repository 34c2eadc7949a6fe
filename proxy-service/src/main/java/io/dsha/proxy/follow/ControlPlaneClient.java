package io.dsha.proxy.follow;

import io.dsha.api.json.DshaJson;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.util.Optional;

/** HTTP to the control plane with the agent token: GET a JSON document, POST one. Non-blocking. */
public final class ControlPlaneClient {

    /** What came back: the status, and the body when there was one. */
    public record Reply(int status, Buffer body) {
    }

    private final HttpClient client;
    private final String basePath;
    private final Optional<String> token;
    private final String url;

    public ControlPlaneClient(Vertx vertx, String url, Optional<String> token) {
        URI uri = URI.create(url);
        boolean ssl = "https".equalsIgnoreCase(uri.getScheme());
        int port = uri.getPort() > 0 ? uri.getPort() : ssl ? 443 : 80;
        this.url = url;
        this.basePath = uri.getPath() == null || uri.getPath().equals("/") ? "" : uri.getPath().replaceAll("/+$", "");
        this.token = token;
        this.client = vertx.createHttpClient(new HttpClientOptions()
                .setDefaultHost(uri.getHost())
                .setDefaultPort(port)
                .setSsl(ssl)
                .setConnectTimeout(2000)
                .setKeepAlive(true)
                .setMaxPoolSize(4));
    }

    public String url() {
        return url;
    }

    public Future<Reply> get(String path, long timeoutMs) {
        return send(HttpMethod.GET, path, null, timeoutMs);
    }

    public Future<Reply> post(String path, Object body, long timeoutMs) {
        try {
            return send(HttpMethod.POST, path, Buffer.buffer(DshaJson.mapper().writeValueAsBytes(body)), timeoutMs);
        } catch (Exception e) {
            return Future.failedFuture(e);
        }
    }

    private Future<Reply> send(HttpMethod method, String path, Buffer body, long timeoutMs) {
        RequestOptions options = new RequestOptions().setMethod(method).setURI(basePath + path).setIdleTimeout(timeoutMs);
        token.ifPresent(t -> options.putHeader(HttpHeaders.AUTHORIZATION, "Bearer " + t));
        if (body != null) {
            options.putHeader(HttpHeaders.CONTENT_TYPE, "application/json");
        }
        return client.request(options)
                .compose(req -> body == null ? req.send() : req.send(body))
                .compose(resp -> resp.body().map(b -> new Reply(resp.statusCode(), b)));
    }

    public Future<Void> close() {
        return client.close();
    }
}
