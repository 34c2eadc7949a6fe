package io.dsha.health.probe;

import com.fasterxml.jackson.databind.JsonNode;
import io.dsha.api.json.DshaJson;
import io.dsha.api.topology.Hostnames;
import io.dsha.api.topology.JsonExpectation;
import io.dsha.health.cert.CertificateCheck;
import io.dsha.health.cert.CertificateReport;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * HTTP(S) GET, TCP connect and TLS handshake probes on Vert.x clients: no thread per backend, a
 * fresh connection per probe (a pooled one would hide a listener that died), one deadline per
 * probe covering connect, handshake and answer. TLS is accepted at the handshake whatever the
 * certificate, so that the certificate can be judged by {@link CertificateCheck} and reported
 * precisely instead of failing the probe with a bare handshake error.
 */
public final class VertxProber implements Prober {

    /** The most of an answer's body that is read to look for {@code expectBody}. */
    static final int MAX_BODY = 64 * 1024;

    private final Vertx vertx;
    private final CertificateCheck certificates;
    private final HttpClient http;
    private final HttpClient https;
    private final NetClient tcp;
    private final NetClient tls;

    public VertxProber(Vertx vertx, CertificateCheck certificates) {
        this.vertx = Objects.requireNonNull(vertx, "vertx");
        this.certificates = Objects.requireNonNull(certificates, "certificates");
        HttpClientOptions base = new HttpClientOptions().setKeepAlive(false).setMaxPoolSize(256).setTryUseCompression(false);
        this.http = vertx.createHttpClient(new HttpClientOptions(base));
        this.https = vertx.createHttpClient(new HttpClientOptions(base).setSsl(true).setTrustAll(true).setVerifyHost(false).setForceSni(true));
        this.tcp = vertx.createNetClient(new NetClientOptions());
        this.tls = vertx.createNetClient(new NetClientOptions().setSsl(true).setTrustAll(true).setHostnameVerificationAlgorithm(""));
    }

    @Override
    public Future<ProbeResult> probe(ProbeTarget target) {
        long start = System.nanoTime();
        Supplier<Long> elapsed = () -> (System.nanoTime() - start) / 1_000_000;
        Promise<ProbeResult> result = Promise.promise();
        long timeout = target.check().timeoutMs();
        long timer = vertx.setTimer(timeout, id -> result.tryComplete(ProbeResult.down("timed out after " + timeout + " ms", elapsed.get(), null)));
        Future<ProbeResult> attempt = switch (target.check().type()) {
            case HTTP -> http(target, elapsed);
            case TCP -> tcp(target, elapsed);
            case TLS -> tls(target, elapsed);
        };
        attempt.onComplete(ar -> {
            vertx.cancelTimer(timer);
            result.tryComplete(ar.succeeded() ? ar.result() : ProbeResult.down(describe(ar.cause()), elapsed.get(), null));
        });
        return result.future();
    }

    /**
     * GETs {@code path} on a backend (HTTPS when its check speaks TLS) and reads at most
     * {@link #MAX_BODY} bytes of a 200 answer; fails on anything else or after {@code timeoutMs}.
     */
    public Future<Buffer> get(ProbeTarget t, String path, long timeoutMs) {
        Promise<Buffer> result = Promise.promise();
        long timer = vertx.setTimer(timeoutMs, id -> result.tryFail("timed out after " + timeoutMs + " ms"));
        exchange(t, path, timeoutMs).compose(a -> a.status() == 200 ? Future.succeededFuture(a.body())
                : Future.failedFuture("HTTP " + a.status() + " from " + path)).onComplete(ar -> {
                    vertx.cancelTimer(timer);
                    if (ar.succeeded()) {
                        result.tryComplete(ar.result());
                    } else {
                        result.tryFail(describe(ar.cause()));
                    }
                });
        return result.future();
    }

    /** An HTTP answer: its status, the start of its body, and the certificate findings when it came over TLS. */
    private record Answer(int status, Buffer body, CertificateReport certificate) {
    }

    private Future<Answer> exchange(ProbeTarget t, String path, long timeoutMs) {
        RequestOptions options = new RequestOptions()
                .setMethod(HttpMethod.GET)
                .setServer(SocketAddress.inetSocketAddress(t.port(), t.host()))
                .setHost(t.tls() && t.expectedName() != null ? t.expectedName() : t.host())
                .setPort(t.port())
                .setURI(path)
                .setConnectTimeout(timeoutMs)
                .setIdleTimeout(timeoutMs)
                .putHeader("User-Agent", "dsha-health");
        HttpClient client = t.tls() ? https : http;
        return client.request(options).compose(req -> {
            Promise<Answer> answer = Promise.promise();
            // Handlers are set as the response head arrives, on the event loop, before any of its body can be missed.
            req.response().onSuccess(resp -> {
                CertificateReport cert = t.tls() ? certificate(resp, t) : null;
                Buffer acc = Buffer.buffer();
                resp.handler(chunk -> {
                    if (acc.length() < MAX_BODY) {
                        acc.appendBuffer(chunk, 0, Math.min(chunk.length(), MAX_BODY - acc.length()));
                    }
                });
                resp.exceptionHandler(answer::tryFail);
                resp.endHandler(v -> answer.tryComplete(new Answer(resp.statusCode(), acc, cert)));
            }).onFailure(answer::tryFail);
            req.end().onFailure(answer::tryFail);
            return answer.future();
        });
    }

