package io.dsha.proxy.support;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.net.PemKeyCertOptions;
import java.io.IOException;
import java.math.BigInteger;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A stand-in DataStack instance that holds its own certificate (TLS passthrough: the proxy never
 * sees a key). Paths: {@code /whoami} answers the name and the client address it sees (which is
 * the client's own when the PROXY protocol is on); {@code POST /sink} answers the byte count and
 * SHA-256 of the body; {@code /bytes?n=N} streams N bytes of {@link #pattern} honouring
 * backpressure, counting what the socket took in {@link #sent()}.
 */
public final class TlsBackend extends RestartableServer {

    private final Vertx vertx;
    private final String name;
    private final TestCa.Issued certificate;
    private final boolean proxyProtocol;
    private final AtomicLong sent = new AtomicLong();
    private final AtomicInteger requests = new AtomicInteger();

    public TlsBackend(Vertx vertx, String name, TestCa.Issued certificate, boolean proxyProtocol) {
        this.vertx = vertx;
        this.name = name;
        this.certificate = certificate;
        this.proxyProtocol = proxyProtocol;
        start(0);
    }

    @Override
    protected HttpServer create() throws IOException {
        PemKeyCertOptions pem = new PemKeyCertOptions()
                .addCertValue(Buffer.buffer(TestCa.pem(certificate.cert())))
                .addKeyValue(Buffer.buffer(TestCa.pem(certificate.key().getPrivate())));
        HttpServer s = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setSsl(true)
                .setKeyCertOptions(pem).setUseProxyProtocol(proxyProtocol));
        return s.requestHandler(this::handle);
    }

    @Override
    protected String describe() {
        return "TLS backend " + name;
    }

    /** The byte at offset {@code i} of every {@code /bytes} stream. */
    public static byte pattern(long i) {
        return (byte) (i % 251);
    }

    private void handle(HttpServerRequest req) {
        requests.incrementAndGet();
        switch (req.path()) {
            case "/sink" -> {
                MessageDigest sha = sha256();
                long[] n = {0};
                req.handler(b -> {
                    sha.update(b.getBytes());
                    n[0] += b.length();
                });
                req.endHandler(v -> req.response().end(n[0] + " " + HexFormat.of().formatHex(sha.digest())));
            }
            case "/bytes" -> {
                long n = Long.parseLong(req.getParam("n"));
                sent.set(0);
                HttpServerResponse r = req.response().putHeader("content-length", String.valueOf(n));
                stream(r, 0, n);
            }
            default -> req.response().end(name + " " + req.remoteAddress().host() + ":" + req.remoteAddress().port());
        }
    }

    /**
     * One chunk at a time, the next when the socket has taken the previous one: a source that a
     * reader who stops reading really holds back. (Looping while {@code !writeQueueFull()} is not
     * that: under TLS, nothing is flushed until the handler returns, so the loop never sees a full queue.)
     */
    private void stream(HttpServerResponse r, long from, long n) {
        if (from >= n) {
            r.end();
            return;
        }
        int len = (int) Math.min(64 * 1024, n - from);
        byte[] chunk = new byte[len];
        for (int k = 0; k < len; k++) {
            chunk[k] = pattern(from + k);
        }
        long at = from + len;
        r.write(Buffer.buffer(chunk)).onSuccess(v -> {
            sent.set(at);
            stream(r, at, n);
        });
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public String name() {
        return name;
    }

    public BigInteger serial() {
        return certificate.serial();
    }

    /** Bytes of the current {@code /bytes} stream the socket has taken so far. */
    public long sent() {
        return sent.get();
    }

    public int requests() {
        return requests.get();
    }
}