    private Future<ProbeResult> http(ProbeTarget t, Supplier<Long> elapsed) {
        return exchange(t, t.check().path(), t.check().timeoutMs()).map(a -> judge(t, a.status(), a.body(), elapsed.get(), a.certificate()));
    }

    private static ProbeResult judge(ProbeTarget t, int status, Buffer body, long latency, CertificateReport cert) {
        int expected = t.check().expectStatus();
        if (status != expected) {
            return ProbeResult.down("HTTP " + status + " from " + t.check().path() + " (expected " + expected + ")", latency, cert);
        }
        String wanted = t.check().expectBody();
        if (wanted != null && !body.toString(StandardCharsets.UTF_8).contains(wanted)) {
            return ProbeResult.down("the answer from " + t.check().path() + " does not contain \"" + wanted + "\"", latency, cert);
        }
        JsonExpectation field = t.check().expectJson();
        if (field != null) {
            String found = jsonText(body, field.pointer());
            if (!field.value().equals(found)) {
                return ProbeResult.down("the answer from " + t.check().path() + " has " + (found == null ? "nothing" : "\"" + found + "\"")
                        + " at " + field.pointer() + " (expected \"" + field.value() + "\")", latency, cert);
            }
        }
        return ProbeResult.up(latency, cert);
    }

    /** The scalar at {@code pointer} as text, or null when the body is not JSON or holds no scalar there. */
    private static String jsonText(Buffer body, String pointer) {
        try {
            JsonNode node = DshaJson.mapper().readTree(body.getBytes()).at(pointer);
            return node.isValueNode() && !node.isNull() ? node.asText() : null;
        } catch (java.io.IOException e) {
            return null;
        }
    }

    private Future<ProbeResult> tcp(ProbeTarget t, Supplier<Long> elapsed) {
        return tcp.connect(t.port(), t.host()).map(socket -> {
            socket.close();
            return ProbeResult.up(elapsed.get(), null);
        });
    }

    private Future<ProbeResult> tls(ProbeTarget t, Supplier<Long> elapsed) {
        SocketAddress remote = SocketAddress.inetSocketAddress(t.port(), t.host());
        // SNI carries a host name, never an IP literal (RFC 6066).
        String sni = t.expectedName() == null || Hostnames.isIpLiteral(t.expectedName()) ? null : t.expectedName();
        return tls.connect(remote, sni).map(socket -> {
            CertificateReport cert = certificate(socket, t);
            socket.close();
            return ProbeResult.up(elapsed.get(), cert);
        });
    }

    private CertificateReport certificate(HttpClientResponse resp, ProbeTarget t) {
        try {
            return certificates.check(x509(resp.request().connection().peerCertificates()), t.expectedName());
        } catch (SSLPeerUnverifiedException e) {
            return new CertificateReport(null, null, 0, List.of("no certificate was presented"));
        }
    }

    private CertificateReport certificate(NetSocket socket, ProbeTarget t) {
        try {
            return certificates.check(x509(socket.peerCertificates()), t.expectedName());
        } catch (SSLPeerUnverifiedException e) {
            return new CertificateReport(null, null, 0, List.of("no certificate was presented"));
        }
    }

    private static List<X509Certificate> x509(List<Certificate> certs) {
        List<X509Certificate> list = new ArrayList<>();
        for (Certificate c : certs) {
            if (c instanceof X509Certificate x) {
                list.add(x);
            }
        }
        return list;
    }

    /** A failure in the words an operator reads: "connection refused", not a class name. */
    static String describe(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String msg = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        String lower = msg.toLowerCase(java.util.Locale.ROOT);
        if (lower.contains("connection refused")) {
            return "connection refused";
        }
        if (lower.contains("connection reset")) {
            return "connection reset";
        }
        if (root instanceof io.netty.channel.ConnectTimeoutException || lower.contains("connection timed out")) {
            return "connect timed out";
        }
        if (root instanceof javax.net.ssl.SSLException) {
            return "TLS handshake failed: " + msg;
        }
        return msg.length() > 300 ? msg.substring(0, 300) : msg;
    }

    public Future<Void> close() {
        return Future.join(http.close(), https.close(), tcp.close(), tls.close()).mapEmpty();
    }
}
